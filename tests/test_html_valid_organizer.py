"""The organizers' admin pages this site draws or extends are valid HTML per the W3C Nu
checker: the index with its "This term" shortcuts, "Start the next term" (with its dates laid
out, and with errors), a new term's page listing copied texts that name the old term, and a
section's page with a time it cannot read."""

import pytest

from sections.models import Section
from tests.admin_forms import admin_change
from tests.html_checker import html_errors

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TERMS = "/admin/syllabus/term/"


def test_organizer_admin_pages_are_valid_html(client, fall2022, organizer, tmp_path):
    wednesday = Section.objects.get(term=fall2022, slug="wednesday")
    start = {
        "action": "start_next_term",
        "_selected_action": [fall2022.pk],
        "name": "Spring 2023",
        "slug": "spring-2023",
        "first_monday": "2023-02-06",
        "skip_weeks": ["2023-03-20"],
    }
    client.force_login(organizer)
    pages = {
        "index": client.get("/admin/"),
        "next term": client.post(
            TERMS, {"action": "start_next_term", "_selected_action": [fall2022.pk]}
        ),
        "next term laid out": client.post(TERMS, {**start, "layout": "1"}),
        "next term with errors": client.post(TERMS, {**start, "apply": "1", "slug": "fall-2022"}),
        "section with a bad time": admin_change(
            client, f"/admin/sections/section/{wednesday.pk}/change/", start_time="6"
        ),
    }
    new = client.post(TERMS, {**start, "apply": "1"}, follow=True)
    pages["new term with copied texts"] = new

    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 200)
    shown = {
        "index": 'id="this-term"',
        "next term laid out": "No meeting",
        "next term with errors": "already exists",
        "section with a bad time": "Say am or pm",
        "new term with copied texts": 'id="named-texts"',
    }
    assert {name: text in pages[name].content.decode() for name, text in shown.items()} == (
        dict.fromkeys(shown, True)
    )
    errors = html_errors({name: r.content.decode() for name, r in pages.items()}, tmp_path)

    assert errors == {name: [] for name in pages}
