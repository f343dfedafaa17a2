import datetime

import pytest
from django.utils import timezone

from sections.models import Meeting
from sections.services import cancel_meeting
from tests.factories import SectionFactory, TermFactory, WeekFactory, build_term
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


def test_term_schedule_is_the_same_page_as_home_for_the_current_term(client, fall2022):
    home = client.get("/")
    term_page = client.get("/terms/fall-2022/")

    def main(response):
        return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]

    assert main(home) == main(term_page)
    assert home.context["term"] == fall2022


def test_home_without_any_published_term_says_so(client, db):
    TermFactory(is_published=False)

    response = client.get("/")

    assert response.status_code == 200
    assert "No term is published yet." in response.content.decode()


def test_schedule_highlights_the_current_week(client):
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    term = TermFactory(first_monday=monday - datetime.timedelta(weeks=1))
    WeekFactory(term=term, number=1, title="Last week's topic")
    WeekFactory(term=term, number=2, title="This week's topic")

    response = client.get(term.get_absolute_url())

    assert response.context["schedule"].current_week.number == 2
    assert 'id="week-2" aria-current="date"' in response.content.decode()


def test_schedule_shows_format_note_only_for_long_sections(client):
    term = TermFactory(format_note="Read first, then talk.")
    SectionFactory(term=term, start_time=datetime.time(19), end_time=datetime.time(20))

    response = client.get(term.get_absolute_url())

    assert "Read first, then talk." not in response.content.decode()


def test_week_page_shows_topic_readings_and_meetings(client, fall2022):
    response = client.get("/terms/fall-2022/weeks/6/")

    content = response.content.decode()
    assert response.status_code == 200
    for text in [
        "Grokking",
        "Neural Networks sometimes need a while to think",
        "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
        "https://arxiv.org/abs/2201.02177",
        "https://arxiv.org/pdf/2201.02177",
        "Wed Oct 19, 6–8 pm",
        "Fri Oct 21, 7:30–8:30 pm",
    ]:
        assert text in content, text


def test_section_page_lists_its_meetings_week_by_week(client, fall2022):
    response = client.get("/terms/fall-2022/sections/friday/")

    meetings = list(response.context["meetings"])
    assert [m.week.number for m in meetings] == list(range(1, 12))
    assert meetings[0].when_display == "Fri Sep 16, 7:30–8:30 pm"
    assert "Led by Eric Michaud and Alex Infanger" in response.content.decode()


def test_section_page_marks_cancelled_meetings(client, fall2022):
    meeting = Meeting.objects.get(section__slug="friday", week__number=9)
    cancel_meeting(meeting=meeting, reason="No meeting: Veterans Day", by=None)

    response = client.get("/terms/fall-2022/sections/friday/")

    content = response.content.decode()
    assert '<del class="meeting-when">Fri Nov 11, 7:30–8:30 pm · 4-146</del>' in content
    assert "No meeting: Veterans Day" in content


def test_section_cards_and_section_page_name_the_terms_place_after_the_room(client, fall2022):
    unplaced = build_term(weeks=1, sections=1, slug="unplaced", place="")
    section = unplaced.sections.get()
    pages = {
        url: client.get(url).content.decode()
        for url in (
            "/terms/fall-2022/",
            "/terms/fall-2022/sections/wednesday/",
            "/terms/unplaced/",
            section.get_absolute_url(),
        )
    }

    placed = '<span class="section-room">2-151</span>, <span class="section-place">MIT</span>'
    alone = f'<span class="section-room">{section.room}</span></p>'
    assert {url: (placed in html, alone in html) for url, html in pages.items()} == {
        "/terms/fall-2022/": (True, False),
        "/terms/fall-2022/sections/wednesday/": (True, False),
        "/terms/unplaced/": (False, True),
        section.get_absolute_url(): (False, True),
    }


def test_the_last_term_there_is_says_it_ended_and_links_to_no_other(client, fall2022):
    pages = [
        client.get(url).content.decode()
        for url in ("/", "/terms/fall-2022/weeks/6/", "/terms/fall-2022/readings/")
    ]

    ended = [
        page.split('<p class="alert alert-secondary term-dates term-ended">', 1)[1]
        .split("</p>", 1)[0]
        .split()
        for page in pages
    ]
    assert ended == [["This", "term", "ended", "on", "November", "27,", "2022."]] * 3


def test_terms_archive_lists_published_terms_newest_first(client, db):
    TermFactory(name="Fall 2022", slug="fall-2022", first_monday=datetime.date(2022, 9, 12))
    TermFactory(name="Spring 2023", slug="spring-2023", first_monday=datetime.date(2023, 2, 6))
    TermFactory(name="Draft", slug="draft", is_published=False)

    response = client.get("/terms/")

    assert [t.name for t in response.context["terms"]] == ["Spring 2023", "Fall 2022"]


def test_terms_archive_is_paginated(client, db):
    for year in range(2000, 2025):
        TermFactory(
            name=f"Fall {year}",
            first_monday=datetime.date(year, 9, 4)
            + datetime.timedelta(days=(7 - datetime.date(year, 9, 4).weekday()) % 7),
        )

    first = client.get("/terms/")
    second = client.get("/terms/?page=2")

    assert [t.name for t in first.context["terms"]][:2] == ["Fall 2024", "Fall 2023"]
    assert len(first.context["terms"]) == 20
    assert [t.name for t in second.context["terms"]] == [f"Fall {y}" for y in range(2004, 1999, -1)]
    assert 'rel="next"' in first.content.decode()


def test_unpublished_term_is_a_404_for_members_but_visible_to_staff(client, admin_client):
    term = TermFactory(is_published=False)

    assert client.get(term.get_absolute_url()).status_code == 404
    assert admin_client.get(term.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/terms/spring-1999/",
        "/terms/fall-2022/weeks/12/",
        "/terms/fall-2022/weeks/0/",
        "/terms/fall-2022/sections/tuesday/",
        "/terms/spring-1999/readings/",
        "/terms/spring-1999/weeks/1/",
    ],
)
def test_unknown_term_week_or_section_is_a_404_in_the_site_style(client, fall2022, url):
    response = client.get(url)

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert response.templates[0].name == "404.html"


# Each count includes the page cache's read of the data version. The pages of a term that has
# ended run one query more: the current term's, which they link to ("This term ended on …").
# A week's page runs one more than it did (#16): the term's week numbers and titles (the links
# to the weeks before and after, the term's end), a 0.15 ms query, where five correlated
# subqueries on the week's own made it 1.8 ms slower to compile. A section's page likewise reads
# its term's weeks (number, start moved by hand) for the term's end in a query of its own, where
# two subqueries in the section's query cost 0.3 ms more to compile.
PUBLIC_PAGES = [  # (url, queries while the term runs, once it has ended)
    ("/", 8, 8),
    ("/terms/{term}/", 8, 9),
    ("/terms/{term}/weeks/2/", 6, 7),
    ("/terms/{term}/sections/{section}/", 5, 6),
    ("/terms/{term}/readings/", 4, 5),
    ("/terms/{term}/readings.bib", 3, 3),
    ("/terms/", 3, 3),
]
THIS_MONDAY = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())


@pytest.mark.parametrize(
    ("url", "expected", "first_mondays"),
    [
        (url, running, [THIS_MONDAY - datetime.timedelta(weeks=1)] * 2)
        for url, running, _ in PUBLIC_PAGES
    ]
    + [
        (url, ended, [datetime.date(2022, 9, 12), datetime.date(2023, 1, 2)])
        for url, _, ended in PUBLIC_PAGES
    ],
)
def test_public_page_queries_do_not_grow_with_the_term(
    client, django_assert_max_num_queries, url, expected, first_mondays
):
    small = build_term(
        weeks=2, readings_per_week=1, sections=1, slug="small", first_monday=first_mondays[0]
    )
    large = build_term(
        weeks=40,
        readings_per_week=6,
        sections=6,
        slug="large",
        first_monday=first_mondays[1],
    )
    small_url = url.format(term=small.slug, section=small.sections.first().slug)
    large_url = url.format(term=large.slug, section=large.sections.first().slug)

    small_count = count_queries(client, small_url)
    with django_assert_max_num_queries(expected):
        large_count = count_queries(client, large_url)

    assert large_count == small_count == expected


@pytest.mark.parametrize(("url", "expected"), [(url, ended) for url, _, ended in PUBLIC_PAGES])
def test_public_page_queries_on_the_fixture(
    client, fall2022, django_assert_num_queries, url, expected
):
    with django_assert_num_queries(expected):
        client.get(url.format(term="fall-2022", section="wednesday"))


def test_a_term_whose_last_week_was_moved_later_runs_on_every_page_until_that_week_ends(
    client, settings
):
    """A week moved by hand (a skipped holiday week) moves the term's end: every page of the
    term tells the same, not only the schedule (the week, section, reading-list and join pages
    once took the end from the laid-out weeks alone, and said “ended” a week early)."""
    settings.EMAIL_CONFIGURED = True  # the join page's form, or why it cannot take members
    term = TermFactory(first_monday=datetime.date(2022, 1, 3))
    today = term.today()
    this_monday = today - datetime.timedelta(days=today.weekday())
    term.first_monday = this_monday - datetime.timedelta(weeks=2)
    term.save()
    WeekFactory(term=term, number=1)
    # Week 2 would have been last week; it was moved to this one.
    WeekFactory(term=term, number=2, starts_on_override=this_monday)
    section = SectionFactory(term=term, slug="monday", weekday=0)
    pages = [
        term.get_absolute_url(),
        f"/terms/{term.slug}/weeks/1/",
        f"/terms/{term.slug}/weeks/2/",
        section.get_absolute_url(),
        f"/terms/{term.slug}/readings/",
        f"/terms/{term.slug}/sections/monday/join/",
    ]

    def says_ended(url):
        page = client.get(url).content.decode()
        return "This term ended" in page or "its sections take no new members" in page

    ended = {url: says_ended(url) for url in pages}
    term.weeks.filter(number=2).update(starts_on_override=None)
    ended_laid_out = {url: says_ended(url) for url in pages}

    assert ended == dict.fromkeys(pages, False)
    # Without the move, it ended last Sunday, and every page says so.
    assert ended_laid_out == dict.fromkeys(pages, True)
