import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from attendance.models import Apology, AttendanceRecord, Member, Preparation
from sections.models import Meeting
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    MemberFactory,
    SectionFactory,
)

pytestmark = pytest.mark.django_db


def test_member_email_is_unique_whatever_the_capitalisation():
    MemberFactory(email="ada@example.edu")

    with pytest.raises(IntegrityError):
        MemberFactory(email="Ada@Example.EDU")


def test_member_validation_names_the_duplicate_email():
    MemberFactory(email="ada@example.edu")

    with pytest.raises(ValidationError) as caught:
        Member(name="Ada", email="ADA@example.edu").full_clean()

    assert caught.value.messages == ["A member with this email already exists."]


def test_attendance_record_is_unique_per_meeting_and_member(meeting):
    record = AttendanceRecordFactory(meeting=meeting)

    with pytest.raises(IntegrityError):
        AttendanceRecordFactory(meeting=meeting, member=record.member)


def test_attendance_record_status_must_be_known(meeting):
    with pytest.raises(IntegrityError):
        AttendanceRecordFactory(meeting=meeting, status="maybe")


def test_roster_has_enrolled_members_and_past_attendees_only(section, other_section, meeting):
    enrolled = EnrollmentFactory(section=section, member__name="Bea").member
    came_before = AttendanceRecordFactory(meeting=meeting, member__name="Abe").member
    EnrollmentFactory(section=other_section, member__name="Cy")

    roster = list(Member.objects.on_roster_of(section))

    assert roster == [came_before, enrolled]


def test_with_record_for_annotates_this_meetings_marks(section, meeting):
    later = Meeting.objects.get(section=section, week__number=2)
    record = AttendanceRecordFactory(
        meeting=meeting, status=AttendanceRecord.Status.LATE, remark="bus", roster_version=3
    )
    AttendanceRecordFactory(meeting=later, member=record.member)
    unmarked = EnrollmentFactory(section=section, member__name="Zed").member

    rows = [
        (m.pk, m.saved_status, m.saved_remark, m.saved_version)
        for m in Member.objects.on_roster_of(section).with_record_for(meeting)
    ]

    assert rows == [(record.member.pk, "late", "bus", 3), (unmarked.pk, None, None, None)]


ROSTER_COLUMNS = [
    *("pk", "name", "email", "affiliation", "user_id", "created_at", "calendar_secret"),
    *("roster_name", "saved_status", "saved_remark", "saved_version", "saved_source"),
    *("apology_reason", "read_at", "question"),
]


def test_roster_for_is_the_roster_with_the_meetings_marks_apologies_and_preparations(
    section, other_section, meeting, lead
):
    later = Meeting.objects.get(section=section, week__number=2)
    read_at = datetime.datetime(2023, 3, 1, 17, 5, 9, 120000, tzinfo=datetime.UTC)
    names = ["zoë", "Émile", "adam", "Bea", "bea", "O'Brien", "Cy"]
    members = [MemberFactory(name=name, email=f"m{i}@example.edu") for i, name in enumerate(names)]
    for member in members[:5]:
        EnrollmentFactory(section=section, member=member)
    EnrollmentFactory(section=other_section, member=members[6])  # not on this roster
    members[0].enrollments.update(display_name="Aardvark")
    members[1].enrollments.update(display_name="")
    AttendanceRecordFactory(meeting=later, member=members[5])  # came once, never enrolled
    AttendanceRecordFactory(
        meeting=meeting,
        member=members[2],
        status=AttendanceRecord.Status.LATE,
        remark="bus",
        roster_version=3,
        source=AttendanceRecord.Source.SELF,
    )
    AttendanceRecordFactory(meeting=later, member=members[3], status="absent")
    Apology.objects.create(meeting=meeting, member=members[3], reason="")
    Apology.objects.create(meeting=meeting, member=members[4], reason="Ill")
    Apology.objects.create(meeting=later, member=members[0], reason="Away")
    Preparation.objects.create(meeting=meeting, member=members[4], read_at=read_at, question="Q?")
    Preparation.objects.create(meeting=meeting, member=members[2], question="Why?")
    orm = (
        Member.objects.on_roster_of(section)
        .with_record_for(meeting)
        .with_apology_for(meeting)
        .with_preparation_for(meeting)
    )

    rows = [
        [getattr(m, name) for name in ROSTER_COLUMNS] for m in Member.objects.roster_for(meeting)
    ]

    assert rows == [[getattr(m, name) for name in ROSTER_COLUMNS] for m in orm]
    # In the same order (names with accents sort as the database's LOWER() has them).
    shown = {row[7]: row for row in rows}
    assert list(shown)[:4] == ["Aardvark", "adam", "Bea", "bea"]
    assert set(shown) == {"Aardvark", "adam", "Bea", "bea", "Émile", "O'Brien"}
    assert shown["bea"][8:] == [None, None, None, None, "Ill", read_at, "Q?"]
    assert shown["adam"][8:] == ["late", "bus", 3, "self", None, None, "Why?"]
    assert shown["Bea"][8:] == [None, None, None, None, "", None, None]
    assert shown["Aardvark"][8:] == [None] * 7
    other = Meeting.objects.get(section=other_section, week__number=1)
    assert [m.name for m in Member.objects.roster_for(other)] == ["Cy"]


def test_report_roster_is_the_roster_with_when_each_member_enrolled(
    section, other_section, meeting
):
    ada = EnrollmentFactory(section=section, member__name="ada").member
    EnrollmentFactory(section=other_section, member=ada)
    bea = EnrollmentFactory(section=section, member__name="Bea", display_name="Aa").member
    AttendanceRecordFactory(meeting=meeting, member=bea)
    AttendanceRecordFactory(meeting=meeting, member__name="Walk In")
    EnrollmentFactory(section=other_section, member__name="Cy")
    orm = Member.objects.on_roster_of(section).with_enrolled_at(section)
    columns = [*ROSTER_COLUMNS[:8], "enrolled_at"]

    rows = [[getattr(m, name) for name in columns] for m in Member.objects.report_roster(section)]

    assert rows == [[getattr(m, name) for name in columns] for m in orm]
    enrolled = {e.member_id: e.created_at for e in section.enrollments.all()}
    assert [(row[7], row[8]) for row in rows] == [
        ("Aa", enrolled[bea.pk]),
        ("ada", enrolled[ada.pk]),
        ("Walk In", None),
    ]
    assert Member.objects.report_roster(SectionFactory(term=section.term, leads=[])) == []


def test_roster_for_an_empty_section_is_empty(empty_section):
    meeting = Meeting.objects.filter(section=empty_section).first()

    assert Member.objects.roster_for(meeting) == []


def test_cancelled_meeting_record_does_not_validate(meeting):
    meeting.status = Meeting.Status.CANCELLED
    meeting.save()
    record = AttendanceRecord(meeting=meeting, member=MemberFactory(), status="present")

    with pytest.raises(ValidationError) as caught:
        record.clean()

    assert caught.value.messages == ["This meeting was cancelled: attendance cannot be recorded."]
