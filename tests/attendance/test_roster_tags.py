"""The roster's Jinja2 fragments write what the template engine and crispy wrote before them."""

import pytest
from django.template import Context, Template

from attendance.forms import RosterForm, RosterLine, WalkInForm, focus_first
from attendance.models import Member
from tests.factories import AttendanceRecordFactory, EnrollmentFactory

CRISPY = Template("{% load crispy_forms_tags %}{{ form|crispy }}")
OURS = Template('{% load jinja %}{% jinja "attendance/walk_in_fields.html" form=form %}')

FILLED = {
    "walk_in-name": 'Dee "D" <b>O\'Neil</b> & co',
    "walk_in-email": "dee@example.edu",
    "walk_in-affiliation": "MIT & <Harvard>",
    "walk_in-status": "late",
}
STATES = {
    "unbound": None,
    "left empty": {"walk_in-name": "", "walk_in-email": "", "walk_in-status": "present"},
    "filled in": FILLED,
    "no name, a bad email": {**FILLED, "walk_in-name": "", "walk_in-email": "not an email"},
    "not a status": {**FILLED, "walk_in-status": "asleep"},
    "no status sent": {key: value for key, value in FILLED.items() if key != "walk_in-status"},
    "too long": {**FILLED, "walk_in-name": "n" * 201, "walk_in-affiliation": "a" * 201},
    "long email": {**FILLED, "walk_in-email": "e" * 250 + "@example.edu"},
}


def walk_in_form(data, *, focus):
    form = WalkInForm(data) if data is not None else WalkInForm()
    if data is not None:
        form.is_valid()
        if focus:
            focus_first(form.field_errors())
    return form


@pytest.mark.parametrize("focus", [False, True])
@pytest.mark.parametrize("state", STATES)
def test_walk_in_fields_are_what_crispy_wrote(state, focus):
    crispy = CRISPY.render(Context({"form": walk_in_form(STATES[state], focus=focus)}))

    ours = OURS.render(Context({"form": walk_in_form(STATES[state], focus=focus)}))

    assert ours == crispy


@pytest.mark.django_db
def test_roster_lines_show_what_was_posted_with_the_originals_and_errors(meeting):
    ada, bea = (
        EnrollmentFactory(section=meeting.section, member__name=name).member
        for name in ("Ada", "Bea")
    )
    AttendanceRecordFactory(meeting=meeting, member=ada, status="late", remark="Bus")
    roster = Member.objects.on_roster_of(meeting.section).with_record_for(meeting)
    roster = roster.with_apology_for(meeting).with_preparation_for(meeting)
    posted = {
        "version": "1",
        f"status-{ada.pk}": "present",
        f"remark-{ada.pk}": "On time after all",
        f"original-status-{ada.pk}": "late",
        f"original-remark-{ada.pk}": "Bus",
        f"remark-{bea.pk}": "No status",
    }

    unbound, bound = RosterForm(roster=roster), RosterForm(posted, roster=roster)
    bound.is_valid()

    assert unbound.lines() == [
        RosterLine(ada, "late", "Bus", "late", "Bus", None, None),
        RosterLine(bea, "", "", "", "", None, None),
    ]
    assert bound.lines() == [
        RosterLine(ada, "present", "On time after all", "late", "Bus", None, None),
        RosterLine(bea, None, "No status", None, None, ["Choose a status to save a remark."], None),
    ]
