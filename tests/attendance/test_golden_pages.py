"""The lead's roster, section report and dashboard, byte for byte, on a realistic data set.

Their rendering is tuned for speed (docs/performance.md, issue #16); these tests pin the HTML the
pages had before any tuning, so a faster rendering must produce exactly the same bytes. The
expected pages are stored under tests/golden/attendance/; after an intended change of markup,
regenerate them with `READINGGROUP_UPDATE_GOLDEN=1` (and read the diff).

The data are deterministic: fixed names (never factory sequences, which depend on the tests run
before), a term long past (so nothing depends on today), and primary keys written as
placeholders (PostgreSQL's sequences differ from run to run).
"""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from attendance.models import Apology, AttendanceRecord, Enrollment, Member, Preparation
from sections.models import Meeting, Section
from sections.services import cancel_meeting
from tests.factories import UserFactory, build_term

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "attendance"
UPDATE = os.environ.get("READINGGROUP_UPDATE_GOLDEN") == "1"
AT = datetime.datetime(2023, 1, 11, 23, 30, tzinfo=datetime.UTC)
Status = AttendanceRecord.Status

# Names that need escaping, accents, an apostrophe (escaped as &#x27;) and plain ones.
NAMES = [
    "Ada Lovelace",
    "Émile Zola",
    "O'Brien, Siobhán",
    "Tom & Jerry",
    "<b>Bold</b> Person",
    'Quote "Q" Quinn',
    "zoë lowercase",
    "Ümit Özdemir",
    "李小龙",
    "Zed Last",
]


def _name(index):
    base = NAMES[index % len(NAMES)]
    return base if index < len(NAMES) else f"{base} {index // len(NAMES)}"


def build_data():
    """Two sections of a four-week term in 2023; the first with 36 enrolled members (some with
    display names, some without email), a walk-in who only came once, records of weeks 1 and 2
    (by the lead, self check-ins, walk-ins; remarks with markup), apologies and preparations
    for week 3, and week 4 cancelled. Returns what the tests need."""
    term = build_term(
        weeks=4,
        readings_per_week=1,
        sections=2,
        slug="golden-2023",
        name="Golden Winter 2023",
        first_monday=datetime.date(2023, 1, 9),
    )
    for week in term.weeks.all():
        week.title = f"Topic <{week.number}> & “more”"
        week.save()
    sections = list(term.sections.order_by("weekday"))
    for index, section in enumerate(sections):
        section.name = ["Monday", "Tuesday"][index]
        section.slug = ["monday", "tuesday"][index]
        section.room = f"32-{index + 1}41"
        section.save()
        lead = section.leads.get()
        lead.username, lead.first_name, lead.last_name = f"lead{index}", f"Lea{index}", "Dé"
        lead.email = f"lead{index}@example.edu"
        lead.save()
    section = sections[0]
    meetings = list(Meeting.objects.filter(section=section).order_by("week__number"))
    members = []
    for index in range(36):
        member = Member.objects.create(
            name=_name(index),
            email="" if index % 9 == 4 else f"m{index:02d}@example.edu",
            affiliation="MIT" if index % 2 else "Harvard & <Co>",
            calendar_secret=f"golden-secret-{index}",
        )
        Enrollment.objects.create(
            member=member,
            section=section,
            display_name=f"Display “{index}” <i>" if index % 11 == 3 else "",
        )
        members.append(member)
    Enrollment.objects.filter(section=section).update(created_at=AT)
    walk_in = Member.objects.create(
        name="Walker In", email="walker@example.edu", calendar_secret="golden-secret-walker"
    )
    statuses = list(Status.values)
    records = []
    for week, meeting in enumerate(meetings[:2]):
        for index, member in enumerate(members):
            if (index + week) % 8 == 7:
                continue  # not marked
            source = AttendanceRecord.Source.LEAD
            if index % 10 == 1:
                source = AttendanceRecord.Source.SELF
            elif index % 10 == 2:
                source = AttendanceRecord.Source.WALK_IN
            remark = ""
            if index % 6 == 0:
                remark = f"Came at 18:{index:02d} <late> & “tired”"
            records.append(
                AttendanceRecord(
                    meeting=meeting,
                    member=member,
                    status=statuses[(index * 3 + week) % 4],
                    remark=remark,
                    source=source,
                    recorded_at=AT,
                    roster_version=1 + index % 2,
                )
            )
    records.append(
        AttendanceRecord(
            meeting=meetings[0],
            member=walk_in,
            status=Status.PRESENT,
            source=AttendanceRecord.Source.WALK_IN,
            recorded_at=AT,
            roster_version=1,
        )
    )
    AttendanceRecord.objects.bulk_create(records)
    for index, member in enumerate(members):
        if index % 5 == 3:
            Apology.objects.create(
                meeting=meetings[2],
                member=member,
                reason="" if index % 10 == 3 else f"Ill & <sorry> {'x' * (index * 7)}",
            )
        if index % 4 == 1:
            Preparation.objects.create(
                meeting=meetings[2],
                member=member,
                read_at=AT if index % 8 == 1 else None,
                question=f"Why <{index}> & how “{index}”?\nSecond line" if index % 3 else "",
            )
    AttendanceRecord.objects.create(
        meeting=meetings[2],
        member=members[8],  # an apology (index 8 % 5 == 3) and a record: the record wins
        status=Status.LATE,
        remark="Came anyway",
        recorded_at=AT,
        roster_version=1,
    )
    organizer = UserFactory(username="organizer", first_name="Org", last_name="Anizer")
    organizer.groups.add(Group.objects.get(name="Organizers"))
    cancel_meeting(meeting=meetings[3], reason="Snow <day>", by=organizer, notify=False)
    # A term far ahead, led by the same lead: the dashboard's next and coming meetings.
    future = build_term(
        weeks=3,
        readings_per_week=1,
        sections=1,
        slug="golden-2099",
        name="Golden Future 2099",
        first_monday=datetime.date(2099, 1, 5),
    )
    ahead = future.sections.get()
    ahead.name, ahead.slug, ahead.room = "Friday & <Late>", "friday", "E14-525"
    ahead.save()
    ahead.leads.set([section.leads.get()])
    for week in future.weeks.all():
        week.title = f"Future <{week.number}>"
        week.save()
    coming = Meeting.objects.filter(section=ahead).order_by("week__number")
    cancel_meeting(meeting=coming[1], reason="Holiday", by=organizer, notify=False)
    return {
        "section": section,
        "lead": section.leads.get(),
        "organizer": organizer,
        "meetings": meetings,
        "members": members,
        "walk_in": walk_in,
    }


def placeholders(content, data):
    """The page with its primary keys as placeholders (M<n> members, W<n> meetings by week,
    S<n> sections) and the CSRF token masked."""
    members = {str(m.pk): f"M{i}" for i, m in enumerate(data["members"])}
    members[str(data["walk_in"].pk)] = "Mwalk"
    meetings = {
        str(m.pk): f"W{m.week.number}{m.section.slug}"
        for m in Meeting.objects.select_related("week", "section")
    }
    sections = {str(s.pk): f"S{s.slug}" for s in Section.objects.all()}

    def swap(mapping):
        return lambda match: match[1] + mapping.get(match[2], f"?{match[2]}") + match[3]

    content = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*(")', r"\1CSRF\2", content.decode())
    content = re.sub(r"((?:member|status|remark)[-_])(\d+)(\D)", swap(members), content)
    content = re.sub(r"(meetings/)(\d+)(/)", swap(meetings), content)
    content = re.sub(r"(\?meeting=)(\d+)(\D)", swap(meetings), content)
    content = re.sub(r"(attendance/sections/)(\d+)(/)", swap(sections), content)
    return content


def check_golden(name, content):
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    assert content == path.read_text(encoding="utf-8")


@pytest.fixture
def data():
    return build_data()


@pytest.fixture
def lead_client(data):
    client = Client()
    client.force_login(data["lead"])
    return client


def form_data(data, meeting, **changes):
    """What a browser posts from the roster as the page shows it (version 1 or 2), with
    `changes` (field name → value; None removes it)."""
    posted = {"version": "2", "action": "save", "walk_in-status": "present"}
    for member in [*data["members"], data["walk_in"]]:
        record = AttendanceRecord.objects.filter(meeting=meeting, member=member).first()
        status, remark = (record.status, record.remark) if record else ("", "")
        if status:
            posted[f"status-{member.pk}"] = status
        posted[f"remark-{member.pk}"] = remark
        posted[f"original-status-{member.pk}"] = status
        posted[f"original-remark-{member.pk}"] = remark
    for name, value in changes.items():
        if value is None:
            posted.pop(name, None)
        else:
            posted[name] = value
    return posted


@pytest.mark.parametrize("week", [1, 2, 3, 4])
def test_roster_page_is_unchanged(data, lead_client, week):
    meeting = data["meetings"][week - 1]
    response = lead_client.get(f"/attendance/meetings/{meeting.pk}/")
    assert response.status_code == 200
    check_golden(f"roster-week{week}.html", placeholders(response.content, data))


def test_roster_page_with_errors_is_unchanged(data, lead_client):
    meeting = data["meetings"][1]
    members = data["members"]
    changes = {
        f"status-{members[0].pk}": None,  # a remark without a status
        f"remark-{members[0].pk}": "Why?",
        f"status-{members[5].pk}": "asleep",  # not a status
        f"remark-{members[9].pk}": "x" * 201,  # too long
        "walk_in-name": "",
        "walk_in-email": "not an email",
    }
    response = lead_client.post(
        f"/attendance/meetings/{meeting.pk}/", form_data(data, meeting, **changes)
    )
    assert response.status_code == 200
    check_golden("roster-errors.html", placeholders(response.content, data))


def test_roster_page_with_everyone_present_is_unchanged(data, lead_client):
    meeting = data["meetings"][2]
    posted = form_data(data, meeting, action="all-present", version="1")
    response = lead_client.post(f"/attendance/meetings/{meeting.pk}/", posted)
    assert response.status_code == 200
    check_golden("roster-all-present.html", placeholders(response.content, data))


def test_roster_page_after_a_conflict_is_unchanged(data, lead_client):
    meeting = data["meetings"][1]
    members = data["members"]
    stale = form_data(data, meeting, **{f"status-{members[2].pk}": "absent"})
    theirs = form_data(data, meeting, **{f"status-{members[2].pk}": "late"})
    theirs.update({f"remark-{members[3].pk}": "Theirs & <b>", f"status-{members[4].pk}": "late"})
    other = Client()
    other.force_login(data["organizer"])
    assert other.post(f"/attendance/meetings/{meeting.pk}/", theirs).status_code == 302
    AttendanceRecord.objects.filter(meeting=meeting).update(recorded_at=AT)
    response = lead_client.post(f"/attendance/meetings/{meeting.pk}/", stale)
    assert response.status_code == 409
    check_golden("roster-conflict.html", placeholders(response.content, data))


def test_section_report_is_unchanged(data, lead_client):
    response = lead_client.get(f"/attendance/sections/{data['section'].pk}/report/")
    assert response.status_code == 200
    check_golden("section-report.html", placeholders(response.content, data))


@pytest.mark.parametrize("who", ["lead", "organizer"])
def test_dashboard_is_unchanged(data, who):
    client = Client()
    client.force_login(data[who])
    response = client.get("/attendance/")
    assert response.status_code == 200
    check_golden(f"dashboard-{who}.html", placeholders(response.content, data))
