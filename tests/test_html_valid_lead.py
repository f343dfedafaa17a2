"""Every lead page, as a logged-in lead (or organizer) gets it, is valid HTML per the W3C Nu
checker: plain pages, a form with errors, a note preview and a roster conflict (409)."""

import pytest

from attendance.models import AttendanceRecord
from sections.models import Section
from tests.factories import AttendanceRecordFactory, EnrollmentFactory, write_note
from tests.html_checker import html_errors

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_lead_pages_are_valid_html(client, fall2022, organizer, tmp_path):
    wednesday = Section.objects.get(term=fall2022, slug="wednesday")
    lead = wednesday.leads.get()
    members = [EnrollmentFactory(section=wednesday).member for _ in range(3)]
    first, second = wednesday.meetings.filter(week__number__in=[1, 2]).order_by("week__number")
    for member, status in zip(members, ("present", "late", "absent"), strict=True):
        AttendanceRecordFactory(meeting=first, member=member, status=status, remark="ok")
    write_note(second, "First *draft*.", "## Grokking\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    pages = {"login with an error": client.post("/accounts/login/", {"username": "x"})}

    client.force_login(lead)
    for name, path in {
        "dashboard": "/attendance/",
        "roster": f"/attendance/meetings/{second.pk}/",
        "roster with records": f"/attendance/meetings/{first.pk}/",
        "section report": f"/attendance/sections/{wednesday.pk}/report/",
        "note edit": f"/meetings/{second.pk}/notes/",
        "note history": f"/meetings/{second.pk}/notes/history/",
        "meeting change": f"/meetings/{second.pk}/change/",
        "password change": "/accounts/password_change/",
    }.items():
        pages[name] = client.get(path)
    pages["note preview"] = client.post(
        f"/meetings/{second.pk}/notes/",
        {"body": "## Preview\n\n> quote", "status": "draft", "version": "2", "preview": "1"},
    )
    pages["roster with errors"] = client.post(
        f"/attendance/meetings/{second.pk}/",
        {
            "version": "0",
            f"remark-{members[0].pk}": "no status",
            "walk_in-status": "present",
            "action": "save",
        },
    )
    pages["roster conflict"] = client.post(
        f"/attendance/meetings/{first.pk}/",
        {
            "version": "0",
            f"status-{members[0].pk}": "excused",
            "walk_in-status": "present",
            "action": "save",
        },
    )
    pages["meeting change with errors"] = client.post(
        f"/meetings/{second.pk}/change/", {"move": "1"}
    )
    client.force_login(organizer)
    pages["term overview"] = client.get("/attendance/terms/fall-2022/")

    assert {name: response.status_code for name, response in pages.items()} == {
        **dict.fromkeys(pages, 200),
        "roster conflict": 409,
    }
    shown = {
        name: text in pages[name].content.decode()
        for name, text in {
            "login with an error": "This field is required.",
            "note preview": "<blockquote>",
            "roster with errors": "Choose a status to save a remark.",
            "roster conflict": "Someone else saved this roster",
            "meeting change with errors": "Nothing was changed",
        }.items()
    }
    assert shown == dict.fromkeys(shown, True)
    assert AttendanceRecord.objects.filter(meeting=second).count() == 0
    errors = html_errors({name: r.content.decode() for name, r in pages.items()}, tmp_path)

    assert errors == {name: [] for name in pages}
