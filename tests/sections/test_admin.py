"""Organizers change meetings and start new terms in the admin, through the same services."""

import pytest

from sections.models import Meeting, Section
from sections.services import cancel_meeting
from syllabus.models import Term
from tests.admin_forms import admin_change
from tests.factories import build_term

pytestmark = pytest.mark.django_db

MEETINGS = "/admin/sections/meeting/"
TERMS = "/admin/syllabus/term/"


@pytest.fixture
def term():
    return build_term(weeks=2, readings_per_week=1, sections=2, slug="fall-2022", name="Fall 2022")


def test_organizer_cancels_meetings_with_a_reason_through_an_action(client, organizer, term):
    client.force_login(organizer)
    week_2 = list(Meeting.objects.filter(week__number=2).order_by("pk"))
    selected = {"action": "cancel_meetings", "_selected_action": [m.pk for m in week_2]}

    form_page = client.post(MEETINGS, selected)
    applied = client.post(
        MEETINGS, {**selected, "apply": "Cancel", "reason": "No meeting: Veterans Day"}, follow=True
    )

    assert form_page.status_code == 200
    assert form_page.templates[0].name == "admin/sections/action_form.html"
    assert list(form_page.context["objects"]) == week_2
    assert [str(m) for m in applied.context["messages"]] == ["Cancelled 2 meeting(s)."]
    assert (
        list(
            Meeting.objects.filter(week__number=2).values_list("status", "public_note", "sequence")
        )
        == [("cancelled", "No meeting: Veterans Day", 1)] * 2
    )
    assert set(Meeting.objects.filter(week__number=1).values_list("status", flat=True)) == {
        "scheduled"
    }


def test_admin_cancel_without_reason_shows_the_form_again(client, organizer, term):
    client.force_login(organizer)
    meeting = Meeting.objects.first()

    response = client.post(
        MEETINGS,
        {"action": "cancel_meetings", "_selected_action": [meeting.pk], "apply": "1", "reason": ""},
    )

    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert Meeting.objects.get(pk=meeting.pk).status == "scheduled"


def test_organizer_moves_a_meeting_through_an_action(client, organizer, term):
    client.force_login(organizer)
    meeting = Meeting.objects.get(week__number=1, section__weekday=0)  # Monday Sep 12
    selected = {"action": "move_meeting", "_selected_action": [meeting.pk]}

    bad = client.post(
        MEETINGS,
        {
            **selected,
            "apply": "1",
            "date": "2022-09-13",
            "start_time": "19:00",
            "end_time": "18:00",
        },
    )
    client.post(
        MEETINGS,
        {
            **selected,
            "apply": "1",
            "date": "2022-09-13",
            "start_time": "18:00",
            "end_time": "19:00",
            "room": "4-231",
        },
    )

    assert bad.context["form"].errors == {"end_time": ["The end must be after the start."]}
    meeting.refresh_from_db()
    assert (meeting.when_display, meeting.room, meeting.sequence, meeting.changed_by) == (
        "Tue Sep 13, 6–7 pm",
        "4-231",
        1,
        organizer,
    )


def test_admin_move_needs_exactly_one_meeting(client, organizer, term):
    client.force_login(organizer)
    pks = list(Meeting.objects.values_list("pk", flat=True)[:2])

    response = client.post(
        MEETINGS, {"action": "move_meeting", "_selected_action": pks}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == ["Select exactly one meeting to move."]


def test_organizer_restores_meetings_through_an_action(client, organizer, term):
    client.force_login(organizer)
    meeting = Meeting.objects.first()
    cancel_meeting(meeting=meeting, reason="Exams", by=None)

    selected = {"action": "restore_meetings", "_selected_action": [meeting.pk]}

    form_page = client.post(MEETINGS, selected)
    unchanged = Meeting.objects.get(pk=meeting.pk).status
    response = client.post(MEETINGS, {**selected, "apply": "Restore"}, follow=True)

    meeting.refresh_from_db()
    assert form_page.templates[0].name == "admin/sections/action_form.html"
    assert unchanged == "cancelled"  # the first post only asks
    assert (meeting.status, meeting.sequence) == ("scheduled", 2)
    assert [str(m) for m in response.context["messages"]] == ["Restored 1 meeting(s)."]


def test_meeting_change_form_in_the_admin_is_read_only_and_links_to_the_change_page(
    client, organizer, term
):
    client.force_login(organizer)
    meeting = Meeting.objects.first()

    response = client.get(f"{MEETINGS}{meeting.pk}/change/")

    assert list(response.context["adminform"].form.fields) == []
    assert f'href="/meetings/{meeting.pk}/change/"' in response.content.decode()


def test_organizer_starts_the_next_term_from_the_admin(client, organizer, term):
    client.force_login(organizer)
    selected = {"action": "start_next_term", "_selected_action": [term.pk]}

    form_page = client.post(TERMS, selected)
    response = client.post(
        TERMS,
        {
            **selected,
            "apply": "1",
            "name": "Spring 2023",
            "slug": "spring-2023",
            "first_monday": "2023-02-06",
        },
        follow=True,
    )

    # attendance adds "copy_members" (tests/attendance/test_next_term.py); unticked here.
    assert list(form_page.context["form"].fields) == [
        "name",
        "slug",
        "first_monday",
        "copy_members",
    ]
    new = Term.objects.get(slug="spring-2023")
    assert response.redirect_chain == [(f"/admin/syllabus/term/{new.pk}/change/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Started Spring 2023 from Fall 2022: its weeks, readings, sections and meetings are "
        "copied. It is not published yet."
    ]
    assert (new.is_published, new.weeks.count(), Meeting.objects.for_term(new).count()) == (
        False,
        2,
        4,
    )


def test_start_next_term_with_a_taken_slug_shows_the_error(client, organizer, term):
    client.force_login(organizer)

    response = client.post(
        TERMS,
        {
            "action": "start_next_term",
            "_selected_action": [term.pk],
            "apply": "1",
            "name": "Again",
            "slug": "fall-2022",
            "first_monday": "2023-02-06",
        },
    )

    assert response.context["form"].errors == {
        "slug": ["A term with the slug “fall-2022” already exists."]
    }
    assert Term.objects.count() == 1


def test_the_term_admin_keeps_its_columns_and_gains_the_action(client, organizer, term):
    client.force_login(organizer)

    response = client.get(TERMS)

    changelist = response.context["cl"]
    assert changelist.list_display[1:] == [
        "name",
        "title",
        "first_monday",
        "time_zone",
        "is_published",
        "joining_open",
        "week_count",
    ]
    assert [name for name, _ in response.context["action_form"].fields["action"].choices] == [
        "",
        "delete_selected",
        "start_next_term",
    ]


def test_leads_who_are_not_organizers_cannot_use_meeting_actions(client, term):
    lead = term.sections.first().leads.get()
    lead.is_staff = True
    lead.save()
    client.force_login(lead)
    meeting = Meeting.objects.first()

    response = client.post(
        MEETINGS,
        {"action": "restore_meetings", "_selected_action": [meeting.pk]},
    )

    assert response.status_code == 403
    assert Meeting.objects.get(pk=meeting.pk).sequence == 0


ONE_LINE_ERROR = (
    "Write this on one line: line breaks, tabs and other control characters are not allowed here."
)


def test_section_admin_refuses_line_breaks_in_name_and_room(client, organizer, term):
    client.force_login(organizer)
    section = term.sections.first()
    url = f"/admin/sections/section/{section.pk}/change/"

    response = admin_change(client, url, name="Wed\r\nnesday", room="2-151\nBEGIN:VEVENT")

    assert response.context["adminform"].form.errors == {
        "name": [ONE_LINE_ERROR],
        "room": [ONE_LINE_ERROR],
    }
    assert Section.objects.get(pk=section.pk).room == section.room


def test_admin_actions_refuse_line_breaks_in_reasons_rooms_and_names(client, organizer, term):
    client.force_login(organizer)
    meeting = Meeting.objects.get(week__number=1, section__weekday=0)
    cancel = {"action": "cancel_meetings", "_selected_action": [meeting.pk], "apply": "1"}
    move = {"action": "move_meeting", "_selected_action": [meeting.pk], "apply": "1"}
    when = {"date": "2022-09-13", "start_time": "18:00", "end_time": "19:00"}
    copy = {"action": "start_next_term", "_selected_action": [term.pk], "apply": "1"}

    cancelled = client.post(MEETINGS, {**cancel, "reason": "Holiday\nSUMMARY:x"})
    moved = client.post(MEETINGS, {**move, **when, "room": "4-231\r\nX", "note": "a\x0bb"})
    copied = client.post(
        TERMS, {**copy, "name": "Spring\n2023", "slug": "spring", "first_monday": "2023-02-06"}
    )

    assert cancelled.context["form"].errors == {"reason": [ONE_LINE_ERROR]}
    assert moved.context["form"].errors == {"room": [ONE_LINE_ERROR], "note": [ONE_LINE_ERROR]}
    assert copied.context["form"].errors == {"name": [ONE_LINE_ERROR]}
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence, Term.objects.count()) == ("scheduled", 0, 1)
