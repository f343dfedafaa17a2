import datetime
import zoneinfo

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.forms import modelform_factory

from attendance.models import AttendanceRecord
from sections.models import DiscussionNoteRevision, Meeting, Section, format_time_range
from sections.services import sync_meetings
from syllabus.models import Term, Week
from tests.factories import (
    AttendanceRecordFactory,
    SectionFactory,
    TermFactory,
    WeekFactory,
    build_term,
    write_note,
)

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
SectionForm = modelform_factory(
    Section, fields=["term", "name", "slug", "weekday", "start_time", "end_time", "room"]
)


def section_data(term, **overrides):
    data = {
        "term": term.pk,
        "name": "Wednesday",
        "slug": "wednesday",
        "weekday": 2,
        "start_time": "18:00",
        "end_time": "20:00",
        "room": "2-151",
    }
    return {**data, **overrides}


def test_section_end_before_start_refused_by_database():
    term = TermFactory()

    with pytest.raises(IntegrityError):
        Section.objects.create(
            term=term,
            name="Backwards",
            slug="backwards",
            weekday=2,
            start_time=datetime.time(20),
            end_time=datetime.time(18),
            room="1-190",
        )


def test_section_end_before_start_refused_by_form_next_to_the_field():
    term = TermFactory()

    form = SectionForm(data=section_data(term, start_time="20:00", end_time="18:00"))

    assert form.errors == {"end_time": ["The end time must be after the start time."]}
    assert Section.objects.count() == 0


def test_section_duplicate_slug_refused_by_database():
    section = SectionFactory(slug="wednesday")

    with pytest.raises(IntegrityError):
        SectionFactory(term=section.term, slug="wednesday")


def test_section_duplicate_slug_refused_by_form():
    section = SectionFactory(slug="wednesday", term__name="Fall 2022")

    form = SectionForm(data=section_data(section.term))

    assert form.errors == {
        "__all__": ["Fall 2022 already has a section with the slug “wednesday”."]
    }


def test_meeting_per_section_and_week_is_unique():
    section = SectionFactory()
    week = WeekFactory(term=section.term)

    with pytest.raises(IntegrityError):
        Meeting.objects.create(section=section, week=week)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (datetime.time(18), datetime.time(20), "6–8 pm"),
        (datetime.time(19, 30), datetime.time(20, 30), "7:30–8:30 pm"),
        (datetime.time(11), datetime.time(13), "11 am–1 pm"),
        (datetime.time(12), datetime.time(13, 15), "12–1:15 pm"),
    ],
)
def test_format_time_range(start, end, expected):
    assert format_time_range(start, end) == expected


def test_sections_of_two_hours_or_more_are_long():
    assert SectionFactory.build(start_time=datetime.time(18), end_time=datetime.time(20)).is_long
    assert not SectionFactory.build(
        start_time=datetime.time(19, 30), end_time=datetime.time(20, 30)
    ).is_long


def test_saving_weeks_and_sections_creates_one_meeting_each():
    term = TermFactory(first_monday=datetime.date(2022, 9, 12))
    weeks = [WeekFactory(term=term, number=n) for n in (1, 2)]
    section = SectionFactory(term=term, weekday=2, start_time=datetime.time(18))

    meetings = list(Meeting.objects.filter(section=section).order_by("starts_at"))

    assert [(m.week, m.local_start()) for m in meetings] == [
        (weeks[0], datetime.datetime(2022, 9, 14, 18, tzinfo=NEW_YORK)),
        (weeks[1], datetime.datetime(2022, 9, 21, 18, tzinfo=NEW_YORK)),
    ]


def test_sync_meetings_is_idempotent():
    term = TermFactory()
    WeekFactory(term=term, number=1)
    SectionFactory(term=term)
    before = list(Meeting.objects.values_list("pk", "starts_at", "ends_at"))

    sync_meetings(term=term)
    sync_meetings(term=term)

    assert list(Meeting.objects.values_list("pk", "starts_at", "ends_at")) == before


def test_meetings_keep_local_time_across_the_end_of_daylight_saving():
    term = TermFactory(first_monday=datetime.date(2022, 10, 31))
    WeekFactory(term=term, number=1)  # Wed Nov 2: EDT, UTC-4
    WeekFactory(term=term, number=2)  # Wed Nov 9: EST, UTC-5 (DST ended Nov 6)
    section = SectionFactory(term=term, weekday=2, start_time=datetime.time(18))

    starts = list(section.meetings.order_by("starts_at").values_list("starts_at", flat=True))

    assert [s.astimezone(datetime.UTC) for s in starts] == [
        datetime.datetime(2022, 11, 2, 22, tzinfo=datetime.UTC),
        datetime.datetime(2022, 11, 9, 23, tzinfo=datetime.UTC),
    ]
    assert [m.when_display for m in section.meetings.order_by("starts_at")] == [
        "Wed Nov 2, 6–8 pm",
        "Wed Nov 9, 6–8 pm",
    ]


def test_changing_a_section_moves_its_meetings_and_keeps_their_status():
    term = TermFactory(first_monday=datetime.date(2022, 9, 12))
    WeekFactory(term=term, number=1)
    section = SectionFactory(term=term, weekday=2)
    Meeting.objects.filter(section=section).update(status=Meeting.Status.CANCELLED)

    section.weekday = 4
    section.start_time, section.end_time = datetime.time(19, 30), datetime.time(20, 30)
    section.save()

    meeting = Meeting.objects.get(section=section)
    assert (meeting.when_display, meeting.status) == ("Fri Sep 16, 7:30–8:30 pm", "cancelled")


def test_changing_the_first_monday_moves_every_meeting():
    term = TermFactory(first_monday=datetime.date(2022, 9, 12))
    WeekFactory(term=term, number=1)
    SectionFactory(term=term, weekday=2)

    term.first_monday = datetime.date(2022, 9, 19)
    term.save()

    assert Meeting.objects.get().when_display == "Wed Sep 21, 6–8 pm"


def test_term_without_first_monday_has_undated_meetings():
    term = TermFactory(first_monday=None)
    WeekFactory(term=term, number=1)
    SectionFactory(term=term)

    assert Meeting.objects.get().when_display == "date to be set"


def test_manageable_by_gives_leads_their_sections_and_organizers_all(organizer):
    from django.contrib.auth.models import AnonymousUser

    from tests.factories import UserFactory

    lead, stranger = UserFactory(), UserFactory()
    own = SectionFactory(leads=[lead])
    other = SectionFactory()
    WeekFactory(term=own.term, number=1)
    WeekFactory(term=other.term, number=1)

    assert list(Section.objects.manageable_by(lead)) == [own]
    assert list(Section.objects.manageable_by(stranger)) == []
    assert list(Section.objects.manageable_by(AnonymousUser())) == []
    assert set(Section.objects.manageable_by(organizer)) == {own, other}
    assert [m.section for m in Meeting.objects.manageable_by(lead)] == [own]
    assert Meeting.objects.manageable_by(organizer).count() == 2


# --- Notes and attendance hold their meeting -------------------------------------------------

DELETES = {
    "the meeting": lambda meeting: meeting.delete(),
    "meetings in bulk": lambda meeting: Meeting.objects.filter(section=meeting.section).delete(),
    "its week": lambda meeting: meeting.week.delete(),
    "weeks in bulk": lambda meeting: Week.objects.all().delete(),
    "its section": lambda meeting: meeting.section.delete(),
    "its term": lambda meeting: meeting.section.term.delete(),
}


@pytest.mark.parametrize("holds", ["note", "attendance"])
@pytest.mark.parametrize("delete", DELETES.values(), ids=DELETES.keys())
def test_no_delete_takes_a_meetings_notes_or_attendance_along(holds, delete):
    term = build_term(weeks=2, readings_per_week=1, sections=2)
    meeting = Meeting.objects.filter(week__number=2).in_section_order().first()
    if holds == "note":
        write_note(meeting, "First.", "Second.")
    else:
        AttendanceRecordFactory(meeting=meeting)
    before = (Meeting.objects.count(), DiscussionNoteRevision.objects.count())

    with pytest.raises(ProtectedError), transaction.atomic():
        delete(meeting)

    assert (Meeting.objects.count(), DiscussionNoteRevision.objects.count()) == before
    assert AttendanceRecord.objects.count() == (holds == "attendance")
    assert Term.objects.get() == term
