"""Who is who. Organizers are superusers or members of the "Organizers" group (created by a
migration); section leads are the users named on a section (see `sections`)."""

ORGANIZERS_GROUP = "Organizers"


def is_organizer(user) -> bool:
    """Asks the database once per user object, unless the user was loaded with its roles
    (`_is_organizer`, see attendance.backends): then not at all."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_organizer", None)
    if cached is None:
        cached = user.groups.filter(name=ORGANIZERS_GROUP).exists()
        user._is_organizer = cached
    return cached
