"""The admin as organizers use it: every model there, list pages without N+1 queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.models import Paper, Term
from tests.admin_forms import admin_change, admin_form_data
from tests.factories import PaperFactory, UserFactory, build_term

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/syllabus/term/",
    "/admin/syllabus/week/",
    "/admin/syllabus/paper/",
    "/admin/syllabus/reading/",
    "/admin/sections/section/",
    "/admin/sections/meeting/",
]


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


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
