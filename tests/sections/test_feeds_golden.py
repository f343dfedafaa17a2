"""The feeds, schedule.json and readings.bib, byte for byte as they were written before they
were made faster (tests/golden/feeds/, written by the code of before; issue #16).

The data are the Fall 2022 fixture with a cancelled, a moved and a re-roomed meeting and text
that needs escaping and folding (commas, semicolons, backslashes, `\\N`, multi-byte characters),
a term in Europe/London across its change of clocks and a term in UTC, and a member enrolled in
sections of two of them. Everything is fixed: primary keys, times, names.

A deliberate change of a feed's text: `READINGGROUP_UPDATE_GOLDEN=1 pytest
tests/sections/test_feeds_golden.py` rewrites the files; review their diff before committing.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attendance.models import Enrollment, Member
from sections.models import Meeting, Section, Weekday
from sections.services import cancel_meeting, move_meeting, sync_meetings
from syllabus.models import Paper, Reading, Term, Week

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "feeds"
UPDATE = os.environ.get("READINGGROUP_UPDATE_GOLDEN") == "1"
STAMP = datetime.datetime(2022, 11, 1, 12, 34, 56, 789000, tzinfo=datetime.UTC)
MEMBER_SECRET = "golden-member-calendar-secret"

WIDE_TITLE = "Émergence et généralisation — 大規模言語モデルの創発 🧠🔬🧪 (naïve Bayes, ré-évalué)"
WIDE_TAGLINE = "Café, thé; 中文, 日本語; 🦊, 🐙; " * 4 + "e\u0301 \\N not a line break? \\ ^ ^^"

URLS = [
    "/terms/fall-2022/calendar.ics",
    "/terms/fall-2022/sections/wednesday/calendar.ics",
    "/terms/fall-2022/sections/friday/calendar.ics",
    "/terms/fall-2022/sections/wednesday/meetings/3.ics",
    "/terms/fall-2022/sections/wednesday/meetings/4.ics",
    "/terms/fall-2022/sections/wednesday/meetings/6.ics",
    "/terms/fall-2022/sections/friday/meetings/9.ics",
    "/terms/fall-2022/sections/friday/meetings/10.ics",
    "/terms/fall-2022/schedule.json",
    "/terms/fall-2022/readings.bib",
    "/terms/michaelmas-2023/calendar.ics",
    "/terms/michaelmas-2023/sections/thursday/calendar.ics",
    "/terms/michaelmas-2023/sections/thursday/meetings/5.ics",
    "/terms/michaelmas-2023/schedule.json",
    "/terms/michaelmas-2023/readings.bib",
    "/terms/utc-2024/calendar.ics",
    "/terms/utc-2024/schedule.json",
    f"/me/calendar/{MEMBER_SECRET}.ics",
]


def expected_queries(url):
    """The queries of `url`'s response, as tests/sections/test_feeds.py pins them (the page
    cache's read of the data version included; the member's feed is not in the page cache)."""
    if "/meetings/" in url or url.startswith("/me/"):
        return 3
    return {"ics": 4, "json": 5, "bib": 3}[url.rpartition(".")[2]]


def golden_name(url):
    return url.strip("/").replace("/", "_").replace(MEMBER_SECRET, "secret")


def small_term(*, pk, slug, name, time_zone, first_monday, section, lead, papers):
    """A term of 6 weeks and one section (fixed keys and texts), each week with `papers`."""
    term = Term.objects.create(
        pk=pk,
        slug=slug,
        name=name,
        title=f"{name}: reading group",
        institution="Somewhere, Inc.",
        place="",
        first_monday=first_monday,
        time_zone=time_zone,
        is_published=True,
    )
    for number in range(1, 7):
        week = Week.objects.create(
            pk=pk * 100 + number,
            term=term,
            number=number,
            title=f"Week {number}; part {number}, again",
            tagline=f"Why {number}?" if number % 2 else "",
        )
        for order, paper in enumerate(papers):
            Reading.objects.create(
                week=week,
                paper=paper,
                order=order,
                kind=Reading.Kind.OPTIONAL if order else Reading.Kind.REQUIRED,
                note="sections 1–3" if order else "",
            )
    section = Section.objects.create(pk=pk * 10, term=term, **section)
    section.leads.add(lead)
    sync_meetings(term=term)
    return term


def build_golden_data(fall2022):
    user_model = get_user_model()
    ada = user_model.objects.create(
        pk=9001, username="ada", first_name="Ada", last_name="Lovelace, Countess"
    )
    grace = user_model.objects.create(pk=9002, username="grace", first_name="", last_name="")
    # Two papers with the same citation key base (told apart by primary key), one with only a
    # DOI, one with only a URL.
    papers = [
        Paper.objects.create(
            pk=9101,
            title="On Computable Numbers, with an Application; \\N or not",
            authors="Alan Turing, et al.",
            year=1936,
            venue="Proc. London Math. Soc.",
            doi="10.1112/plms/s2-42.1.230",
        ),
        Paper.objects.create(
            pk=9102,
            title="On computable numbers — a sequel 🧮",
            authors="Alan Turing",
            year=1936,
            url="https://example.org/turing?a=1,2;b",
        ),
    ]
    small_term(
        pk=91,
        slug="michaelmas-2023",
        name="Michaelmas 2023",
        time_zone="Europe/London",
        first_monday=datetime.date(2023, 10, 9),  # clocks go back on Sunday 29 October
        section={
            "name": "Thursday",
            "slug": "thursday",
            "weekday": Weekday.THURSDAY,
            "start_time": datetime.time(17, 30),
            "end_time": datetime.time(19),
            "room": "Room 3, Old Schools",
        },
        lead=ada,
        papers=papers,
    )
    small_term(
        pk=92,
        slug="utc-2024",
        name="UTC 2024",
        time_zone="UTC",
        first_monday=datetime.date(2024, 3, 25),
        section={
            "name": "Monday",
            "slug": "monday",
            "weekday": Weekday.MONDAY,
            "start_time": datetime.time(9),
            "end_time": datetime.time(10),
            "room": "Online",
        },
        lead=grace,
        papers=papers[:1],
    )

    week = fall2022.weeks.get(number=4)
    week.title, week.tagline = WIDE_TITLE, WIDE_TAGLINE
    week.save()
    paper = week.readings.order_by("order").first().paper
    paper.title = WIDE_TITLE + " 🧠" * 20
    paper.authors = "Zoë Ngọc Ánh 李小龍 🦊 Ōtsuka-Brontë, Ph.D.; Université de Montréal"
    paper.save()

    meetings = {
        (m.section.slug, m.week.number): m
        for m in Meeting.objects.for_term(fall2022).select_related("section", "week")
    }
    cancel_meeting(
        meeting=meetings["friday", 9],
        reason="No meeting: Veterans Day; back, as ever, on the 25th",
        by=None,
        notify=False,
    )
    move_meeting(
        meeting=meetings["friday", 10],
        date=datetime.date(2022, 11, 17),
        start_time=datetime.time(18),
        end_time=datetime.time(19, 15),
        room="4-231, annex",
        by=None,
        note="Thursday this week, for the colloquium",
        notify=False,
    )
    move_meeting(
        meeting=meetings["wednesday", 6],
        date=datetime.date(2022, 10, 19),
        start_time=datetime.time(17),
        end_time=datetime.time(19),
        room="",
        by=None,
        notify=False,
    )
    Meeting.objects.filter(pk=meetings["wednesday", 3].pk).update(
        room_override="32-D463; Stata, 4th floor", public_note="Bring a laptop \\ a charger"
    )

    member = Member.objects.create(
        pk=9201, name="Zoë Example", email="zoe@example.edu", calendar_secret=MEMBER_SECRET
    )
    Enrollment.objects.create(member=member, section=Section.objects.get(slug="friday"))
    Enrollment.objects.create(member=member, section=Section.objects.get(slug="thursday"))

    # Fixed primary keys (UIDs, schedule.json's ids) and times (DTSTAMP, LAST-MODIFIED).
    ordered = Meeting.objects.order_by("section__term__slug", "section__slug", "week__number")
    for number, pk in enumerate(ordered.values_list("pk", flat=True), start=1):
        Meeting.objects.filter(pk=pk).update(id=800000 + number)
    Meeting.objects.update(updated_at=STAMP)


def test_feeds_and_exports_are_byte_for_byte_as_before(client, fall2022):
    build_golden_data(fall2022)

    bodies, queries = {}, {}
    for url in URLS:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        bodies[golden_name(url)] = body
        queries[url] = len(captured)

    # With moved and cancelled meetings too, no field a feed shows is left to a query of its own.
    assert queries == {url: expected_queries(url) for url in URLS}

    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, body in bodies.items():
            (GOLDEN / name).write_bytes(body)
    expected = {name: (GOLDEN / name).read_bytes() for name in bodies}
    assert [name for name in bodies if bodies[name] != expected[name]] == []
    assert sorted(path.name for path in GOLDEN.iterdir()) == sorted(bodies)
