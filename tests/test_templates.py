"""Shared template pieces render the pages as they were before they were shared: the `people`
filter, the breadcrumb include and the common <head>."""

import re

import pytest
from django.template.defaultfilters import date

from sections.models import Section
from tests.factories import UserFactory, write_note
from tests.hostile import STORED_HTML, STORED_HTML_ESCAPED

pytestmark = pytest.mark.django_db

THREE = f"Eric Michaud, Alex Infanger and {STORED_HTML_ESCAPED}"


def lines(response, pattern):
    return re.findall(pattern, response.content.decode())


def test_led_by_names_one_and_three_leads_on_every_page(client, fall2022):
    friday = Section.objects.get(term=fall2022, slug="friday")
    friday.leads.add(UserFactory(username="third", first_name=STORED_HTML, last_name=""))
    led_by = r'<p class="[^"]*">Led by [^<]*</p>'

    pages = {
        url: lines(client.get(url), led_by)
        for url in [
            "/",
            "/terms/fall-2022/weeks/2/",
            "/terms/fall-2022/sections/wednesday/",
            "/terms/fall-2022/sections/friday/",
        ]
    }

    assert pages == {
        "/": [
            '<p class="mb-1 section-leads">Led by Eric Michaud</p>',
            f'<p class="mb-1 section-leads">Led by {THREE}</p>',
        ],
        "/terms/fall-2022/weeks/2/": [
            '<p class="small text-body-secondary mb-1">Led by Eric Michaud</p>',
            f'<p class="small text-body-secondary mb-1">Led by {THREE}</p>',
        ],
        "/terms/fall-2022/sections/wednesday/": [
            '<p class="section-leads">Led by Eric Michaud</p>',
        ],
        "/terms/fall-2022/sections/friday/": [
            f'<p class="section-leads">Led by {THREE}</p>',
        ],
    }


def test_organizers_and_note_authors_are_named_in_one_sentence(client, fall2022):
    friday = Section.objects.get(term=fall2022, slug="friday")
    meeting = friday.meetings.get(week__number=2)
    third = UserFactory(username="third", first_name="", last_name="")
    friday.leads.add(third)
    for author in friday.leads.order_by("pk"):
        write_note(meeting, f"Written by {author.username}.", author=author)

    home = client.get("/")
    week = client.get("/terms/fall-2022/weeks/2/")

    assert lines(home, r"Organized by [^<]*\.") == [
        "Organized by Eric Michaud, Kaivu Hariharan and Guilhermo Cutrim Costa,"
        " with support from the MIT AI Alignment Club (MAIA)."
    ]
    assert lines(week, r"Notes by [^<]*\.") == [
        "Notes by Eric Michaud, Alex Infanger and third,"
        f" updated {date(meeting.note.updated_at, 'M j, Y')}."
    ]
