"""The term's attendance overview tells a meeting nobody took the roll of ("not taken") from
one nobody came to (0); a member's rate counts the meetings since they enrolled, or since
they first came if that was earlier."""

import datetime
import re

import pytest
from django.utils import timezone

from attendance.models import Enrollment
from attendance.reports import SectionReport, TermOverview
from tests.factories import AttendanceRecordFactory, EnrollmentFactory, build_term

pytestmark = pytest.mark.django_db


def meetings_by_week(section):
    return {m.week.number: m for m in section.meetings.select_related("week")}


def enroll(section, name, *, at):
    """`name` enrolled in `section` at `at` (a datetime)."""
    enrollment = EnrollmentFactory(section=section, member__name=name)
    Enrollment.objects.filter(pk=enrollment.pk).update(created_at=at)
    return enrollment.member


def test_the_overview_says_not_taken_where_nobody_took_the_roll_and_0_where_nobody_came(
    term, section, other_section
):
    week = meetings_by_week(section)
    ada = enroll(section, "Ada", at=week[1].starts_at - datetime.timedelta(days=1))
    AttendanceRecordFactory(meeting=week[1], member=ada, status="present")
    AttendanceRecordFactory(meeting=week[2], member=ada, status="absent")

    overview = TermOverview.build(term)

    assert overview.table_rows() == [
        (section, [1, 0, "not taken"]),
        (other_section, ["not taken"] * 3),
    ]


def test_the_overview_says_to_come_for_meetings_not_over_yet(db):
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    term = build_term(weeks=3, sections=1, slug="now", first_monday=monday - datetime.timedelta(7))
    section = term.sections.get()

    overview = TermOverview.build(term)

    assert overview.table_rows() == [(section, ["not taken", "to come", "to come"])]


def test_the_overview_page_shows_not_taken_and_says_what_it_means(client, organizer, term, section):
    AttendanceRecordFactory(meeting=meetings_by_week(section)[1], status="present")
    client.force_login(organizer)

    html = client.get(f"/attendance/terms/{term.slug}/").content.decode()

    row = re.search(rf"<th scope=\"row\">{section.name}</th>(.*?)</tr>", html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    assert cells == ["1", "not taken", "not taken", "Report"]
    assert (
        "<caption>Headcount per week and section: how many came (present or late). — cancelled "
        "or no meeting; “not taken”: nobody took the roll; “to come”: not over yet.</caption>"
    ) in html
    assert f"<title>{section.name}, week 2: not taken</title>" in html


def test_a_rate_counts_the_meetings_since_the_member_enrolled_or_first_came(term, section):
    week = meetings_by_week(section)
    for number in (1, 2, 3):  # every roll taken: someone else came each week
        AttendanceRecordFactory(meeting=week[number], status="present")
    before = datetime.timedelta(hours=1)
    early = enroll(section, "Early", at=week[1].starts_at - before)
    joined = enroll(section, "Joined in week 2", at=week[2].starts_at - before)
    came_first = enroll(section, "Came before enrolling", at=week[3].ends_at + before)
    late = enroll(section, "Enrolled after the last", at=week[3].ends_at + before)
    for member, number, status in [
        (early, 3, "present"),
        (joined, 2, "present"),
        (joined, 3, "absent"),
        (came_first, 2, "late"),
        (came_first, 3, "present"),
    ]:
        AttendanceRecordFactory(meeting=week[number], member=member, status=status)

    report = SectionReport.build(section)

    rows = {row.member.name: (row.attended, row.counted, row.rate) for row in report.rows}
    assert {name: rows[name] for name in [m.name for m in (early, joined, came_first, late)]} == {
        "Early": (1, 3, 1 / 3),
        "Joined in week 2": (1, 2, 0.5),
        "Came before enrolling": (2, 2, 1.0),
        "Enrolled after the last": (0, 0, None),
    }


def test_a_meeting_that_names_a_member_counts_even_before_they_enrolled(term, section):
    week = meetings_by_week(section)
    AttendanceRecordFactory(meeting=week[3], status="present")
    member = enroll(section, "Excused early", at=week[3].starts_at - datetime.timedelta(hours=1))
    AttendanceRecordFactory(meeting=week[1], member=member, status="excused")

    row = SectionReport.build(section).rows[0]

    assert (row.member.name, row.counted, row.rate) == ("Excused early", 2, 0.0)


def test_the_report_legend_says_where_the_rate_counts_from(client, lead, section):
    client.force_login(lead)

    html = client.get(f"/attendance/sections/{section.pk}/report/").content.decode()

    assert (
        "Rate: present or late, out of the meetings whose attendance was taken since the member "
        "enrolled (or first came, if that was earlier).</p>"
    ) in html
