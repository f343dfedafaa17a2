from attendance.roles import can_take_attendance


def attendance_link(request):
    """`shows_attendance_link` for the header's “My meetings” link. A callable, so the template
    evaluates it (and queries) only for logged-in users, never on an anonymous page view."""
    return {"shows_attendance_link": lambda: can_take_attendance(request.user)}
