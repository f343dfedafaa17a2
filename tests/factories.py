"""factory_boy factories: deterministic data (Sequences, no randomness)."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from attendance.models import AttendanceRecord, Enrollment, Member
from sections.models import DiscussionNote, Section, Weekday
from sections.services import save_note, sync_meetings
from syllabus.models import Paper, Reading, Term, Week


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.edu")
    password = factory.django.Password("correct horse battery staple")


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    name = factory.Sequence(lambda n: f"Term {n}")
    slug = factory.Sequence(lambda n: f"term-{n}")
    title = "The Science of Deep Learning"
    institution = "MIT"
    intro = "Welcome to the *reading group*."
    format_note = "First hour reading, second hour discussion."
    supporters = "the MIT AI Alignment Club (MAIA)"
    first_monday = datetime.date(2022, 9, 12)
    time_zone = "America/New_York"
    is_published = True


class WeekFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Week

    term = factory.SubFactory(TermFactory)
    number = factory.Sequence(lambda n: n + 1)
    # Five digits: a number such as 2022 would read as a year (Term.texts_naming flags those).
    title = factory.Sequence(lambda n: f"Topic {n:05d}")
    tagline = factory.Sequence(lambda n: f"Question {n:05d}?")


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    title = factory.Sequence(lambda n: f"Paper {n}")
    authors = factory.Sequence(lambda n: f"Author {n}, Coauthor {n}")
    year = 2022
    arxiv_id = factory.Sequence(lambda n: f"2201.{n:05d}")


class ReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reading

    week = factory.SubFactory(WeekFactory)
    paper = factory.SubFactory(PaperFactory)
    kind = Reading.Kind.REQUIRED
    order = factory.Sequence(lambda n: n)


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        skip_postgeneration_save = True

    term = factory.SubFactory(TermFactory)
    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")
    weekday = Weekday.WEDNESDAY
    start_time = datetime.time(18, 0)
    end_time = datetime.time(20, 0)
    room = factory.Sequence(lambda n: f"2-{100 + n}")

    @factory.post_generation
    def leads(self, create, extracted, **kwargs):
        if create and extracted:
            self.leads.add(*extracted)


def this_monday(*, weeks=0):
    """The Monday of this week (in the site's time zone), `weeks` weeks on: the first Monday of
    a term that runs now. (The factories' own terms are of 2022, long over: a term that has
    ended takes no new members, and its pages say it ended.)"""
    today = timezone.localdate()
    return today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=weeks)


def build_term(*, weeks=3, readings_per_week=2, sections=2, **term_fields):
    """A published term with `weeks` weeks, readings, sections with a lead each, and meetings.

    Bulk-created (no per-row signals), then meetings made by one `sync_meetings` call, so that
    large terms for query-count tests are quick to build.
    """
    term = TermFactory(**term_fields)
    week_objects = Week.objects.bulk_create(
        WeekFactory.build(term=term, number=n) for n in range(1, weeks + 1)
    )
    papers = Paper.objects.bulk_create(
        PaperFactory.build() for _ in range(weeks * readings_per_week)
    )
    Reading.objects.bulk_create(
        Reading(
            week=week,
            paper=papers[w * readings_per_week + order],
            order=order,
            kind=Reading.Kind.REQUIRED if order % 2 == 0 else Reading.Kind.OPTIONAL,
        )
        for w, week in enumerate(week_objects)
        for order in range(readings_per_week)
    )
    for index in range(sections):
        SectionFactory(
            term=term,
            weekday=index % 5,
            start_time=datetime.time(17 + index % 3, 0),
            end_time=datetime.time(18 + index % 3, 30),
            leads=[UserFactory()],
        )
    sync_meetings(term=term)
    return term


def write_note(meeting, *texts, author=None, status=DiscussionNote.Status.PUBLISHED):
    """Save `texts` one after another as a lead would (a revision each, after any already
    there); return the note."""
    author = author or meeting.section.leads.first()
    note = DiscussionNote.objects.filter(meeting=meeting).first()
    for text in texts:
        version = note.version if note else 0
        note = save_note(
            meeting=meeting, body=text, status=status, author=author, expected_version=version
        )
    return note


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    name = factory.Sequence(lambda n: f"Member {n:04d}")
    email = factory.Sequence(lambda n: f"member{n}@example.edu")
    affiliation = "MIT"


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    member = factory.SubFactory(MemberFactory)
    section = factory.SubFactory(SectionFactory)


class AttendanceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttendanceRecord

    member = factory.SubFactory(MemberFactory)
    meeting = None  # pass one: meetings come from sections.services.sync_meetings
    status = AttendanceRecord.Status.PRESENT
    recorded_at = datetime.datetime(2022, 9, 14, 23, tzinfo=datetime.UTC)
    roster_version = 1


def enroll_members(section, count):
    """`count` members enrolled in `section`, bulk-created (for large rosters)."""
    members = Member.objects.bulk_create(MemberFactory.build() for _ in range(count))
    Enrollment.objects.bulk_create(Enrollment(member=m, section=section) for m in members)
    return members


def delete_terms():
    """Delete every term and all it holds. Attendance records and discussion notes hold their
    meetings (on_delete=PROTECT: no cascade takes them along), so they go first, explicitly."""
    AttendanceRecord.objects.all().delete()
    DiscussionNote.objects.all().delete()
    Term.objects.all().delete()
