"""The admin as organizers use it: every model there, list pages without N+1 queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import build_term

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
