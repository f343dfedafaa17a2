import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from sections.models import Meeting
from tests.factories import EnrollmentFactory, SectionFactory, UserFactory, build_term


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


# --- Members' pages: a term running now, a member in each of its two sections --------------------


def as_member(member, username):
    member.user = UserFactory(username=username)
    member.save()
    return member.user


@pytest.fixture
def now_term(db):
    """A term running now: weeks from last Monday on, two sections."""
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday() + 7)
    return build_term(weeks=4, readings_per_week=2, sections=2, slug="now", first_monday=monday)


@pytest.fixture
def here(now_term):
    return now_term.sections.order_by("weekday").first()


@pytest.fixture
def there(now_term):
    return now_term.sections.order_by("weekday").last()


@pytest.fixture
def people(here, there):
    organizer = UserFactory(username="organizer", is_staff=True)
    organizer.groups.add(Group.objects.get(name="Organizers"))
    ada = EnrollmentFactory(section=here, member__name="Ada").member
    bea = EnrollmentFactory(section=there, member__name="Bea").member
    return {
        "anonymous": None,
        "member of this section": as_member(ada, "ada"),
        "member of another section": as_member(bea, "bea"),
        "lead": here.leads.get(),
        "organizer": organizer,
        "ada": ada,
        "bea": bea,
    }


@pytest.fixture
def coming(here):
    """The next meeting of `here` that has not started."""
    return (
        Meeting.objects.filter(section=here, starts_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )


@pytest.fixture
def past(here):
    """A meeting of `here` that has started."""
    return Meeting.objects.filter(section=here, starts_at__lt=timezone.now()).first()
