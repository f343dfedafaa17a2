import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from attendance.models import AttendanceRecord, Member
from sections.models import Meeting
from tests.factories import AttendanceRecordFactory, EnrollmentFactory, MemberFactory

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


def test_cancelled_meeting_record_does_not_validate(meeting):
    meeting.status = Meeting.Status.CANCELLED
    meeting.save()
    record = AttendanceRecord(meeting=meeting, member=MemberFactory(), status="present")

    with pytest.raises(ValidationError) as caught:
        record.clean()

    assert caught.value.messages == ["This meeting was cancelled: attendance cannot be recorded."]
