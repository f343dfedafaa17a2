import datetime

import pytest
from django.utils import timezone

from sections.models import Meeting
from syllabus.models import Week
from tests.factories import (
    EnrollmentFactory,
    MemberFactory,
    SectionFactory,
    UserFactory,
    build_term,
)

# Thursday Nov 10, 2022, 10 am in New York: the week before the meeting (Wed Nov 16, EST).
START = datetime.datetime(2022, 11, 10, 15, 0, tzinfo=datetime.UTC)


class Clock:
    """Django's clock, stopped at START until a test moves it on."""

    def __init__(self):
        self.now = START

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def term(db):
    """Fall 2022 (first Monday Sep 12), eleven weeks; week 10 is “Grokking”."""
    term = build_term(weeks=11, readings_per_week=0, sections=0, slug="fall-2022", name="Fall 2022")
    Week.objects.filter(term=term, number=10).update(title="Grokking")
    return term


@pytest.fixture
def lead(db):
    return UserFactory(username="lead")


@pytest.fixture
def section(term, lead):
    """Wednesdays 6–8 pm in 2-151, led by `lead`; members Ada and Bea (with emails) and Cy
    (a walk-in without one)."""
    section = SectionFactory(
        term=term, name="Wednesday", slug="wednesday", weekday=2, room="2-151", leads=[lead]
    )
    for name, email in [("Ada", "ada@example.edu"), ("Bea", "Bea@Example.edu"), ("Cy", "")]:
        EnrollmentFactory(section=section, member=MemberFactory(name=name, email=email))
    return section


@pytest.fixture
def other_section(term):
    """Fridays, led by someone else, with a member of its own."""
    other = SectionFactory(
        term=term, name="Friday", slug="friday", weekday=4, leads=[UserFactory(username="other")]
    )
    EnrollmentFactory(section=other, member=MemberFactory(name="Dee", email="dee@example.edu"))
    return other


@pytest.fixture
def meeting(section, other_section):
    """The Wednesday section's week 10 meeting: Wed Nov 16, 6–8 pm EST, 2-151."""
    return Meeting.objects.select_related("section__term").get(section=section, week__number=10)
