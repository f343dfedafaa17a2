import datetime
import re
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sections.models import Meeting, Section
from sections.services import (
    cancel_meeting,
    copy_term,
    move_meeting,
    restore_meeting,
    sync_meetings,
)
from syllabus.models import Reading, Term, Week
from tests.factories import SectionFactory, TermFactory, UserFactory, WeekFactory, build_term

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def meeting():
    """Wed Sep 14 2022, 6–8 pm in 2-151: week 1 of a two-week term."""
    term = TermFactory(first_monday=datetime.date(2022, 9, 12))
    WeekFactory(term=term, number=1)
    WeekFactory(term=term, number=2)
    SectionFactory(term=term, weekday=2, room="2-151")
    return Meeting.objects.get(week__number=1)


def move(meeting, day=datetime.date(2022, 9, 15), start=(17, 0), end=(19, 0), room="", **kw):
    return move_meeting(
        meeting=meeting,
        date=day,
        start_time=datetime.time(*start),
        end_time=datetime.time(*end),
        room=room,
        by=kw.pop("by", None),
        **kw,
    )


def shown(meeting):
    meeting.refresh_from_db()
    return (meeting.when_display, meeting.room, meeting.status, meeting.sequence)


def test_cancel_meeting_sets_status_reason_and_raises_sequence(meeting):
    lead = UserFactory()

    cancel_meeting(meeting=meeting, reason="  No meeting: Veterans Day ", by=lead)

    meeting.refresh_from_db()
    assert (meeting.status, meeting.public_note, meeting.sequence, meeting.changed_by) == (
        "cancelled",
        "No meeting: Veterans Day",
        1,
        lead,
    )
    assert timezone.now() - meeting.changed_at < datetime.timedelta(seconds=5)


def test_cancel_meeting_without_a_reason_is_refused_next_to_the_field(meeting):
    with pytest.raises(ValidationError) as raised:
        cancel_meeting(meeting=meeting, reason="   ", by=None)

    assert raised.value.message_dict == {"reason": ["Say why, for the members."]}
    assert shown(meeting) == ("Wed Sep 14, 6–8 pm", "2-151", "scheduled", 0)


def test_cancel_meeting_twice_is_refused(meeting):
    cancel_meeting(meeting=meeting, reason="Exams", by=None)

    with pytest.raises(ValidationError) as raised:
        cancel_meeting(meeting=meeting, reason="Again", by=None)

    assert raised.value.messages == ["This meeting is already cancelled."]
    assert shown(meeting)[2:] == ("cancelled", 1)


def test_move_meeting_changes_date_time_and_room_in_the_term_time_zone(meeting):
    move(meeting, room="4-231", note="Room 2-151 is taken by exams.")

    meeting.refresh_from_db()
    assert meeting.starts_at == datetime.datetime(2022, 9, 15, 17, tzinfo=NEW_YORK)
    assert (meeting.is_rescheduled, meeting.is_time_moved, meeting.is_room_moved) == (
        True,
        True,
        True,
    )
    assert (meeting.scheduled_when_display, meeting.when_display) == (
        "Wed Sep 14, 6–8 pm",
        "Thu Sep 15, 5–7 pm",
    )
    assert (meeting.room, meeting.public_note, meeting.sequence) == (
        "4-231",
        "Room 2-151 is taken by exams.",
        1,
    )


def test_move_meeting_to_another_room_only(meeting):
    move(meeting, day=datetime.date(2022, 9, 14), start=(18, 0), end=(20, 0), room="4-231")

    meeting.refresh_from_db()
    assert (meeting.is_rescheduled, meeting.is_time_moved, meeting.is_room_moved) == (
        False,
        False,
        True,
    )
    assert shown(meeting) == ("Wed Sep 14, 6–8 pm", "4-231", "scheduled", 1)


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        (
            {"start": (20, 0), "end": (18, 0)},
            {"end_time": ["The end must be after the start."]},
        ),
        (
            {"start": (18, 0), "end": (18, 0)},
            {"end_time": ["The end must be after the start."]},
        ),
        (
            {"day": datetime.date(2022, 10, 5)},
            {"date": ["Pick a date within the term (Sep 12 to Sep 25)."]},
        ),
        (
            {"day": datetime.date(2022, 9, 14), "start": (18, 0), "end": (20, 0), "room": "2-151"},
            {"__all__": ["That is when and where it already meets: nothing to change."]},
        ),
    ],
)
def test_move_meeting_refuses_bad_input_and_saves_nothing(meeting, kwargs, errors):
    with pytest.raises(ValidationError) as raised:
        move(meeting, **kwargs)

    error = raised.value
    found = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    assert found == errors
    assert shown(meeting) == ("Wed Sep 14, 6–8 pm", "2-151", "scheduled", 0)


def test_move_a_cancelled_meeting_is_refused(meeting):
    cancel_meeting(meeting=meeting, reason="Exams", by=None)

    with pytest.raises(ValidationError) as raised:
        move(meeting)

    assert raised.value.messages == ["This meeting is cancelled: restore it before moving it."]


def test_restore_meeting_goes_back_to_regular_time_and_room(meeting):
    move(meeting, room="4-231")
    cancel_meeting(meeting=meeting, reason="Exams", by=None)

    restore_meeting(meeting=meeting, by=None)

    assert shown(meeting) == ("Wed Sep 14, 6–8 pm", "2-151", "scheduled", 3)
    assert (meeting.is_rescheduled, meeting.room_override, meeting.public_note) == (False, "", "")


def test_restore_a_regular_meeting_is_refused(meeting):
    with pytest.raises(ValidationError) as raised:
        restore_meeting(meeting=meeting, by=None)

    assert raised.value.messages == ["This meeting is already at its regular time and room."]


def test_sync_meetings_is_idempotent_with_changed_meetings(meeting):
    move(meeting, room="4-231")
    cancel_meeting(meeting=Meeting.objects.get(week__number=2), reason="Exams", by=None)
    fields = [f.attname for f in Meeting._meta.concrete_fields]
    before = list(Meeting.objects.order_by("pk").values_list(*fields))

    sync_meetings(term=meeting.section.term)
    sync_meetings(term=meeting.section.term)

    assert list(Meeting.objects.order_by("pk").values_list(*fields)) == before


def test_sync_keeps_a_moved_meeting_where_it_was_put_and_updates_its_regular_time(meeting):
    move(meeting)  # to Thu Sep 15, 5–7 pm
    section = meeting.section

    section.start_time, section.end_time = datetime.time(18, 30), datetime.time(20, 30)
    section.room = "1-190"
    section.save()  # the receiver runs sync_meetings

    meeting.refresh_from_db()
    other = Meeting.objects.get(week__number=2)
    assert (meeting.when_display, meeting.scheduled_when_display, meeting.room) == (
        "Thu Sep 15, 5–7 pm",
        "Wed Sep 14, 6:30–8:30 pm",
        "1-190",
    )
    assert meeting.sequence == 2  # the move, then the room (it follows the section's)
    assert (other.when_display, other.room, other.sequence) == (
        "Wed Sep 21, 6:30–8:30 pm",
        "1-190",
        1,
    )


def test_sync_keeps_a_room_override_when_the_section_room_changes(meeting):
    move(meeting, day=datetime.date(2022, 9, 14), start=(18, 0), end=(20, 0), room="4-231")
    section = meeting.section

    section.room = "1-190"
    section.save()

    meeting.refresh_from_db()
    assert (meeting.room, meeting.scheduled_room, meeting.sequence) == ("4-231", "1-190", 1)


def test_a_week_title_change_touches_meetings_without_raising_sequence(meeting):
    before = meeting.updated_at
    week = meeting.week

    week.title = "A better title"
    week.save()

    meeting.refresh_from_db()
    assert meeting.updated_at > before
    assert meeting.sequence == 0


def test_reading_and_paper_changes_touch_their_weeks_meetings(meeting):
    from tests.factories import ReadingFactory

    reading = ReadingFactory(week=meeting.week)
    after_reading = Meeting.objects.get(pk=meeting.pk).updated_at
    untouched = Meeting.objects.get(week__number=2).updated_at

    reading.paper.title = "Renamed"
    reading.paper.save()

    assert after_reading > meeting.updated_at
    assert Meeting.objects.get(pk=meeting.pk).updated_at > after_reading
    assert Meeting.objects.get(week__number=2).updated_at == untouched


# --- copy_term ---------------------------------------------------------------------------------


def snapshot(term):
    return {
        "term": Term.objects.filter(pk=term.pk).values().get(),
        "weeks": list(Week.objects.filter(term=term).order_by("pk").values()),
        "readings": list(Reading.objects.filter(week__term=term).order_by("pk").values()),
        "sections": list(Section.objects.filter(term=term).order_by("pk").values()),
        "leads": list(
            Section.leads.through.objects.filter(section__term=term).order_by("pk").values()
        ),
        "meetings": list(Meeting.objects.for_term(term).order_by("pk").values()),
    }


def test_copy_term_copies_weeks_readings_sections_and_meetings_with_dates_shifted():
    old = build_term(
        weeks=4, readings_per_week=3, sections=2, slug="fall-2022", name="Fall 2022", place="MIT"
    )
    old.organizers.add(UserFactory())
    week_4 = old.weeks.get(number=4)
    week_4.starts_on_override = datetime.date(2022, 10, 10)  # a week's break before it
    week_4.save()
    cancel_meeting(meeting=Meeting.objects.for_term(old).first(), reason="Exams", by=None)
    before = snapshot(old)

    new = copy_term(
        term=old, name="Spring 2023", slug="spring-2023", first_monday=datetime.date(2023, 2, 6)
    )

    assert snapshot(old) == before  # nothing of the old term changed
    assert (new.name, new.slug, new.is_published, new.first_monday, new.place) == (
        "Spring 2023",
        "spring-2023",
        False,
        datetime.date(2023, 2, 6),
        "MIT",
    )
    assert list(new.organizers.all()) == list(old.organizers.all())
    counts = [
        (t.weeks.count(), Reading.objects.filter(week__term=t).count(), t.sections.count())
        for t in (old, new)
    ]
    assert counts == [(4, 12, 2), (4, 12, 2)]
    assert Meeting.objects.for_term(new).count() == Meeting.objects.for_term(old).count() == 8
    assert [(w.number, w.title, w.starts_on) for w in new.weeks.order_by("number")] == [
        (w.number, w.title, w.starts_on + datetime.timedelta(weeks=21))
        for w in old.weeks.order_by("number")
    ]
    assert [
        (s.slug, s.weekday, s.start_time, s.room, list(s.leads.all()))
        for s in new.sections.order_by("slug")
    ] == [
        (s.slug, s.weekday, s.start_time, s.room, list(s.leads.all()))
        for s in old.sections.order_by("slug")
    ]
    new_meetings = Meeting.objects.for_term(new).select_related("section__term")
    assert {m.status for m in new_meetings} == {"scheduled"}
    assert {m.public_note for m in new_meetings} == {""}
    # Same local wall-clock times 21 weeks later (the UTC offsets differ: EDT then EST).
    assert sorted(m.local_start().replace(tzinfo=None) for m in new_meetings) == sorted(
        m.local_start().replace(tzinfo=None) + datetime.timedelta(weeks=21)
        for m in Meeting.objects.for_term(old).select_related("section__term")
    )


def test_copy_term_keeps_local_meeting_times_across_daylight_saving():
    # Fall meetings are in EDT, the copy's in EST: still 6 pm local.
    old = build_term(weeks=1, readings_per_week=0, sections=0)  # first Monday Sep 12, 2022
    SectionFactory(term=old, weekday=2, start_time=datetime.time(18))

    new = copy_term(term=old, name="Winter", slug="winter", first_monday=datetime.date(2023, 1, 9))

    meeting = Meeting.objects.for_term(new).select_related("section__term").get()
    assert meeting.local_start() == datetime.datetime(2023, 1, 11, 18, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("slug", "first_monday", "errors"),
    [
        (
            "fall-2022",
            datetime.date(2023, 2, 6),
            {"slug": ["A term with the slug “fall-2022” already exists."]},
        ),
        (
            "spring-2023",
            datetime.date(2023, 2, 7),
            {"first_monday": ["Pick a Monday: week dates count from it."]},
        ),
        (  # found by the hostile-input properties: week dates overflowed Python's year 9999
            "spring-9999",
            datetime.date(9999, 12, 27),
            {"first_monday": ["Pick a date between 1900 and 2199."]},
        ),
    ],
)
def test_copy_term_refuses_a_taken_slug_or_a_non_monday(slug, first_monday, errors):
    old = build_term(weeks=1, sections=1, slug="fall-2022")

    with pytest.raises(ValidationError) as raised:
        copy_term(term=old, name="Spring 2023", slug=slug, first_monday=first_monday)

    assert raised.value.message_dict == errors
    assert Term.objects.count() == 1


MONDAY = datetime.date(2023, 2, 6)
WEEK = datetime.timedelta(weeks=1)


def test_copy_term_skips_holiday_weeks_and_moves_later_weeks_on():
    old = build_term(weeks=5, readings_per_week=0, sections=2, slug="fall-2022")

    new = copy_term(
        term=old,
        name="Spring 2023",
        slug="spring-2023",
        first_monday=MONDAY,
        skip_weeks=[MONDAY + 2 * WEEK, MONDAY + 4 * WEEK],  # the 3rd and 5th calendar weeks
    )

    weeks = new.weeks.order_by("number")
    assert [(w.number, w.starts_on, w.starts_on_override) for w in weeks] == [
        (1, MONDAY, None),
        (2, MONDAY + WEEK, None),
        (3, MONDAY + 3 * WEEK, MONDAY + 3 * WEEK),
        (4, MONDAY + 5 * WEEK, MONDAY + 5 * WEEK),
        (5, MONDAY + 6 * WEEK, MONDAY + 6 * WEEK),
    ]
    # Every week's meetings fall in it, in each section's weekday, and none in a skipped week.
    meetings = Meeting.objects.for_term(new).select_related("week", "section__term")
    assert sorted(
        (m.week.number, m.section.weekday, m.local_start().date()) for m in meetings
    ) == sorted(
        (w.number, s.weekday, w.starts_on + datetime.timedelta(days=s.weekday))
        for w in weeks
        for s in new.sections.all()
    )
    assert {
        m.local_start().date() - datetime.timedelta(days=m.section.weekday) for m in meetings
    }.isdisjoint({MONDAY + 2 * WEEK, MONDAY + 4 * WEEK})
    # The term ends with its last week, and the sync has nothing left to change.
    assert Term.objects.with_week_count().get(
        pk=new.pk
    ).ends_on == MONDAY + 7 * WEEK - datetime.timedelta(days=1)
    assert new.ends_on == MONDAY + 7 * WEEK - datetime.timedelta(days=1)
    before = sorted(Meeting.objects.for_term(new).values_list("pk", "starts_at", "sequence"))
    sync_meetings(term=new)
    assert (
        sorted(Meeting.objects.for_term(new).values_list("pk", "starts_at", "sequence")) == before
    )


def test_copy_term_moves_a_hand_moved_week_with_the_term_and_past_a_skipped_week():
    old = build_term(weeks=3, readings_per_week=0, sections=0, slug="fall-2022")
    old.weeks.filter(number=3).update(starts_on_override=old.first_monday + 3 * WEEK)  # a break

    new = copy_term(
        term=old,
        name="Spring 2023",
        slug="spring-2023",
        first_monday=MONDAY,
        skip_weeks=[MONDAY + WEEK],
    )

    assert [w.starts_on for w in new.weeks.order_by("number")] == [
        MONDAY,
        MONDAY + 2 * WEEK,  # skipped the 2nd calendar week
        MONDAY + 4 * WEEK,  # its own break, then one week more
    ]


@pytest.mark.parametrize(
    "skip", [datetime.date(2023, 2, 7), datetime.date(2023, 1, 30)], ids=["tuesday", "before"]
)
def test_copy_term_refuses_a_skipped_week_that_is_no_monday_of_the_term(skip):
    old = build_term(weeks=2, sections=1, slug="fall-2022")

    with pytest.raises(ValidationError) as raised:
        copy_term(term=old, name="S", slug="s", first_monday=MONDAY, skip_weeks=[skip])

    assert raised.value.message_dict == {
        "skip_weeks": ["Weeks to skip are Mondays on or after the first Monday."]
    }
    assert Term.objects.count() == 1


def test_a_skipped_week_leaves_a_gap_in_the_calendar_feed(client):
    old = build_term(weeks=3, readings_per_week=0, sections=1, slug="fall-2022")
    new = copy_term(
        term=old,
        name="Spring 2023",
        slug="spring-2023",
        first_monday=MONDAY,
        skip_weeks=[MONDAY + WEEK],
    )
    new.is_published = True
    new.save()

    feed = client.get(f"/terms/{new.slug}/calendar.ics").content.decode()

    weekday = new.sections.get().weekday
    starts = sorted(re.findall(r"DTSTART;TZID=America/New_York:(\d{8})", feed))
    assert starts == [
        (day + datetime.timedelta(days=weekday)).strftime("%Y%m%d")
        for day in (MONDAY, MONDAY + 2 * WEEK, MONDAY + 3 * WEEK)
    ]


def test_move_meeting_of_a_term_without_dates_refuses_a_date_out_of_range():
    """Found by the hostile-input properties: with no first Monday there were no bounds, and
    Dec 31, 9999 at 8 pm in New York is past the last moment a database date can hold."""
    term = TermFactory(first_monday=None)
    WeekFactory(term=term, number=1)
    meeting = Meeting.objects.get(section=SectionFactory(term=term))

    with pytest.raises(ValidationError) as raised:
        move_meeting(
            meeting=meeting,
            date=datetime.date(9999, 12, 31),
            start_time=datetime.time(20, 0),
            end_time=datetime.time(21, 0),
            room="",
            by=None,
        )

    assert raised.value.message_dict == {"date": ["Pick a date between 1900 and 2199."]}
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.sequence) == (None, 0)
