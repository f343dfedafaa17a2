"""Stored text is text on every page: a name, room or title holding markup is shown escaped,
never as a live element, wherever it appears (public pages, lead pages, the admin with its
action pages). Markdown fields (intro, summary, notes) are sanitised by design and allow
links, so they hold plain text here."""

import datetime

import pytest
from django.contrib.auth.models import Group

from attendance.models import AttendanceRecord
from sections.models import Meeting
from sections.services import cancel_meeting, move_meeting
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    MemberFactory,
    PaperFactory,
    ReadingFactory,
    SectionFactory,
    TermFactory,
    UserFactory,
    WeekFactory,
    write_note,
)
from tests.hostile import STORED_HTML, STORED_HTML_ESCAPED, STORED_HTML_LIVE

pytestmark = pytest.mark.django_db


@pytest.fixture
def hostile_term():
    """A term whose every one-line text is `STORED_HTML`: names, titles, rooms, notes."""
    term = TermFactory(
        slug="hostile",
        name=STORED_HTML,
        title=STORED_HTML,
        institution=STORED_HTML,
        supporters=STORED_HTML,
        format_note=STORED_HTML,
        reading_list_note=STORED_HTML,
        intro="Plain intro.",
    )
    week = WeekFactory(term=term, number=1, title=STORED_HTML, tagline=STORED_HTML)
    week_2 = WeekFactory(term=term, number=2, title=STORED_HTML, tagline=STORED_HTML)
    paper = PaperFactory(title=STORED_HTML, authors=STORED_HTML, venue=STORED_HTML)
    ReadingFactory(week=week, paper=paper, note=STORED_HTML)
    lead = UserFactory(username="hostile-lead", first_name=STORED_HTML, last_name=STORED_HTML)
    lead.groups.add(Group.objects.get(name="Organizers"))
    lead.is_staff = True
    lead.save()
    section = SectionFactory(term=term, slug="s", name=STORED_HTML, room=STORED_HTML, leads=[lead])
    meeting = Meeting.objects.get(section=section, week=week)
    moved = Meeting.objects.get(section=section, week=week_2)
    move_meeting(
        meeting=moved,
        date=datetime.date(2022, 9, 22),
        start_time=datetime.time(17),
        end_time=datetime.time(19),
        room=STORED_HTML,
        note=STORED_HTML,
        by=lead,
    )
    write_note(meeting, "Plain notes.", author=lead)
    member = MemberFactory(name=STORED_HTML, affiliation=STORED_HTML)
    EnrollmentFactory(member=member, section=section)
    AttendanceRecordFactory(
        member=member, meeting=meeting, remark=STORED_HTML, recorded_by=lead, roster_version=1
    )
    cancel_meeting(meeting=meeting, reason=STORED_HTML, by=lead)
    return {
        "term": term,
        "week": week,
        "paper": paper,
        "section": section,
        "meeting": meeting,
        "moved": moved,
        "lead": lead,
        "member": member,
    }


def pages(data):
    term, section, meeting = data["term"], data["section"], data["meeting"]
    moved, paper, member = data["moved"], data["paper"], data["member"]
    record = AttendanceRecord.objects.get(member=member)
    note = meeting.note
    gets = [
        "/",
        "/terms/",
        f"/terms/{term.slug}/",
        f"/terms/{term.slug}/weeks/1/",
        f"/terms/{term.slug}/weeks/2/",
        f"/terms/{term.slug}/sections/{section.slug}/",
        f"/terms/{term.slug}/readings/",
        f"/meetings/{meeting.pk}/change/",
        f"/meetings/{moved.pk}/change/",
        f"/meetings/{meeting.pk}/notes/",
        f"/meetings/{meeting.pk}/notes/history/",
        "/attendance/",
        f"/attendance/meetings/{meeting.pk}/",
        f"/attendance/sections/{section.pk}/report/",
        f"/attendance/terms/{term.slug}/",
        "/admin/",
        "/admin/syllabus/term/",
        f"/admin/syllabus/term/{term.pk}/change/",
        "/admin/syllabus/week/",
        f"/admin/syllabus/week/{data['week'].pk}/change/",
        "/admin/syllabus/paper/",
        f"/admin/syllabus/paper/{paper.pk}/change/",
        "/admin/syllabus/reading/",
        "/admin/sections/section/",
        f"/admin/sections/section/{section.pk}/change/",
        "/admin/sections/meeting/",
        f"/admin/sections/meeting/{moved.pk}/change/",
        "/admin/sections/discussionnote/",
        f"/admin/sections/discussionnote/{note.pk}/change/",
        "/admin/attendance/member/",
        f"/admin/attendance/member/{member.pk}/change/",
        "/admin/attendance/attendancerecord/",
        f"/admin/attendance/attendancerecord/{record.pk}/change/",
    ]
    posts = {
        "cancel action": ("/admin/sections/meeting/", "cancel_meetings", [moved.pk]),
        "move action": ("/admin/sections/meeting/", "move_meeting", [moved.pk]),
        "next term action": ("/admin/syllabus/term/", "start_next_term", [term.pk]),
        "restore action": ("/admin/sections/meeting/", "restore_meetings", [meeting.pk]),
    }
    return gets, posts


def test_stored_markup_is_escaped_on_every_page(client, hostile_term):
    client.force_login(hostile_term["lead"])
    gets, posts = pages(hostile_term)

    responses = {url: client.get(url) for url in gets}
    for name, (url, action, pks) in posts.items():
        data = {"action": action, "_selected_action": pks}
        responses[name] = client.post(url, data, follow=True)
    responses["import"] = client.post(
        "/admin/syllabus/paper/import/", {"text": f"@misc{{k, title={{{STORED_HTML}}}}}"}
    )

    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 200)
    live = {name for name, r in responses.items() if STORED_HTML_LIVE in r.content.decode()}
    assert live == set()
    shown = {name for name, r in responses.items() if STORED_HTML_ESCAPED in r.content.decode()}
    assert shown == set(responses)


def test_a_stored_url_that_is_no_web_address_is_never_a_link(client):
    term = TermFactory(slug="links")
    week = WeekFactory(term=term, number=1)
    paper = PaperFactory(title="Grokking", url="javascript:alert(1)", arxiv_id="2201.02177")
    ReadingFactory(week=week, paper=paper)
    SectionFactory(term=term, slug="s")

    pages = [
        f"/terms/{term.slug}/",
        f"/terms/{term.slug}/weeks/1/",
        f"/terms/{term.slug}/readings/",
    ]
    contents = [client.get(url).content.decode() for url in pages]
    schedule = client.get(f"/terms/{term.slug}/schedule.json").json()
    feed = client.get(f"/terms/{term.slug}/calendar.ics").content.decode()

    link = '<a href="https://arxiv.org/abs/2201.02177">Grokking</a>'
    assert [(link in content, "javascript:" in content) for content in contents] == [
        (True, False)
    ] * 3
    assert schedule["weeks"][0]["readings"][0]["url"] == "https://arxiv.org/abs/2201.02177"
    assert "javascript:" not in feed
