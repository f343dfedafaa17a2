"""Walk-ins without an email, and organizers merging duplicate members (#11)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from attendance.models import AttendanceRecord, Enrollment, Member
from attendance.services import merge_members
from sections.models import Meeting
from tests.attendance.test_join import ask_to_join
from tests.attendance.test_views import roster_post
from tests.factories import AttendanceRecordFactory, EnrollmentFactory, MemberFactory

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2022, 9, 14, 23, tzinfo=datetime.UTC)


def test_walk_ins_without_an_email_are_new_members_each(client, lead, section, meeting):
    client.force_login(lead)
    for version in (0, 1):
        walk_in = {"walk_in-name": "Sam", "walk_in-status": "late"}
        response = client.post(
            f"/attendance/meetings/{meeting.pk}/",
            roster_post(meeting, [], [], version=version, **walk_in),
        )
        assert response.status_code == 302

    assert sorted(Member.objects.values_list("name", "email")) == [("Sam", ""), ("Sam", "")]
    assert sorted(
        AttendanceRecord.objects.filter(meeting=meeting).values_list("member__name", "status")
    ) == [("Sam", "late"), ("Sam", "late")]


def test_emails_stay_unique_whatever_their_capitals():
    MemberFactory(email="ada@example.edu")

    with pytest.raises(IntegrityError):
        MemberFactory(email="ADA@example.edu")


def test_join_still_needs_an_email(client, here, settings):
    settings.EMAIL_CONFIGURED = True
    response = ask_to_join(client, here, email="")  # a section of a term running now

    assert response.context["form"].errors == {"email": ["This field is required."]}


@pytest.fixture
def week_meetings(section):
    return list(Meeting.objects.filter(section=section).order_by("week__number"))


def test_merge_moves_enrollments_and_records_and_keeps_the_most_informative(
    section, other_section, week_meetings, lead
):
    first, second, third = week_meetings
    keep = EnrollmentFactory(section=section, member__name="Sam Smith", member__email="").member
    walk_in = MemberFactory(name="Sam", email="sam@example.edu", affiliation="MIT")
    EnrollmentFactory(section=section, member=walk_in)
    EnrollmentFactory(section=other_section, member=walk_in)
    AttendanceRecordFactory(meeting=first, member=keep, status="absent", recorded_at=AT)
    AttendanceRecordFactory(meeting=first, member=walk_in, status="late", remark="", recorded_at=AT)
    AttendanceRecordFactory(meeting=second, member=keep, status="excused", remark="ill")
    AttendanceRecordFactory(meeting=second, member=walk_in, status="absent", remark="?")
    AttendanceRecordFactory(meeting=third, member=walk_in, status="present", roster_version=4)

    merged = merge_members(keep=keep, others=[walk_in])

    assert (merged.name, merged.email, merged.affiliation) == (
        "Sam Smith",
        "sam@example.edu",
        "MIT",
    )
    assert list(Member.objects.all()) == [keep]
    assert sorted(
        Enrollment.objects.filter(member=keep).values_list("section__name", flat=True)
    ) == sorted([section.name, other_section.name])
    assert sorted(
        AttendanceRecord.objects.filter(member=keep).values_list(
            "meeting__week__number", "status", "remark", "roster_version"
        )
    ) == [(1, "late", "", 2), (2, "excused", "ill", 2), (3, "present", "", 5)]


def test_merge_needs_another_member():
    member = MemberFactory()

    with pytest.raises(ValidationError):
        merge_members(keep=member, others=[member])


def test_admin_merge_asks_which_to_keep_then_merges(client, organizer, section, meeting):
    keep = EnrollmentFactory(section=section, member__name="Sam Smith").member
    walk_in = MemberFactory(name="Sam", email="")
    AttendanceRecordFactory(meeting=meeting, member=walk_in, status="present")
    client.force_login(organizer)
    selected = {"action": "merge", "_selected_action": [keep.pk, walk_in.pk]}

    page = client.post("/admin/attendance/member/", selected)
    assert page.context["title"] == "Merge members"
    assert list(page.context["objects"]) == [keep, walk_in]
    assert Member.objects.count() == 2  # nothing merged before confirming

    response = client.post(
        "/admin/attendance/member/", {**selected, "apply": "Merge", "keep": keep.pk}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        f"Merged 1 member(s) into {keep}: their enrollments and attendance are now theirs."
    ]
    assert list(Member.objects.all()) == [keep]
    assert list(
        AttendanceRecord.objects.filter(meeting=meeting).values_list("member", "status")
    ) == [(keep.pk, "present")]


def test_admin_merge_refuses_a_member_not_selected(client, organizer):
    a, b, c = MemberFactory.create_batch(3)
    client.force_login(organizer)

    response = client.post(
        "/admin/attendance/member/",
        {"action": "merge", "_selected_action": [a.pk, b.pk], "apply": "Merge", "keep": c.pk},
    )

    assert response.context["form"].errors == {"keep": ["Choose one of the selected members."]}
    assert Member.objects.count() == 3


def test_admin_merge_needs_two_members(client, organizer):
    member = MemberFactory()
    client.force_login(organizer)

    response = client.post(
        "/admin/attendance/member/",
        {"action": "merge", "_selected_action": [member.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Select at least two members to merge."
    ]
