"""Shared template pieces render the pages as they were before they were shared: the `people`
filter, the breadcrumb include and the common <head>."""

import re

import pytest
from django.template import Context, Template
from django.template.defaultfilters import date
from django.template.loader import render_to_string

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


def breadcrumb(html):
    """The page's breadcrumb <nav>, with the whitespace between tags taken out."""
    [nav] = re.findall(r'<nav aria-label="Breadcrumb">.*?</nav>', html, re.S)
    return re.sub(r">\s+<", "><", nav)


def crumbs(*links, current):
    items = "".join(
        f'<li class="breadcrumb-item"><a href="{url}">{label}</a></li>' for label, url in links
    )
    return (
        '<nav aria-label="Breadcrumb"><ol class="breadcrumb">'
        f'{items}<li class="breadcrumb-item active" aria-current="page">{current}</li>'
        "</ol></nav>"
    )


@pytest.mark.parametrize("count", [0, 1, 3])
def test_breadcrumbs_include_links_each_label_then_names_the_page(count):
    context = {"current": STORED_HTML}
    for n in range(1, count + 1):
        context |= {f"label{n}": f"{STORED_HTML} {n}", f"url{n}": f"/{n}/?a=1&b=<{n}>"}

    html = render_to_string("includes/breadcrumbs.html", context)

    assert breadcrumb(html) == crumbs(
        *[
            (f"{STORED_HTML_ESCAPED} {n}", f"/{n}/?a=1&amp;b=&lt;{n}&gt;")
            for n in range(1, count + 1)
        ],
        current=STORED_HTML_ESCAPED,
    )


def test_public_breadcrumbs_are_as_they_were(client, fall2022):
    friday = Section.objects.get(term=fall2022, slug="friday")
    friday.name = STORED_HTML
    friday.save()
    term = ("Fall 2022", "/terms/fall-2022/")

    pages = {
        url: breadcrumb(client.get(url).content.decode())
        for url in [
            "/terms/fall-2022/readings/",
            "/terms/fall-2022/weeks/6/",
            "/terms/fall-2022/sections/friday/",
        ]
    }

    assert pages == {
        "/terms/fall-2022/readings/": crumbs(term, current="Reading list"),
        "/terms/fall-2022/weeks/6/": crumbs(term, current="Week 6"),
        "/terms/fall-2022/sections/friday/": crumbs(term, current=f"{STORED_HTML_ESCAPED} section"),
    }


def test_lead_breadcrumbs_are_as_they_were(client, fall2022, organizer):
    friday = Section.objects.get(term=fall2022, slug="friday")
    friday.name = STORED_HTML
    friday.save()
    meeting = friday.meetings.get(week__number=3)
    write_note(meeting, "Notes.")
    term = ("Fall 2022", "/terms/fall-2022/")
    week = ("Week 3", f"/terms/fall-2022/weeks/3/#section-{friday.slug}")
    dashboard = ("My meetings", "/attendance/")
    notes = (f"{STORED_HTML_ESCAPED} notes", f"/meetings/{meeting.pk}/notes/")
    client.force_login(organizer)

    pages = {
        url: breadcrumb(client.get(url).content.decode())
        for url in [
            f"/attendance/meetings/{meeting.pk}/",
            f"/attendance/sections/{friday.pk}/report/",
            "/attendance/terms/fall-2022/",
            f"/meetings/{meeting.pk}/change/",
            f"/meetings/{meeting.pk}/notes/",
            f"/meetings/{meeting.pk}/notes/history/",
        ]
    }

    assert pages == {
        f"/attendance/meetings/{meeting.pk}/": crumbs(
            dashboard, current=f"{STORED_HTML_ESCAPED}, week 3"
        ),
        f"/attendance/sections/{friday.pk}/report/": crumbs(
            dashboard, current=f"{STORED_HTML_ESCAPED} report"
        ),
        "/attendance/terms/fall-2022/": crumbs(dashboard, current="Fall 2022 attendance"),
        f"/meetings/{meeting.pk}/change/": crumbs(
            term,
            (f"{STORED_HTML_ESCAPED} section", "/terms/fall-2022/sections/friday/"),
            current="Change week 3",
        ),
        f"/meetings/{meeting.pk}/notes/": crumbs(term, week, current=notes[0]),
        f"/meetings/{meeting.pk}/notes/history/": crumbs(term, week, notes, current="History"),
    }


def head(html):
    """The page's <head> without its <title>, with the whitespace between tags taken out."""
    [head] = re.findall(r"<head>.*?</head>", html, re.S)
    return re.sub(r">\s+<", "><", re.sub(r"<title>.*?</title>", "", head))


def test_error_pages_have_the_site_head_and_need_no_database(
    client, fall2022, django_assert_num_queries
):
    site_head = head(client.get("/terms/fall-2022/readings/").content.decode())

    with django_assert_num_queries(0):
        heads = {name: head(render_to_string(name)) for name in ["500.html", "503.html"]}

    assert heads == {"500.html": site_head, "503.html": site_head}
    assert site_head.count("<link") == 3


def test_a_standalone_page_adds_to_the_head_as_a_site_page_does():
    extra = '<meta name="robots" content="noindex">'
    page = Template('{% extends "standalone.html" %}{% block head %}' + extra + "{% endblock %}")

    assert head(page.render(Context())) == head(render_to_string("503.html")).replace(
        "</head>", f"{extra}</head>"
    )
