import pytest

from sections.models import Meeting
from tests.factories import SectionFactory, UserFactory, build_term


@pytest.fixture
def term(db):
    """Three weeks, two sections: `section` (led by `lead`) and `other_section`."""
    return build_term(weeks=3, readings_per_week=1, sections=2, slug="spring-2023")


@pytest.fixture
def section(term):
    return term.sections.order_by("weekday").first()


@pytest.fixture
def other_section(term):
    return term.sections.order_by("weekday").last()


@pytest.fixture
def lead(section):
    return section.leads.get()


@pytest.fixture
def other_lead(other_section):
    return other_section.leads.get()


@pytest.fixture
def nobody(db):
    """Logged in, but leads nothing and organizes nothing."""
    return UserFactory(username="nobody")


@pytest.fixture
def meeting(section):
    return Meeting.objects.get(section=section, week__number=1)


@pytest.fixture
def empty_section(term):
    return SectionFactory(term=term, leads=[])
