"""Hostile input (hypothesis) at every URL parameter and form of the sections app: the public
schedule, week, section and calendar URLs, the leads' notes and meeting change pages, and the
organizers' admin actions and Section forms. Never a 500; an answer that is not a success
changes nothing. See tests/hostile.py for the values thrown."""

from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section
from syllabus.models import Reading, Term, Week
from tests.admin_forms import post_admin_form
from tests.factories import SectionFactory, TermFactory, UserFactory, WeekFactory, write_note
from tests.hostile import (
    MISSING,
    assert_form_errors,
    assert_not_server_error,
    assert_term_pages_work,
    edge_date,
    extra_fields,
    field_values,
    form_data,
    has_nul,
    hostile_scalar,
    hostile_settings,
    mutate,
    rolled_back,
)

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# --- Public URLs ----------------------------------------------------------------------------

PUBLIC_URLS = [
    ("/terms/{term}/", ("term",)),
    ("/terms/{term}/weeks/{week}/", ("term", "week")),
    ("/terms/{term}/sections/{section}/", ("term", "section")),
    ("/terms/{term}/calendar.ics", ("term",)),
    ("/terms/{term}/schedule.json", ("term",)),
    ("/terms/{term}/sections/{section}/calendar.ics", ("term", "section")),
    ("/terms/{term}/sections/{section}/meetings/{week}.ics", ("term", "section", "week")),
]


def path_parameter(valid):
    return st.one_of(st.sampled_from(valid), hostile_scalar.filter(lambda v: v != ""))


def exists(term, section, week):
    """Would the fall-2022 fixture have this page?"""
    week_ok = week is None or (week.isascii() and week.isdigit() and 1 <= int(week) <= 11)
    return term == "fall-2022" and section in (None, "wednesday", "friday") and week_ok


@pytest.mark.slow
@hostile_settings(max_examples=60)
@given(
    url=st.sampled_from(PUBLIC_URLS),
    term=path_parameter(["fall-2022", "Fall-2022", "fall-2023"]),
    section=path_parameter(["wednesday", "friday", "monday"]),
    week=path_parameter(["1", "6", "11", "12", "007"]),
    query=extra_fields,
    as_organizer=st.booleans(),
)
def test_public_urls_answer_the_page_or_404_whatever_the_parameters(
    fall2022, organizer, url, term, section, week, query, as_organizer
):
    template, names = url
    values = {"term": term, "section": section, "week": week}
    path = template.format(**{name: quote(values[name], safe="") for name in names})
    client = logged_in(organizer) if as_organizer else Client(raise_request_exception=False)

    with rolled_back():
        response = client.get(path, query)

    assert_not_server_error(response)
    page_exists = exists(
        term, section if "section" in names else None, week if "week" in names else None
    )
    if has_nul([values[name] for name in names], query):
        assert response.status_code == 400
    else:
        assert response.status_code == (200 if page_exists else 404), path


# --- Notes: edit, preview, restore ----------------------------------------------------------


@pytest.fixture
def meeting(fall2022):
    meeting = Meeting.objects.select_related("section__term").get(
        section__slug="wednesday", week__number=6
    )
    meeting.section.leads.set([UserFactory(username="lead")])
    return meeting


@pytest.fixture
def lead(meeting):
    return meeting.section.leads.get()


def note_rows(meeting):
    return (
        list(
            DiscussionNote.objects.filter(meeting=meeting).values_list("body", "status", "version")
        ),
        list(DiscussionNoteRevision.objects.values_list("note", "number", "body", "status")),
    )


NOTE_FIELDS = {
    "body": st.sampled_from(["# Grokking\n\nWe talked about *weight decay*.", "", "Short."]),
    "status": st.sampled_from(["draft", "published"]),
    "version": st.sampled_from(["0", "1", "2"]),
    "save": st.just("Save"),
    "preview": st.just(MISSING),
}


@pytest.mark.slow
@hostile_settings(max_examples=60)
@given(values=field_values(NOTE_FIELDS, list(NOTE_FIELDS)), extra=extra_fields)
def test_note_editor_answers_hostile_posts_with_form_errors(meeting, lead, values, extra):
    write_note(meeting, "First version.", author=lead, status=DiscussionNote.Status.DRAFT)
    client = logged_in(lead)

    with rolled_back():
        before = note_rows(meeting)
        response = client.post(f"/meetings/{meeting.pk}/notes/", form_data(values, extra))
        after = note_rows(meeting)

    assert_not_server_error(response)
    if response.status_code == 302:
        note = after[0][0]
        assert note[:2] == (response.wsgi_request.POST.get("body", "").strip(), values["status"])
    else:
        assert after == before
        if "preview" not in response.wsgi_request.POST or response.context["preview"] is None:
            assert_form_errors(response, "form")


@pytest.mark.slow
@hostile_settings(max_examples=30)
@given(number=hostile_scalar.filter(lambda v: v != ""), extra=extra_fields)
def test_note_restore_answers_hostile_numbers_with_404(meeting, lead, number, extra):
    write_note(meeting, "First version.", "Second version.", author=lead)
    saved_numbers = set(meeting.note.revisions.values_list("number", flat=True))
    client = logged_in(lead)

    with rolled_back():
        before = note_rows(meeting)
        response = client.post(
            f"/meetings/{meeting.pk}/notes/history/{quote(number, safe='')}/restore/", extra
        )
        after = note_rows(meeting)

    assert_not_server_error(response)
    if number.isascii() and number.isdigit() and int(number) in saved_numbers:
        assert response.status_code == 302
    else:
        assert (response.status_code, after) == (400 if has_nul(number) else 404, before)


# --- Meeting change: move, cancel, restore --------------------------------------------------


def meeting_row(meeting):
    return list(
        Meeting.objects.filter(pk=meeting.pk).values_list(
            "starts_at", "ends_at", "room_override", "status", "public_note", "sequence"
        )
    )


MOVE_FIELDS = {
    "date": st.one_of(st.sampled_from(["2022-10-20", "2022-10-19", "2022-12-31"]), edge_date),
    "start_time": st.sampled_from(["18:00", "19:30", "06:00"]),
    "end_time": st.sampled_from(["20:00", "21:00", "18:00"]),
    "room": st.sampled_from(["2-151", "4-231", ""]),
    "note": st.sampled_from(["Moved for the midterms.", ""]),
    "move": st.just("Move meeting"),
}
CANCEL_FIELDS = {
    "reason": st.sampled_from(["No meeting: Veterans Day", " "]),
    "cancel": st.just("Cancel meeting"),
}
RESTORE_FIELDS = {"restore": st.just("Restore")}


@pytest.fixture
def undated_meeting(lead):
    """A meeting of a term with no first Monday yet: no dates to keep a move within."""
    term = TermFactory(first_monday=None, slug="undated")
    WeekFactory(term=term, number=1)
    section = SectionFactory(term=term, slug="tbd", leads=[lead])
    return Meeting.objects.get(section=section)


@pytest.mark.slow
@hostile_settings(max_examples=60)
@given(
    form=st.sampled_from([MOVE_FIELDS, CANCEL_FIELDS, RESTORE_FIELDS]).flatmap(
        lambda fields: field_values(fields, list(fields))
    ),
    extra=extra_fields,
    undated=st.booleans(),
)
def test_meeting_change_answers_hostile_posts_with_form_errors(
    meeting, undated_meeting, lead, form, extra, undated
):
    target = undated_meeting if undated else meeting
    client = logged_in(lead)

    with rolled_back():
        before = meeting_row(target)
        response = client.post(f"/meetings/{target.pk}/change/", form_data(form, extra))
        after = meeting_row(target)
        if response.status_code == 302:
            assert_term_pages_work(client, [target.section.term])

    assert_not_server_error(response)
    if response.status_code != 302:
        assert after == before
        if response.status_code == 200:
            assert_form_errors(response, "move_form", "cancel_form", "restore_form")
        else:  # none of the three buttons was sent
            assert response.status_code == 404


# --- Admin: meeting actions, the next term, Section forms -----------------------------------

MEETINGS = "/admin/sections/meeting/"


def admin_rows():
    return (
        list(Term.objects.values_list("pk", "name", "slug", "first_monday", "is_published")),
        Week.objects.count(),
        Reading.objects.count(),
        list(Section.objects.values_list("pk", "term", "name", "slug", "start_time", "room")),
        sorted(Meeting.objects.values_list("pk", "starts_at", "room_override", "status")),
    )


ACTION_FIELDS = {
    "reason": st.sampled_from(["No meeting: Veterans Day"]),
    "date": MOVE_FIELDS["date"],
    "start_time": MOVE_FIELDS["start_time"],
    "end_time": MOVE_FIELDS["end_time"],
    "room": MOVE_FIELDS["room"],
    "note": MOVE_FIELDS["note"],
    "name": st.sampled_from(["Spring 2023"]),
    "slug": st.sampled_from(["spring-2023", "fall-2022"]),
    "first_monday": st.one_of(st.sampled_from(["2023-02-06", "2023-02-07"]), edge_date),
    "skip_weeks": st.lists(
        st.one_of(
            st.sampled_from(["2023-02-13", "2023-03-20", "2023-02-07", "2022-01-03"]), edge_date
        ),
        max_size=3,
    ),
    "layout": st.just("Lay out the dates"),
    "apply": st.just("Apply"),
}


@pytest.mark.slow
@hostile_settings(max_examples=60)
@given(
    action=st.sampled_from(
        [
            (MEETINGS, "cancel_meetings"),
            (MEETINGS, "move_meeting"),
            (MEETINGS, "restore_meetings"),
            ("/admin/syllabus/term/", "start_next_term"),
        ]
    ),
    values=field_values(ACTION_FIELDS, list(ACTION_FIELDS)),
    selected=st.one_of(
        st.just("valid"), st.lists(hostile_scalar, min_size=1, max_size=2), st.just(MISSING)
    ),
    extra=extra_fields,
)
def test_admin_actions_answer_hostile_posts_without_500(
    fall2022, meeting, organizer, action, values, selected, extra
):
    url, name = action
    valid_pk = meeting.pk if url == MEETINGS else fall2022.pk
    values = {**values, "action": name, "_selected_action": selected}
    if selected == "valid":
        values["_selected_action"] = [str(valid_pk)]
    client = logged_in(organizer)

    with rolled_back():
        before = admin_rows()
        response = client.post(url, form_data(values, extra))
        after = admin_rows()
        if response.status_code == 302:
            assert_term_pages_work(client, Term.objects.all())

    assert_not_server_error(response)
    if response.status_code == 200:  # the action's form again, or the list ("select items")
        assert after == before
        assert response.templates[0].name in (
            "admin/sections/action_form.html",
            "admin/sections/term/next_term.html",
            "admin/change_list.html",
        )


@pytest.mark.slow
@hostile_settings(max_examples=40)
@given(
    page=st.sampled_from(["add", "change"]),
    changes=mutate(
        {
            "name": "Thursday",
            "slug": "thursday",
            "weekday": "3",
            "start_time": "18:00",
            "end_time": "20:00",
            "room": "2-190",
            "capacity": "30",
        },
        ["name", "slug", "weekday", "start_time", "end_time", "room", "capacity", "leads"],
    ),
    extra=extra_fields,
)
def test_section_admin_forms_answer_hostile_posts_with_form_errors(
    fall2022, organizer, page, changes, extra
):
    section = fall2022.sections.get(slug="wednesday")
    url = (
        "/admin/sections/section/add/"
        if page == "add"
        else f"/admin/sections/section/{section.pk}/change/"
    )
    changes = {"term": str(fall2022.pk), **changes}

    post_admin_form(logged_in(organizer), url, changes, extra, rows=admin_rows)
