"""Query budgets at scale: every page, feed and lead page runs the same number of SQL queries on
generate_demo data at N=1 and at N=10 (ten times the history), each at most 10; saving a
200-member roster at most 15. Counts are of uncached requests (the page cache is cleared)."""

import random

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from attendance.models import AttendanceRecord, Enrollment, Member
from readinggroup.management.commands.generate_demo import generate
from sections.models import Meeting, Section
from syllabus.models import Term
from tests.queries import count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ANONYMOUS = [
    "/",
    "/terms/",
    "/terms/{term}/",
    "/terms/{term}/weeks/3/",
    "/terms/{term}/sections/wednesday/",
    "/terms/{term}/readings/",
    "/terms/{term}/readings.bib",
    "/terms/{term}/calendar.ics",
    "/terms/{term}/sections/wednesday/calendar.ics",
    "/terms/{term}/sections/wednesday/meetings/3.ics",
    "/terms/{term}/schedule.json",
]
LEAD = [
    "/attendance/",
    "/attendance/meetings/{meeting}/",
    "/attendance/sections/{section}/report/",
    "/attendance/sections/{section}/report.csv",
    "/attendance/sections/{section}/report.xlsx",
    "/meetings/{meeting}/notes/",
    "/meetings/{meeting}/notes/history/",
    "/meetings/{meeting}/change/",
]
ORGANIZER = ["/attendance/terms/{term}/", "/attendance/", "/admin/"]


def big_roster_save(client, meeting, lead):
    """Enroll 200 members in the meeting's section (once) and save every status."""
    section = meeting.section
    if Enrollment.objects.filter(section=section).count() < 200:
        extra = Member.objects.bulk_create(
            Member(name=f"Walk-in {n}", email=f"walkin{n}.{section.pk}@example.edu")
            for n in range(200)
        )
        Enrollment.objects.bulk_create(Enrollment(member=m, section=section) for m in extra)
    members = list(Member.objects.on_roster_of(section))
    version = max(
        AttendanceRecord.objects.filter(meeting=meeting).values_list("roster_version", flat=True),
        default=0,
    )
    data = {"version": str(version), "action": "save", "walk_in-status": "present"}
    for index, member in enumerate(members):
        data[f"status-{member.pk}"] = ["present", "late", "excused", "absent"][index % 4]
        data[f"remark-{member.pk}"] = ""
    client.force_login(lead)
    count = count_queries(
        client, f"/attendance/meetings/{meeting.pk}/", data, method="post", statuses=(200, 302)
    )
    assert AttendanceRecord.objects.filter(meeting=meeting).count() == len(members)
    return count, len(members)


def counts_for(client, term, lead, organizer, *, roster_meeting):
    section = Section.objects.get(term=term, slug="wednesday")
    meeting = Meeting.objects.filter(section=section, note__isnull=False).order_by("starts_at")[0]
    # Each save goes to a meeting not saved before: 30 marked by generate_demo, 200 new.
    marked = Meeting.objects.filter(section=section, attendance_records__isnull=False).distinct()
    to_save = marked.order_by("starts_at")[roster_meeting]
    names = {"term": term.slug, "section": section.pk, "meeting": meeting.pk}
    counts = {}
    client.logout()
    for url in ANONYMOUS:
        counts[url] = count_queries(client, url.format(**names), statuses=(200, 302))
    client.force_login(lead)
    for url in LEAD:
        counts[url] = count_queries(client, url.format(**names), statuses=(200, 302))
    client.force_login(organizer)
    for url in ORGANIZER:
        counts["organizer " + url] = count_queries(client, url.format(**names), statuses=(200, 302))
    counts["roster save"], roster_size = big_roster_save(client, to_save, lead)
    return counts, roster_size


def test_every_page_keeps_its_query_count_from_n1_to_n10(client):
    today = timezone.localdate()
    generate(rng=random.Random(1), scale=1, today=today)
    term = Term.objects.current()
    lead = get_user_model().objects.get(username="lead-g1-5")  # leads Wednesday
    organizer = get_user_model().objects.create_user("budget-organizer", is_staff=True)
    organizer.groups.add(Group.objects.get(name="Organizers"))

    at_1, roster_1 = counts_for(client, term, lead, organizer, roster_meeting=0)
    generate(rng=random.Random(2), scale=9, today=today, first_group=2)
    at_10, roster_10 = counts_for(client, term, lead, organizer, roster_meeting=1)

    assert Term.objects.count() == 30
    assert roster_1 == roster_10 >= 200
    assert at_10 == at_1
    assert {url: n for url, n in at_10.items() if n > (15 if url == "roster save" else 10)} == {}
