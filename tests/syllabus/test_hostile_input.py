"""Hostile input (hypothesis) at the syllabus app's URLs and the organizers' admin: the terms
archive's `?page=`, the reading list URLs, the paper import paste, the Term, Week and Paper
forms and the admin lists' search and filters. Never a 500; an answer that is not a success
changes nothing. See tests/hostile.py for the values thrown."""

from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from sections.models import Meeting, Section
from syllabus.models import Paper, Reading, Term, Week
from tests.admin_forms import post_admin_form
from tests.factories import TermFactory
from tests.hostile import (
    any_text,
    assert_form_errors,
    assert_not_server_error,
    edge_date,
    edge_number,
    extra_fields,
    form_data,
    has_nul,
    hostile_scalar,
    hostile_settings,
    hostile_value,
    mutate,
    rolled_back,
)

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def syllabus_rows():
    return (
        sorted(Term.objects.values_list("pk", "name", "slug", "first_monday", "time_zone")),
        sorted(Week.objects.values_list("pk", "term", "number", "title", "starts_on_override")),
        sorted(Paper.objects.values_list("pk", "title", "authors", "year", "arxiv_id", "doi")),
        sorted(Reading.objects.values_list("pk", "week", "paper", "kind", "order", "note")),
        sorted(Section.objects.values_list("pk", "term", "slug")),
        sorted(Meeting.objects.values_list("pk", "starts_at", "ends_at")),
    )


# --- Public URLs ----------------------------------------------------------------------------


@pytest.mark.slow
@hostile_settings(max_examples=30)
@given(page=hostile_value, query=extra_fields)
def test_terms_archive_shows_a_page_whatever_the_page_parameter(fall2022, page, query):
    client = Client(raise_request_exception=False)
    data = form_data({"page": page}, query)
    if hasattr(data.get("page"), "read"):
        del data["page"]  # a GET carries no file

    with rolled_back():
        TermFactory.create_batch(25, is_published=True)  # two pages of 20
        response = client.get("/terms/", data)

    assert_not_server_error(response)
    if has_nul(data):
        assert response.status_code == 400
    else:
        assert response.status_code == 200
        assert response.context["page"].number in (1, 2)


@pytest.mark.slow
@hostile_settings(max_examples=30)
@given(
    url=st.sampled_from(["/terms/{term}/readings/", "/terms/{term}/readings.bib"]),
    term=st.one_of(st.just("fall-2022"), hostile_scalar.filter(lambda v: v != "")),
    query=extra_fields,
)
def test_reading_list_urls_answer_the_page_or_404(fall2022, url, term, query):
    client = Client(raise_request_exception=False)

    with rolled_back():
        response = client.get(url.format(term=quote(term, safe="")), query)

    assert_not_server_error(response)
    if has_nul(term, query):
        assert response.status_code == 400
    else:
        assert response.status_code == (200 if term == "fall-2022" else 404)


# --- Admin: the paper import ----------------------------------------------------------------

BIBTEX_FIELD = st.sampled_from(
    ["title", "author", "year", "journal", "eprint", "archiveprefix", "doi", "url", "abstract"]
)


def _bibtex(kind, key, fields):
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
    return f"@{kind}{{{key},\n{body}\n}}"


bibtex_entry = st.builds(
    _bibtex,
    st.sampled_from(["article", "misc", "inproceedings", "", "comment", "string"]),
    st.one_of(st.just("power2022grokking"), any_text),
    st.dictionaries(BIBTEX_FIELD, st.one_of(st.just("Grokking"), hostile_scalar), max_size=6),
)

paste = st.one_of(
    hostile_value,
    bibtex_entry,
    st.lists(
        st.one_of(bibtex_entry, st.sampled_from(["2201.02177", "hep-th/9901001"]), any_text)
    ).map("\n".join),
)


@pytest.mark.slow
@hostile_settings(max_examples=60)
@given(text=paste, extra=extra_fields)
def test_paper_import_answers_hostile_pastes_with_a_report_or_form_errors(organizer, text, extra):
    client = logged_in(organizer)

    with rolled_back():
        before = syllabus_rows()
        response = client.post("/admin/syllabus/paper/import/", form_data({"text": text}, extra))
        after = syllabus_rows()
        for paper in Paper.objects.all():
            paper.full_clean(exclude=["authors"])  # everything saved is a valid paper

    assert_not_server_error(response)
    assert response.status_code == 200
    if response.context["result"] is None:
        assert after == before
        assert_form_errors(response, "form")


# --- Admin: Term, Week and Paper forms ------------------------------------------------------

TERM_FIELDS = {
    "name": "Spring 2023",
    "slug": "spring-2023",
    "title": "The Science of Deep Learning",
    "first_monday": "2023-02-06",
    "time_zone": "America/New_York",
    "weeks-TOTAL_FORMS": "1",
    "weeks-0-number": "1",
    "weeks-0-title": "Outlook",
    "weeks-0-starts_on_override": "",
}
WEEK_FIELDS = {
    "number": "12",
    "title": "Grokking",
    "tagline": "Why does generalisation come late?",
    "summary": "",
    "starts_on_override": "",
    "readings-TOTAL_FORMS": "1",
    "readings-0-paper": "PAPER",
    "readings-0-kind": "required",
    "readings-0-order": "0",
    "readings-0-note": "sections 1-3",
}
PAPER_FIELDS = {
    "title": "Grokking",
    "authors": "Alethea Power, Yuri Burda",
    "year": "2022",
    "venue": "",
    "arxiv_id": "2201.02177",
    "doi": "",
    "url": "https://arxiv.org/abs/2201.02177",
    "abstract": "",
}
EXTRA_TERM_FIELDS = ["institution", "intro", "supporters", "organizers", "is_published"]


EDGES = {
    "first_monday": edge_date,
    "starts_on_override": edge_date,
    "weeks-0-starts_on_override": edge_date,
    "number": edge_number,
    "weeks-0-number": edge_number,
    "year": edge_number,
    "readings-0-order": edge_number,
    "weeks-TOTAL_FORMS": edge_number,
    "readings-TOTAL_FORMS": edge_number,
}


@pytest.fixture
def admin_baselines():
    """The admin forms' data as the pages show them, fetched once per test (not per example)."""
    return {}


def add_or_change(model, obj):
    return st.sampled_from(
        [f"/admin/syllabus/{model}/add/", f"/admin/syllabus/{model}/{obj.pk}/change/"]
    )


@pytest.mark.slow
@hostile_settings(max_examples=40)
@given(
    data=st.data(),
    changes=mutate(TERM_FIELDS, [*TERM_FIELDS, *EXTRA_TERM_FIELDS], edges=EDGES),
    extra=extra_fields,
)
def test_term_forms_answer_hostile_posts_with_form_errors(
    fall2022, organizer, admin_baselines, data, changes, extra
):
    url = data.draw(add_or_change("term", fall2022))
    post_admin_form(
        logged_in(organizer), url, changes, extra, rows=syllabus_rows, baselines=admin_baselines
    )


@pytest.mark.slow
@hostile_settings(max_examples=40)
@given(
    data=st.data(),
    changes=mutate(WEEK_FIELDS, [*WEEK_FIELDS, "term"], edges=EDGES),
    extra=extra_fields,
)
def test_week_forms_answer_hostile_posts_with_form_errors(
    fall2022, organizer, admin_baselines, data, changes, extra
):
    url = data.draw(add_or_change("week", fall2022.weeks.get(number=6)))
    paper = str(Paper.objects.order_by("pk").first().pk)
    changes = {"term": str(fall2022.pk), **changes}
    changes = {key: paper if value == "PAPER" else value for key, value in changes.items()}
    post_admin_form(
        logged_in(organizer), url, changes, extra, rows=syllabus_rows, baselines=admin_baselines
    )


@pytest.mark.slow
@hostile_settings(max_examples=40)
@given(
    data=st.data(),
    changes=mutate(PAPER_FIELDS, list(PAPER_FIELDS), edges=EDGES),
    extra=extra_fields,
)
def test_paper_forms_answer_hostile_posts_with_form_errors(
    fall2022, organizer, admin_baselines, data, changes, extra
):
    url = data.draw(add_or_change("paper", Paper.objects.order_by("pk").first()))
    post_admin_form(
        logged_in(organizer), url, changes, extra, rows=syllabus_rows, baselines=admin_baselines
    )


CHANGELIST_PARAMETERS = st.sampled_from(
    ["q", "o", "p", "e", "all", "_popup", "_to_field", "is_published__exact", "time_zone",
     "first_monday__year", "first_monday__month", "year", "term__id__exact", "kind__exact",
     "readings__week__term__id__exact", "status__exact", "section__term__id__exact",
     "weekday__exact", "enrollments__section__id__exact"]
)  # fmt: skip


@pytest.mark.slow
@hostile_settings(max_examples=50)
@given(
    url=st.sampled_from(
        [
            "/admin/syllabus/term/",
            "/admin/syllabus/week/",
            "/admin/syllabus/paper/",
            "/admin/syllabus/reading/",
            "/admin/sections/section/",
            "/admin/sections/meeting/",
            "/admin/sections/discussionnote/",
            "/admin/attendance/member/",
            "/admin/attendance/attendancerecord/",
        ]
    ),
    query=st.dictionaries(st.one_of(CHANGELIST_PARAMETERS, any_text), hostile_scalar, max_size=3),
)
@example(url="/admin/syllabus/term/", query={"time_zone": "\x00"})  # was a 500 on PostgreSQL
@example(url="/admin/syllabus/paper/", query={"q": "a\x00b"})
def test_admin_lists_answer_hostile_searches_and_filters(fall2022, organizer, url, query):
    client = logged_in(organizer)

    with rolled_back():
        response = client.get(url, query)

    assert_not_server_error(response)
    # 302: to ?e=1 for a filter the list does not know; 400: a _to_field it does not allow, or
    # a NUL character.
    assert response.status_code in (200, 302, 400), response.status_code
