"""Who may take attendance: organizers (all sections) and the leads of at least one section."""

from core.roles import is_organizer


def can_take_attendance(user) -> bool:
    """Cached on the user object, like `is_organizer`: at most two queries per request, none
    when the user was loaded with its roles (`_is_organizer`, `_leads_a_section`: see
    attendance.backends, which loads every logged-in user so)."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_can_take_attendance", None)
    if cached is None:
        cached = is_organizer(user) or _leads_a_section(user)
        user._can_take_attendance = cached
    return cached


def _leads_a_section(user):
    leads = getattr(user, "_leads_a_section", None)
    return user.led_sections.exists() if leads is None else leads


def note_can_take_attendance(user):
    """Record what a successful scoped lookup (a meeting or section `user` manages) proves,
    so the header's “My meetings” link costs no query on that page."""
    user._can_take_attendance = True
