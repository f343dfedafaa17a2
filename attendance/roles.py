"""Who may take attendance: organizers (all sections) and the leads of at least one section."""

from core.roles import is_organizer


def can_take_attendance(user) -> bool:
    """Cached on the user object, like `is_organizer`: at most two queries per request."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_can_take_attendance", None)
    if cached is None:
        cached = is_organizer(user) or user.led_sections.exists()
        user._can_take_attendance = cached
    return cached


def note_can_take_attendance(user):
    """Record what a successful scoped lookup (a meeting or section `user` manages) proves,
    so the header's “My meetings” link costs no query on that page."""
    user._can_take_attendance = True
