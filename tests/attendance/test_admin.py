import pytest
from django.utils import timezone

from attendance.models import Apology, AttendanceRecord, Preparation
from tests.factories import AttendanceRecordFactory, EnrollmentFactory
from tests.hostile import STORED_HTML, STORED_HTML_ESCAPED, STORED_HTML_LIVE

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


# --- What members write: "I can't come" and "I've read it" / questions ---------------------------

MEMBER_WRITTEN = ["/admin/attendance/apology/", "/admin/attendance/preparation/"]


@pytest.fixture
def written(section, other_section):
    """Ada (in `section`) and Bea (in `other_section`) each said "can't come" and asked."""
    rows = {}
    for name, where in (("Ada", section), ("Bea", other_section)):
        member = EnrollmentFactory(section=where, member__name=name).member
        meeting = where.meetings.get(week__number=2)
        rows[name] = (
            Apology.objects.create(member=member, meeting=meeting, reason=f"{name} is away"),
            Preparation.objects.create(
                member=member, meeting=meeting, question=STORED_HTML, read_at=timezone.now()
            ),
        )
    return rows


@pytest.mark.parametrize("url", MEMBER_WRITTEN)
@pytest.mark.parametrize("who", ["organizer", "lead"])
def test_only_organizers_see_apologies_and_questions_in_the_admin(
    client, organizer, lead, written, url, who
):
    lead.is_staff = True  # a lead who uses the admin for something else
    lead.save()
    client.force_login(organizer if who == "organizer" else lead)
    change = f"{url}{Apology.objects.first().pk if 'apology' in url else written['Ada'][1].pk}/"

    listed, opened = client.get(url), client.get(f"{change}change/")

    if who == "organizer":
        assert (listed.status_code, opened.status_code) == (200, 200)
        assert len(listed.context["cl"].result_list) == 2
    else:
        assert (listed.status_code, opened.status_code) == (403, 403)


@pytest.mark.parametrize("url", MEMBER_WRITTEN)
def test_organizers_may_delete_but_not_add_or_edit_them(organizer_client, written, url):
    apology, preparation = written["Ada"]
    obj = apology if "apology" in url else preparation

    added = organizer_client.get(f"{url}add/")
    edited = organizer_client.post(f"{url}{obj.pk}/change/", {"reason": "x", "question": "x"})
    deleted = organizer_client.post(f"{url}{obj.pk}/delete/", {"post": "yes"})

    assert added.status_code == 403
    assert edited.status_code == 403
    assert deleted["Location"] == "/admin/"  # the admin's way when the list is view-only
    assert not type(obj).objects.filter(pk=obj.pk).exists()
    assert type(obj).objects.count() == 1


def test_organizer_lists_apologies_with_section_and_term_filtered_and_searched(
    organizer_client, term, section, written
):
    ada_apology = written["Ada"][0]

    listed = organizer_client.get("/admin/attendance/apology/")
    by_section = organizer_client.get(
        "/admin/attendance/apology/", {"meeting__section__id__exact": section.pk}
    )
    by_term = organizer_client.get(
        "/admin/attendance/apology/", {"meeting__section__term__id__exact": term.pk}
    )
    by_name = organizer_client.get("/admin/attendance/apology/", {"q": "bea"})

    assert listed.context["cl"].list_display == [
        "action_checkbox",
        "member",
        "meeting",
        "section",
        "term",
        "reason",
        "created_at",
    ]
    html = listed.content.decode()
    assert f'<td class="field-section">{section.name}</td>' in html
    assert f'<td class="field-term">{term.name}</td>' in html
    assert list(by_section.context["cl"].result_list) == [ada_apology]
    assert len(by_term.context["cl"].result_list) == 2
    assert list(by_name.context["cl"].result_list) == [written["Bea"][0]]


def test_organizer_sees_questions_escaped_in_the_list_and_on_the_page(
    organizer_client, section, written
):
    preparation = written["Ada"][1]

    listed = organizer_client.get(
        "/admin/attendance/preparation/", {"meeting__section__id__exact": section.pk}
    )
    opened = organizer_client.get(f"/admin/attendance/preparation/{preparation.pk}/change/")

    assert list(listed.context["cl"].result_list) == [preparation]
    assert listed.context["cl"].list_display == [
        "action_checkbox",
        "member",
        "meeting",
        "section",
        "term",
        "has_read",
        "short_question",
        "created_at",
    ]
    for response in (listed, opened):
        html = response.content.decode()
        assert STORED_HTML_LIVE not in html
    assert f'<td class="field-short_question">{STORED_HTML_ESCAPED[:60]}' in listed.content.decode()
    assert STORED_HTML_ESCAPED in opened.content.decode()


@pytest.mark.parametrize("url", MEMBER_WRITTEN)
@pytest.mark.parametrize("rows", [1, 3])
def test_member_written_lists_run_a_fixed_number_of_queries(
    organizer_client, section, url, rows, django_assert_num_queries
):
    for week in range(1, rows + 1):
        member = EnrollmentFactory(section=section).member
        meeting = section.meetings.get(week__number=week)
        Apology.objects.create(member=member, meeting=meeting)
        Preparation.objects.create(member=member, meeting=meeting, question="Q")

    with django_assert_num_queries(9):
        response = organizer_client.get(url)

    assert len(response.context["cl"].result_list) == rows
