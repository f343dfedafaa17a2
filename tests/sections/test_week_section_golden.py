"""A week's and a section's pages render byte for byte as before the speed work (#16), in the
states tests/test_pages_unchanged.py (Fall 2022 alone) does not reach: an ended term while
another term runs now, or before the next one starts; a term still to come, with four sections,
their leads, notes, a cancelled meeting, weeks numbered with a gap, a week moved by hand, a
section with places and joining open; and staff previewing an unpublished term.

The pages were rendered by the code before that work and stored under
tests/golden/week_section/ (CSRF token and meeting primary keys masked). After a deliberate
change to these pages, regenerate them with `READINGGROUP_UPDATE_GOLDEN=1` on this file and
read the diff.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from sections import services
from sections.models import DiscussionNote, Meeting, Weekday
from syllabus.models import Term
from tests.factories import (
    PaperFactory,
    ReadingFactory,
    SectionFactory,
    TermFactory,
    UserFactory,
    WeekFactory,
)
from tests.test_pages_unchanged import HOSTILE, render

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parents[1] / "golden" / "week_section"
UPDATE = os.environ.get("READINGGROUP_UPDATE_GOLDEN") == "1"


def person(username, first, last):
    return UserFactory(username=username, first_name=first, last_name=last)


def later_term(*, name, slug, first_monday, is_published=True):
    """A term with weeks 1, 2 and 4 (week 4 moved a week on by hand), readings, four sections
    with their leads (one of them led by Fall 2022's Wednesday lead), places and joining open on
    one, a cancelled meeting and notes, published and draft."""
    term = TermFactory(
        name=name,
        slug=slug,
        title=f"Deep Learning {HOSTILE}",
        first_monday=first_monday,
        is_published=is_published,
        place="MIT",
    )
    titles = {1: "Scaling laws", 2: f"Grokking {HOSTILE}", 4: "Double descent"}
    for number, title in titles.items():
        week = WeekFactory(
            term=term,
            number=number,
            title=title,
            tagline=f"Why {number}?",
            starts_on_override=(
                first_monday + datetime.timedelta(weeks=number) if number == 4 else None
            ),
        )
        for order, kind in enumerate(["required", "optional"]):
            paper = PaperFactory(
                title=f"{slug} paper {number}.{order}",
                authors=f"Ada Author, Bo {HOSTILE}",
                arxiv_id=f"2301.{number:02d}{order}{len(slug):02d}",
                doi=f"10.1000/{slug}.{number}.{order}" if order else "",
            )
            ReadingFactory(week=week, paper=paper, kind=kind, order=order, note=f"§{order}")
    leads = get_user_model().objects.get(username="emichaud"), person("ada", "Ada", HOSTILE)
    sections = [
        (Weekday.MONDAY, "Monday", datetime.time(17, 0), datetime.time(19, 0)),
        (Weekday.WEDNESDAY, "Wednesday", datetime.time(18, 30), datetime.time(20, 0)),
        (Weekday.FRIDAY, "Late", datetime.time(11, 0), datetime.time(13, 0)),
        (Weekday.SATURDAY, "Weekend", datetime.time(9, 15), datetime.time(10, 45)),
    ]
    for index, (day, name, start, end) in enumerate(sections):
        SectionFactory(
            term=term,
            name=name,
            slug=name.lower(),
            weekday=day,
            start_time=start,
            end_time=end,
            room=f"4-{231 + index}",
            capacity=12 if name == "Wednesday" else None,
            leads=[leads[index % 2]] + ([leads[0]] if name == "Weekend" else []),
        )
    services.sync_meetings(term=term)
    meeting = Meeting.objects.get
    services.cancel_meeting(
        meeting=meeting(section__term=term, section__slug="monday", week__number=2),
        reason="No meeting: holiday",
        by=leads[0],
        notify=False,
    )
    for section, number, status in [
        ("wednesday", 1, "published"),
        ("monday", 1, "draft"),
        ("weekend", 2, "published"),
    ]:
        services.save_note(
            meeting=meeting(section__term=term, section__slug=section, week__number=number),
            body=f"Notes of {section} in week {number}: *{HOSTILE}*",
            status=status,
            author=leads[0] if section == "monday" else leads[1],
            expected_version=0,
        )
    DiscussionNote.objects.filter(meeting__section__term=term).update(
        updated_at=datetime.datetime(2022, 10, 1, tzinfo=datetime.UTC)
    )
    return term


@pytest.fixture
def next_term(fall2022):
    """Fall 2022 ended; Spring 2099 is announced (the current term: it starts later)."""
    return later_term(
        name="Spring 2099", slug="spring-2099", first_monday=datetime.date(2099, 2, 2)
    )


@pytest.fixture
def running_term(fall2022):
    """Fall 2022 ended; another term runs now (only its name and URL are on these pages)."""
    today = timezone.localdate()
    term = TermFactory(
        name="Now Term",
        slug="now-term",
        first_monday=today - datetime.timedelta(days=today.weekday(), weeks=1),
    )
    WeekFactory(term=term, number=1, title="Now 1")
    WeekFactory(term=term, number=2, title="Now 2")
    WeekFactory(term=term, number=3, title="Now 3")
    assert Term.objects.current() == term
    return term


@pytest.fixture
def draft_term(fall2022):
    return later_term(
        name="Draft 2098",
        slug="draft-2098",
        first_monday=datetime.date(2098, 9, 1),
        is_published=False,
    )


def login(client, who):
    if who == "lead":
        client.force_login(get_user_model().objects.get(username="emichaud"))
    elif who == "organizer":
        user = person("olga", "Olga", "Organizer")
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get_or_create(name="Organizers")[0])
        client.force_login(user)
    return client


def check(name, body):
    path = GOLDEN / f"{name}.html"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    assert body == path.read_bytes(), f"{name} differs from {path}"


FALL_2022 = {
    "week-1": "/terms/fall-2022/weeks/1/",
    "week-11": "/terms/fall-2022/weeks/11/",
    "section-wednesday": "/terms/fall-2022/sections/wednesday/",
}
LATER = {
    **{f"week-{n}": f"/terms/{{term}}/weeks/{n}/" for n in (1, 2, 4)},
    **{f"section-{s}": f"/terms/{{term}}/sections/{s}/" for s in ("monday", "wednesday")},
}


@pytest.mark.parametrize("who", ["anyone", "lead"])
@pytest.mark.parametrize("page", FALL_2022)
def test_ended_term_page_while_another_runs_renders_as_before(running_term, client, page, who):
    check(f"running-{page}-{who}", render(login(client, who), FALL_2022[page]))


@pytest.mark.parametrize("who", ["anyone", "lead"])
@pytest.mark.parametrize("page", FALL_2022)
def test_ended_term_page_before_the_next_starts_renders_as_before(next_term, client, page, who):
    check(f"next-{page}-{who}", render(login(client, who), FALL_2022[page]))


@pytest.mark.parametrize("who", ["anyone", "lead"])
@pytest.mark.parametrize("page", LATER)
def test_coming_term_page_renders_as_before(next_term, client, page, who):
    check(
        f"coming-{page}-{who}", render(login(client, who), LATER[page].format(term="spring-2099"))
    )


@pytest.mark.parametrize("page", LATER)
def test_unpublished_term_page_renders_as_before_for_staff(draft_term, client, page):
    check(
        f"draft-{page}", render(login(client, "organizer"), LATER[page].format(term="draft-2098"))
    )
