"""Checking in at the door: the window, the late mark, the lead's mark winning (docs/checkin.md)."""

import datetime
import threading
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from attendance.models import AttendanceRecord
from attendance.services import Entry, record_attendance, self_check_in, walk_in_check_in
from sections.models import Meeting
from sections.services import copy_term
from tests.admin_forms import admin_change
from tests.factories import EnrollmentFactory, build_term, enroll_members
from tests.threads import postgresql_only

pytestmark = pytest.mark.django_db

Status = AttendanceRecord.Status
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def ada(section):
    return EnrollmentFactory(section=section, member__name="Ada").member


def records(meeting):
    return sorted(
        AttendanceRecord.objects.filter(meeting=meeting).values_list(
            "member__name", "status", "source"
        )
    )


def refusal(meeting, member, at):
    with pytest.raises(ValidationError) as caught:
        self_check_in(meeting=meeting, member=member, at=at)
    return caught.value.code, caught.value.messages


def test_self_check_in_opens_15_minutes_before_the_start(meeting, ada):
    opens = meeting.starts_at - datetime.timedelta(minutes=15)

    assert refusal(meeting, ada, opens - SECOND) == (
        "not_open",
        ["Check-in for this meeting is not open yet: it opens at 4:45 pm on Monday 12 September."],
    )
    checked = self_check_in(meeting=meeting, member=ada, at=opens + SECOND)

    assert checked.created
    assert checked.message == "You are checked in: present."
    assert records(meeting) == [("Ada", "present", "self")]


def test_self_check_in_is_open_at_the_opening_second(meeting, ada):
    opens = meeting.starts_at - datetime.timedelta(minutes=15)

    self_check_in(meeting=meeting, member=ada, at=opens)

    assert records(meeting) == [("Ada", "present", "self")]


def test_self_check_in_closes_at_the_end(meeting, ada, section):
    bea = EnrollmentFactory(section=section, member__name="Bea").member

    self_check_in(meeting=meeting, member=bea, at=meeting.ends_at - SECOND)

    assert refusal(meeting, ada, meeting.ends_at) == (
        "closed",
        ["Check-in for this meeting is closed: it ended at 6:30 pm."],
    )
    assert refusal(meeting, ada, meeting.ends_at + SECOND)[0] == "closed"
    assert records(meeting) == [("Bea", "late", "self")]


def test_self_check_in_follows_the_terms_window_setting(meeting, ada):
    term = meeting.section.term
    term.checkin_opens_before = datetime.timedelta(minutes=30)
    term.save()
    meeting = Meeting.objects.select_related("section__term").get(pk=meeting.pk)
    opens = meeting.starts_at - datetime.timedelta(minutes=30)

    assert refusal(meeting, ada, opens - SECOND)[0] == "not_open"
    self_check_in(meeting=meeting, member=ada, at=opens + SECOND)

    assert records(meeting) == [("Ada", "present", "self")]


@pytest.mark.parametrize("week", [1, 2])
def test_self_check_in_window_in_the_week_the_clocks_go_back(week):
    # Clocks go back on Sunday 6 November 2022 in New York: week 1's Monday meeting is on
    # EDT (UTC-4), week 2's on EST (UTC-5); both open at 4:45 pm local time.
    term = build_term(weeks=2, sections=1, first_monday=datetime.date(2022, 10, 31))
    section = term.sections.get()
    member = EnrollmentFactory(section=section, member__name="Ada").member
    meeting = Meeting.objects.select_related("section__term").get(
        section=section, week__number=week
    )
    day = datetime.date(2022, 10, 31) + datetime.timedelta(weeks=week - 1)
    opens = datetime.datetime.combine(day, datetime.time(16, 45), tzinfo=NEW_YORK)

    assert refusal(meeting, member, opens - SECOND)[0] == "not_open"
    self_check_in(meeting=meeting, member=member, at=opens + SECOND)

    assert records(meeting) == [("Ada", "present", "self")]
    assert opens.utcoffset() == datetime.timedelta(hours=-4 if week == 1 else -5)


def test_self_check_in_is_late_after_the_grace_period(meeting, ada, section):
    bea = EnrollmentFactory(section=section, member__name="Bea").member
    grace_ends = meeting.starts_at + datetime.timedelta(minutes=15)

    self_check_in(meeting=meeting, member=ada, at=grace_ends)
    checked = self_check_in(meeting=meeting, member=bea, at=grace_ends + SECOND)

    assert checked.message == "You are checked in: late."
    assert records(meeting) == [("Ada", "present", "self"), ("Bea", "late", "self")]


def test_self_check_in_twice_keeps_one_record(meeting, ada):
    first = self_check_in(meeting=meeting, member=ada, at=meeting.starts_at)
    again = self_check_in(meeting=meeting, member=ada, at=meeting.starts_at + SECOND * 1000)

    assert (first.created, again.created) == (True, False)
    assert again.message == "You were checked in already (present): nothing changed."
    assert records(meeting) == [("Ada", "present", "self")]


def test_self_check_in_never_changes_a_leads_record(meeting, ada, lead):
    record_attendance(
        meeting=meeting,
        entries=[Entry(ada.pk, Status.ABSENT)],
        recorded_by=lead,
        expected_version=0,
    )

    checked = self_check_in(meeting=meeting, member=ada, at=meeting.starts_at)

    assert not checked.created
    assert checked.message == "Your lead has already marked you absent: nothing changed."
    assert records(meeting) == [("Ada", "absent", "lead")]


def test_leads_mark_after_a_self_check_in_wins(meeting, ada, lead):
    # The lead's form was loaded before Ada checked in: it showed her unmarked.
    self_check_in(meeting=meeting, member=ada, at=meeting.starts_at)

    saved = record_attendance(
        meeting=meeting,
        entries=[Entry(ada.pk, Status.EXCUSED, "", original_status="", original_remark="")],
        recorded_by=lead,
        expected_version=0,
    )

    assert saved.version == 1
    assert records(meeting) == [("Ada", "excused", "lead")]


def test_roster_save_keeps_self_check_ins_it_did_not_change(meeting, ada, section, lead):
    bea = EnrollmentFactory(section=section, member__name="Bea").member
    self_check_in(meeting=meeting, member=ada, at=meeting.starts_at)

    record_attendance(
        meeting=meeting,
        entries=[
            Entry(ada.pk, "", "", original_status="", original_remark=""),
            Entry(bea.pk, Status.PRESENT, "", original_status="", original_remark=""),
        ],
        recorded_by=lead,
        expected_version=0,
    )

    assert records(meeting) == [("Ada", "present", "self"), ("Bea", "present", "lead")]


def test_self_check_in_refuses_a_member_of_another_section(meeting, other_section):
    bea = EnrollmentFactory(section=other_section, member__name="Bea").member

    assert refusal(meeting, bea, meeting.starts_at) == (
        "not_enrolled",
        [f"You are not in the {meeting.section.name} section: ask its lead to add you."],
    )
    assert records(meeting) == []


def test_self_check_in_refuses_a_cancelled_meeting(meeting, ada):
    meeting.status = Meeting.Status.CANCELLED
    meeting.save()

    assert refusal(meeting, ada, meeting.starts_at) == (
        "cancelled",
        ["This meeting was cancelled: there is no check-in."],
    )


def test_walk_in_check_in_enrolls_someone_new(meeting):
    checked = walk_in_check_in(
        meeting=meeting, name="Cy Newcomer", email="cy@example.org", at=meeting.starts_at
    )

    assert checked.created
    assert records(meeting) == [("Cy Newcomer", "present", "walk-in")]
    assert list(meeting.section.enrollments.values_list("member__email", flat=True)) == [
        "cy@example.org"
    ]


def test_self_check_in_queries(meeting, ada, django_assert_num_queries):
    meeting = Meeting.objects.select_related("section__term").get(pk=meeting.pk)
    # Its transaction (a savepoint inside the test's), enrolled?, the meeting's lock, then
    # get_or_create: SELECT, SAVEPOINT, INSERT, RELEASE; then the outer RELEASE.
    with django_assert_num_queries(8):
        self_check_in(meeting=meeting, member=ada, at=meeting.starts_at)


def test_organizers_set_the_window_in_the_term_admin(client, organizer):
    client.force_login(organizer)
    term = build_term(weeks=1, readings_per_week=0, sections=0)
    url = f"/admin/syllabus/term/{term.pk}/change/"

    page = client.get(url)
    refused = admin_change(client, url, checkin_opens_before="03:00:00")
    saved = admin_change(client, url, checkin_opens_before="00:30:00", late_after="00:05:00")

    fieldsets = dict(page.context["adminform"].model_admin.fieldsets)
    assert fieldsets["Check-in at the door"]["fields"] == ["checkin_opens_before", "late_after"]
    assert refused.context["adminform"].form.errors == {
        "checkin_opens_before": ["Ensure this value is less than or equal to 2:00:00."]
    }
    assert saved["Location"] == "/admin/syllabus/term/"
    term.refresh_from_db()
    assert (term.checkin_opens_before, term.late_after) == (
        datetime.timedelta(minutes=30),
        datetime.timedelta(minutes=5),
    )


def test_the_next_term_keeps_the_check_in_settings():
    term = build_term(
        weeks=1,
        readings_per_week=0,
        sections=0,
        checkin_opens_before=datetime.timedelta(minutes=5),
        late_after=datetime.timedelta(minutes=10),
    )

    new = copy_term(term=term, name="Spring", slug="spring", first_monday=datetime.date(2023, 2, 6))

    assert (new.checkin_opens_before, new.late_after) == (
        datetime.timedelta(minutes=5),
        datetime.timedelta(minutes=10),
    )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_forty_check_ins_and_a_roster_save_at_once_lose_nothing(section, lead):
    meeting = Meeting.objects.select_related("section__term").get(section=section, week__number=1)
    members = enroll_members(section, 40)
    zed = EnrollmentFactory(section=section, member__name="Zed").member
    start = threading.Barrier(41)
    failures = []

    def check_in(member):
        try:
            start.wait(10)
            self_check_in(meeting=meeting, member=member, at=meeting.starts_at)
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    def save_roster():
        # The lead's form was loaded before anyone checked in: everyone unmarked.
        try:
            start.wait(10)
            record_attendance(
                meeting=meeting,
                entries=[
                    Entry(
                        members[0].pk, Status.EXCUSED, "", original_status="", original_remark=""
                    ),
                    Entry(zed.pk, Status.ABSENT, "", original_status="", original_remark=""),
                    *(
                        Entry(m.pk, "", "", original_status="", original_remark="")
                        for m in members[1:]
                    ),
                ],
                recorded_by=lead,
                expected_version=0,
            )
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=check_in, args=(m,)) for m in members]
    threads.append(threading.Thread(target=save_roster))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert failures == []
    stored = AttendanceRecord.objects.filter(meeting=meeting)
    assert stored.count() == 41
    assert sorted(stored.values_list("member__name", "status", "source")) == sorted(
        [(members[0].name, "excused", "lead"), ("Zed", "absent", "lead")]
        + [(m.name, "present", "self") for m in members[1:]]
    )
