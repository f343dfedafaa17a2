"""`{% meeting_summary meeting %}` (and `show_counts=True`): a meeting on the lead's dashboard,
its title linked to its roster, its time and room (or that it was cancelled), how many were
marked and came, and links to its pages.

It was an include (attendance/includes/meeting_summary.html), drawn for each of the 20 to 30
meetings of the page: the includes and their 4 `{% url %}`s each were most of the dashboard's
rendering. This writes the same bytes (tests/attendance/test_golden_pages.py holds them),
escaping every value as the template did.
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def meeting_summary(meeting, show_counts=False):
    cancelled = meeting.is_cancelled
    roster = reverse("attendance:roster", kwargs={"pk": meeting.pk})
    notes = reverse("sections:note-edit", kwargs={"meeting": meeting.pk})
    change = reverse("sections:meeting-change", kwargs={"pk": meeting.pk})
    when = escape(meeting.when_display)
    if cancelled:
        shown = f'<del>{when}</del> <span class="badge text-bg-warning">Cancelled</span>'
    else:
        shown = f"{when} · {escape(meeting.room)}"
    counts = ""
    if show_counts and not cancelled:
        if meeting.marked:
            marked = f"{meeting.marked} marked, {meeting.attended} came"
        else:
            marked = "not taken"
        counts = f' · <span class="marked-count">{marked}</span>'
    week = meeting.week
    return mark_safe(
        f'<div class="meeting-summary{" meeting-cancelled" if cancelled else ""}">'
        f'\n  <a class="fw-semibold" href="{roster}">{escape(meeting.section.name)} section'
        f" · week {week.number}: {escape(week.title)}</a>"
        '\n  <span class="d-block small">'
        f"\n    {shown}"
        f"\n    {counts}"
        "\n  </span>"
        '\n  <span class="d-block small meeting-actions">'
        f'\n    <a href="{roster}">Attendance</a>'
        f'\n    · <a href="{notes}">Discussion notes</a>'
        f'\n    · <a href="{change}">Cancel or move</a>'
        "\n  </span>"
        "\n</div>\n"
    )
