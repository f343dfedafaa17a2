import pytest

from attendance.models import AttendanceRecord
from tests.factories import AttendanceRecordFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizer_client(client, organizer):
    client.force_login(organizer)
    return client


def test_organizer_searches_members_by_name_and_email(organizer_client, section):
    ada = EnrollmentFactory(section=section, member__name="Ada", member__email="ada@x.edu").member
    EnrollmentFactory(section=section, member__name="Bea", member__email="bea@y.edu")

    by_name = organizer_client.get("/admin/attendance/member/", {"q": "ada"})
    by_email = organizer_client.get("/admin/attendance/member/", {"q": "x.edu"})

    assert list(by_name.context["cl"].result_list) == [ada]
    assert list(by_email.context["cl"].result_list) == [ada]


def test_organizer_filters_members_by_section(organizer_client, section, other_section):
    ada = EnrollmentFactory(section=section, member__name="Ada").member
    EnrollmentFactory(section=other_section, member__name="Bea")

    response = organizer_client.get(
        "/admin/attendance/member/", {"enrollments__section__id__exact": section.pk}
    )

    assert list(response.context["cl"].result_list) == [ada]


def test_member_page_has_enrollment_inlines(organizer_client, section):
    member = EnrollmentFactory(section=section, member__name="Ada").member

    response = organizer_client.get(f"/admin/attendance/member/{member.pk}/change/")

    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.instance.section for form in formset.forms if form.instance.pk] == [section]


def test_organizer_filters_records_by_term_section_and_status(
    organizer_client, term, meeting, other_section
):
    late = AttendanceRecordFactory(meeting=meeting, status="late")
    AttendanceRecordFactory(meeting=meeting, status="present")
    AttendanceRecordFactory(meeting=other_section.meetings.first(), status="late")

    response = organizer_client.get(
        "/admin/attendance/attendancerecord/",
        {
            "status__exact": "late",
            "meeting__section__term__id__exact": term.pk,
            "meeting__section__id__exact": meeting.section_id,
        },
    )

    assert list(response.context["cl"].result_list) == [late]


def test_admin_edit_stamps_who_and_counts_as_a_roster_save(organizer_client, organizer, meeting):
    record = AttendanceRecordFactory(meeting=meeting, status="late", roster_version=4)

    organizer_client.post(
        f"/admin/attendance/attendancerecord/{record.pk}/change/",
        {"meeting": meeting.pk, "member": record.member.pk, "status": "present", "remark": ""},
    )

    record.refresh_from_db()
    assert (record.status, record.recorded_by, record.roster_version) == (
        "present",
        organizer,
        5,
    )
    assert AttendanceRecord.objects.roster_version(meeting) == 5
