"""The admin as organizers use it: every model there, list pages without N+1 queries."""

import re
from types import SimpleNamespace

import pytest

from attendance.models import AttendanceRecord
from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section
from syllabus.models import Paper, Term, Week
from tests.admin_forms import admin_change, admin_form_data
from tests.factories import (
    AttendanceRecordFactory,
    PaperFactory,
    UserFactory,
    build_term,
    write_note,
)
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/syllabus/term/",
    "/admin/syllabus/week/",
    "/admin/syllabus/paper/",
    "/admin/syllabus/reading/",
    "/admin/sections/section/",
    "/admin/sections/meeting/",
]


@pytest.mark.parametrize("url", CHANGELISTS)
def test_admin_changelist_queries_do_not_grow_with_rows(client, organizer, url):
    client.force_login(organizer)
    build_term(weeks=1, readings_per_week=1, sections=1, slug="one")
    few = count_queries(client, url)

    build_term(weeks=10, readings_per_week=3, sections=3, slug="many")
    many = count_queries(client, url)

    assert many == few


def test_organizer_edits_a_week_with_its_readings_inline(client, organizer):
    client.force_login(organizer)
    term = build_term(weeks=1, readings_per_week=1, sections=1)
    week = term.weeks.get()
    reading = week.readings.get()

    response = client.get(f"/admin/syllabus/week/{week.pk}/change/")

    assert response.status_code == 200
    assert reading.paper.title in response.content.decode()
    assert [type(i).__name__ for i in response.context["inline_admin_formsets"]] == [
        "InlineAdminFormSet"
    ]


def test_organizer_sees_section_meetings_inline(client, organizer):
    client.force_login(organizer)
    term = build_term(weeks=3, readings_per_week=0, sections=1)
    section = term.sections.get()

    response = client.get(f"/admin/sections/section/{section.pk}/change/")

    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.queryset.count() == 3


def test_admin_section_form_shows_end_before_start_next_to_the_field(client, organizer):
    client.force_login(organizer)
    term = build_term(weeks=0, readings_per_week=0, sections=0)

    response = client.post(
        "/admin/sections/section/add/",
        {
            "term": term.pk,
            "name": "Backwards",
            "slug": "backwards",
            "weekday": 2,
            "start_time": "20:00",
            "end_time": "18:00",
            "room": "2-151",
            "meetings-TOTAL_FORMS": 0,
            "meetings-INITIAL_FORMS": 0,
        },
    )

    assert response.context["adminform"].form.errors == {
        "end_time": ["The end time must be after the start time."]
    }
    assert term.sections.count() == 0


def test_paper_autocomplete_finds_papers_by_title(client, organizer):
    client.force_login(organizer)
    term = build_term(weeks=1, readings_per_week=2, sections=0)
    paper = term.weeks.get().readings.first().paper

    response = client.get(
        "/admin/autocomplete/",
        {
            "term": paper.title,
            "app_label": "syllabus",
            "model_name": "reading",
            "field_name": "paper",
        },
    )

    assert [r["text"] for r in response.json()["results"]] == [str(paper)]


def test_user_autocomplete_works_for_organizers(client, organizer):
    client.force_login(organizer)
    build_term(weeks=0, readings_per_week=0, sections=1)

    response = client.get(
        "/admin/autocomplete/",
        {"term": "user", "app_label": "sections", "model_name": "section", "field_name": "leads"},
    )

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


IMPORT_URL = "/admin/syllabus/paper/import/"


def test_paper_changelist_has_an_import_button(client, organizer):
    client.force_login(organizer)

    response = client.get("/admin/syllabus/paper/")

    assert f'<a href="{IMPORT_URL}" class="addlink">Import papers</a>' in response.content.decode()


def test_organizer_pastes_bibtex_and_sees_the_papers(client, organizer):
    client.force_login(organizer)
    PaperFactory(title="Grokking", arxiv_id="2201.02177")
    text = (
        "@article{olah2020zoom, title={Zoom In: An Introduction to Circuits}, "
        "author={Olah, Chris and Cammarata, Nick}, year={2020}, journal={Distill}}\n"
        "https://arxiv.org/abs/2201.02177v2\n"
        "@article{broken, title={never closed\n"
    )

    response = client.post(IMPORT_URL, {"text": text})

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "1 created, 0 updated, 1 skipped (already there).",
        "1 item(s) were not imported: each is listed below with the reason.",
    ]
    content = response.content.decode()
    assert "Zoom In: An Introduction to Circuits (2020)</a>" in content
    assert "Not valid BibTeX:" in content
    paper = Paper.objects.get(title="Zoom In: An Introduction to Circuits")
    assert (paper.authors, paper.venue) == ("Chris Olah, Nick Cammarata", "Distill")


def test_arxiv_ids_after_a_broken_entry_are_imported_and_the_summary_is_true(client, organizer):
    client.force_login(organizer)
    text = (
        "not-an-id\n"
        "@article{good, title={Good paper}}\n"
        "@article{broken, title={never closed,\n"
        "  year = {2020}\n"
        "2201.02177\n"
        "hep-th/9901001, math.GT/0309136\n"
    )

    response = client.post(IMPORT_URL, {"text": text})

    assert [str(m) for m in response.context["messages"]] == [
        "4 created, 0 updated, 0 skipped (already there).",
        "2 item(s) were not imported: each is listed below with the reason.",
        "3 paper(s) came from an arXiv id alone. This site does not fetch from arXiv, so each "
        "is titled “arXiv:<id>” for now: edit it, or paste its BibTeX (arXiv's “Export BibTeX "
        "citation”) to fill it in.",
    ]
    content = response.content.decode()
    rows = re.findall(r"<tr(?: class=\"errors\")?><td>(?:<strong>)?([\w ]+)", content)
    assert rows == ["Created"] * 4 + ["Not imported"] * 2
    assert "Lines 3–4 were read as this entry and not imported." in content
    assert sorted(Paper.objects.values_list("title", flat=True)) == [
        "Good paper",
        "arXiv:2201.02177",
        "arXiv:hep-th/9901001",
        "arXiv:math.GT/0309136",
    ]


def test_import_refuses_a_paste_over_the_size_limit(client, organizer):
    client.force_login(organizer)

    response = client.post(IMPORT_URL, {"text": "2201.02177," * 20_001})

    assert response.context["form"].errors == {
        "text": [
            "That is 220,011 characters; paste at most 200,000 at a time (split the file and "
            "import it in parts)."
        ]
    }
    assert Paper.objects.count() == 0


def test_import_says_arxiv_is_not_contacted(client, organizer):
    client.force_login(organizer)

    response = client.post(IMPORT_URL, {"text": "hep-th/9901001"})

    assert [str(m) for m in response.context["messages"]][-1].startswith(
        "1 paper(s) came from an arXiv id alone. This site does not fetch from arXiv"
    )
    assert list(Paper.objects.values_list("title", flat=True)) == ["arXiv:hep-th/9901001"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_import_is_for_those_who_may_add_papers(client, method):
    staff = UserFactory(username="staff", is_staff=True)  # staff, not an organizer
    client.force_login(staff)

    response = getattr(client, method)(IMPORT_URL, {"text": "2201.02177"})

    assert response.status_code == 403
    assert Paper.objects.count() == 0


def test_anonymous_import_goes_to_the_admin_login(client):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={IMPORT_URL}"


# --- Ids that are not ids (found by the hostile-input properties) ---------------------------


def test_autocomplete_value_that_is_no_id_is_a_form_error_not_a_500(client, organizer):
    """Django's autocomplete widget looked the posted value up to show the form again, and a
    value that is no id raised ValueError."""
    client.force_login(organizer)
    client.raise_request_exception = False
    term = build_term(weeks=0, readings_per_week=0, sections=0)

    response = client.post(
        "/admin/sections/section/add/",
        {
            "term": term.pk,
            "name": "Thursday",
            "slug": "thursday",
            "weekday": 3,
            "start_time": "18:00",
            "end_time": "20:00",
            "room": "2-151",
            "leads": ["None"],
            "meetings-TOTAL_FORMS": "0",
            "meetings-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"leads": ["“None” is not a valid value."]}


def test_action_on_a_selection_that_is_no_id_goes_back_with_a_message(client, organizer):
    """Django's admin filtered the list by the ticked ids as they came: ValueError, a 500."""
    client.force_login(organizer)
    client.raise_request_exception = False
    term = build_term(weeks=1, readings_per_week=0, sections=0)

    response = client.post(
        "/admin/syllabus/term/",
        {"action": "delete_selected", "_selected_action": [str(term.pk), "abc"]},
        follow=True,
    )

    assert response.redirect_chain == [("/admin/syllabus/term/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "The selection was not understood (it names no items); select them again."
    ]
    assert list(Term.objects.all()) == [term]


def test_lead_id_beyond_any_integer_is_a_form_error_not_a_500(client, organizer):
    """SQLite raised OverflowError for a number beyond 64 bits in the leads' lookup."""
    client.force_login(organizer)
    client.raise_request_exception = False
    term = build_term(weeks=0, readings_per_week=0, sections=0)
    huge = "1" + "0" * 30

    response = client.post(
        "/admin/sections/section/add/",
        {
            "term": term.pk,
            "name": "Thursday",
            "slug": "thursday",
            "weekday": 3,
            "start_time": "18:00",
            "end_time": "20:00",
            "room": "2-151",
            "leads": [huge],
            "meetings-TOTAL_FORMS": "0",
            "meetings-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "leads": [f"“{huge}” is not a valid value."]
    }


def test_action_on_an_id_beyond_any_integer_goes_back_with_a_message(client, organizer):
    client.force_login(organizer)
    client.raise_request_exception = False
    build_term(weeks=1, readings_per_week=0, sections=0)

    response = client.post(
        "/admin/syllabus/term/",
        {"action": "delete_selected", "_selected_action": ["1" + "0" * 30]},
    )

    assert response.status_code == 302
    assert Term.objects.count() == 1


def test_a_forged_form_count_builds_at_most_100_inline_forms(client, organizer):
    """Found by the hostile-input properties: TOTAL_FORMS=9999999999 made Django build 2,000
    week forms (ten seconds for one request)."""
    client.force_login(organizer)
    term = build_term(weeks=1, readings_per_week=0, sections=0)
    data = admin_form_data(client.get(f"/admin/syllabus/term/{term.pk}/change/"))

    response = client.post(
        f"/admin/syllabus/term/{term.pk}/change/", {**data, "weeks-TOTAL_FORMS": "9999999999"}
    )

    formset = response.context["inline_admin_formsets"][0].formset
    assert (response.status_code, len(formset.forms)) == (200, 100)
    assert formset.non_form_errors() == ["Please submit at most 100 forms."]


# --- Renumbering weeks in the term's Weeks inline ------------------------------------------


def week_rows(page):
    """The Weeks inline's form prefix for each week's number, as the change page shows it."""
    formset = page.context["inline_admin_formsets"][0].formset
    return {form.instance.number: form.prefix for form in formset.initial_forms}


def test_swapping_two_weeks_in_the_term_inline_saves_and_each_keeps_its_meetings(client, organizer):
    client.force_login(organizer)
    term = build_term(weeks=6, readings_per_week=1, sections=2)
    fifth, sixth = term.weeks.get(number=5), term.weeks.get(number=6)
    note = write_note(Meeting.objects.filter(week=fifth).first(), "What we said in week 5.")
    record = AttendanceRecordFactory(meeting=Meeting.objects.filter(week=sixth).first())
    url = f"/admin/syllabus/term/{term.pk}/change/"
    page = client.get(url)
    rows = week_rows(page)

    response = client.post(
        url, admin_form_data(page, **{f"{rows[5]}-number": "6", f"{rows[6]}-number": "5"})
    )

    assert response.status_code == 302
    assert list(term.weeks.values_list("number", "title")) == [
        *[(n, week.title) for n, week in enumerate(term.weeks.order_by("pk")[:4], 1)],
        (5, sixth.title),
        (6, fifth.title),
    ]
    note.refresh_from_db()
    record.refresh_from_db()
    assert (note.meeting.week_id, note.body) == (fifth.pk, "What we said in week 5.")
    assert record.meeting.week_id == sixth.pk
    # Their meetings now fall in the week their new number says.
    in_week = {
        (meeting.week_id, (meeting.local_start().date() - term.first_monday).days // 7 + 1)
        for meeting in Meeting.objects.filter(week__in=[fifth, sixth]).in_section_order()
    }
    assert in_week == {(fifth.pk, 6), (sixth.pk, 5)}


def test_deleting_a_week_and_giving_its_number_to_another_saves(client, organizer):
    client.force_login(organizer)
    term = build_term(weeks=6, readings_per_week=0, sections=1)
    fifth = term.weeks.get(number=5)
    url = f"/admin/syllabus/term/{term.pk}/change/"
    page = client.get(url)
    rows = week_rows(page)

    response = client.post(
        url, admin_form_data(page, **{f"{rows[5]}-number": "6", f"{rows[6]}-DELETE": "on"})
    )

    assert response.status_code == 302
    assert list(term.weeks.values_list("number", flat=True)) == [1, 2, 3, 4, 6]
    assert term.weeks.get(number=6).pk == fifth.pk


# --- Deleting what holds notes or attendance -------------------------------------------------


@pytest.fixture
def held(db):
    """A term whose week 5 holds data: its first section's meeting a discussion note, its
    second section's meeting 12 attendance records; the third section holds nothing."""
    term = build_term(weeks=6, readings_per_week=1, sections=3)
    week = term.weeks.get(number=5)
    first, second, _ = week.meetings.in_section_order()
    write_note(first, "What we said.")
    AttendanceRecordFactory.create_batch(12, meeting=second)
    return SimpleNamespace(term=term, week=week, first=first, second=second)


def kept_counts():
    return (
        Term.objects.count(),
        Week.objects.count(),
        Section.objects.count(),
        Meeting.objects.count(),
        DiscussionNote.objects.count(),
        DiscussionNoteRevision.objects.count(),
        AttendanceRecord.objects.count(),
    )


def test_a_week_holding_notes_or_attendance_is_refused_in_the_term_inline(client, organizer, held):
    client.force_login(organizer)
    url = f"/admin/syllabus/term/{held.term.pk}/change/"
    page = client.get(url)
    rows = week_rows(page)
    before = kept_counts()

    response = client.post(
        url,
        admin_form_data(
            page, title="Renamed", **{f"{rows[4]}-DELETE": "on", f"{rows[5]}-DELETE": "on"}
        ),
    )

    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.non_form_errors() == [
        f"Week 5: {held.week.title} cannot be deleted: its meetings hold 1 discussion note "
        f"({held.first}) and 12 attendance records ({held.second}). Untick its “Delete” box to "
        "save your other changes."
    ]
    assert "Please correct the error below." in response.content.decode()
    assert kept_counts() == before
    assert Term.objects.get().title == "The Science of Deep Learning"

    # Week 5 unticked, the rest of the page saves: week 4 (which holds nothing) goes.
    data = admin_form_data(response)
    del data[f"{rows[5]}-DELETE"]
    again = client.post(url, data)

    assert again.status_code == 302
    assert list(held.term.weeks.values_list("number", flat=True)) == [1, 2, 3, 5, 6]
    assert Term.objects.get().title == "Renamed"


ADMIN_PATHS = {
    "term": "syllabus/term",
    "week": "syllabus/week",
    "section": "sections/section",
    "meeting": "sections/meeting",
}


def refused(held, kind):
    """(an object of `kind` that holds data, one that holds nothing, the refusal message)."""
    section = held.first.section
    if kind == "term":
        free = build_term(weeks=2, readings_per_week=0, sections=1, slug="free")
        return (
            held.term,
            free,
            f"{held.term} cannot be deleted: its meetings hold 1 discussion note ({held.first}) "
            f"and 12 attendance records ({held.second}).",
        )
    if kind == "week":
        return (
            held.week,
            held.term.weeks.get(number=4),
            f"Week 5: {held.week.title} cannot be deleted: its meetings hold 1 discussion note "
            f"({held.first}) and 12 attendance records ({held.second}).",
        )
    if kind == "section":
        return (
            section,
            held.term.sections.exclude(pk__in=[section.pk, held.second.section_id]).get(),
            f"{section} cannot be deleted: its meetings hold 1 discussion note ({held.first}).",
        )
    return (
        held.second,
        Meeting.objects.get(section=held.second.section, week__number=4),
        f"{held.second} cannot be deleted: it holds 12 attendance records.",
    )


@pytest.mark.parametrize("kind", ADMIN_PATHS)
def test_the_delete_page_refuses_what_holds_notes_or_attendance_and_says_what(
    client, organizer, held, kind
):
    client.force_login(organizer)
    obj, _, message = refused(held, kind)
    url = f"/admin/{ADMIN_PATHS[kind]}/{obj.pk}/delete/"
    before = kept_counts()

    page = client.get(url)
    confirmed = client.post(url, {"post": "yes"})

    for response in (page, confirmed):
        assert response.status_code == 200
        assert response.context["protected"] == [message]
        assert response.context["perms_lacking"] == set()
        assert 'name="post"' not in response.content.decode()  # no button to confirm
    assert kept_counts() == before


@pytest.mark.parametrize("kind", ADMIN_PATHS)
def test_bulk_delete_refuses_a_selection_holding_notes_or_attendance_and_deletes_none(
    client, organizer, held, kind
):
    client.force_login(organizer)
    obj, free, message = refused(held, kind)
    model = type(obj)
    before = model.objects.count()
    action = {"action": "delete_selected", "_selected_action": [str(obj.pk), str(free.pk)]}

    page = client.post(f"/admin/{ADMIN_PATHS[kind]}/", action)
    confirmed = client.post(f"/admin/{ADMIN_PATHS[kind]}/", {**action, "post": "yes"})

    for response in (page, confirmed):
        assert response.status_code == 200
        assert response.context["protected"] == [message]
    assert model.objects.count() == before

    # What holds nothing still goes, through the same action.
    client.post(
        f"/admin/{ADMIN_PATHS[kind]}/",
        {"action": "delete_selected", "_selected_action": [str(free.pk)], "post": "yes"},
    )
    assert model.objects.count() == before - 1
    assert model.objects.filter(pk=obj.pk).exists()


ONE_LINE_ERROR = (
    "Write this on one line: line breaks, tabs and other control characters are not allowed here."
)


def test_term_admin_refuses_line_breaks_in_names_next_to_each_field(client, organizer):
    client.force_login(organizer)
    term = build_term(weeks=2, readings_per_week=0, sections=0, name="Fall 2022")
    url = f"/admin/syllabus/term/{term.pk}/change/"
    titles = list(term.weeks.values_list("title", flat=True))

    response = admin_change(
        client, url, name="Fall\n2022", title="Deep\r\nLearning", **{"weeks-1-title": "A\nB"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": [ONE_LINE_ERROR],
        "title": [ONE_LINE_ERROR],
    }
    [weeks] = response.context["inline_admin_formsets"]
    assert [form.errors for form in weeks.formset.forms] == [{}, {"title": [ONE_LINE_ERROR]}]
    assert ONE_LINE_ERROR in response.content.decode()
    term.refresh_from_db()
    assert (term.name, list(term.weeks.values_list("title", flat=True))) == ("Fall 2022", titles)


def test_paper_admin_refuses_a_title_on_two_lines(client, organizer):
    client.force_login(organizer)
    paper = PaperFactory(title="Grokking")

    response = admin_change(client, f"/admin/syllabus/paper/{paper.pk}/change/", title="Grok\nking")

    assert response.context["adminform"].form.errors == {"title": [ONE_LINE_ERROR]}
    paper.refresh_from_db()
    assert paper.title == "Grokking"
