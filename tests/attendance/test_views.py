import csv
import datetime
import io
import re
from html.parser import HTMLParser

import openpyxl
import pytest
from django.test import Client
from django.utils.html import escape

from attendance.models import AttendanceRecord, Enrollment, Member
from attendance.views import spreadsheet_safe
from sections.models import Meeting
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    MemberFactory,
    UserFactory,
    build_term,
    enroll_members,
)

pytestmark = pytest.mark.django_db

Status = AttendanceRecord.Status


def roster_post(meeting, members, statuses, *, version=0, **extra):
    """The roster form as a browser posts it: a status and a remark per member."""
    data = {"version": str(version), "action": "save", "walk_in-status": "present"}
    for member, status in zip(members, statuses, strict=True):
        if status:
            data[f"status-{member.pk}"] = status
        data[f"remark-{member.pk}"] = ""
    data.update(extra)
    return data


def stored(meeting):
    return sorted(
        AttendanceRecord.objects.filter(meeting=meeting).values_list("member__name", "status")
    )


@pytest.fixture
def members(section):
    return [
        EnrollmentFactory(section=section, member__name=name).member
        for name in ("Ada", "Bea", "Cy")
    ]


# --- Permission matrix -------------------------------------------------------------------

ROLES = ["anonymous", "nobody", "other_lead", "lead", "organizer"]
LOGIN = "login"

# (method, url name) → expected status per role, in ROLES order.
MATRIX = [
    ("get", "dashboard", [LOGIN, 403, 200, 200, 200]),
    ("post", "dashboard", [405, 405, 405, 405, 405]),
    ("get", "roster", [LOGIN, 403, 404, 200, 200]),
    ("post", "roster", [LOGIN, 403, 404, 302, 302]),
    ("get", "report", [LOGIN, 403, 404, 200, 200]),
    ("post", "report", [405, 405, 405, 405, 405]),
    ("get", "report-csv", [LOGIN, 403, 404, 200, 200]),
    ("post", "report-csv", [405, 405, 405, 405, 405]),
    ("get", "report-xlsx", [LOGIN, 403, 404, 200, 200]),
    ("post", "report-xlsx", [405, 405, 405, 405, 405]),
    ("get", "term", [LOGIN, 403, 403, 403, 200]),
    ("post", "term", [405, 405, 405, 405, 405]),
]


@pytest.mark.parametrize(("method", "name", "expected"), MATRIX)
def test_permission_matrix(
    client, request, term, section, meeting, members, method, name, expected
):
    urls = {
        "dashboard": "/attendance/",
        "roster": f"/attendance/meetings/{meeting.pk}/",
        "report": f"/attendance/sections/{section.pk}/report/",
        "report-csv": f"/attendance/sections/{section.pk}/report.csv",
        "report-xlsx": f"/attendance/sections/{section.pk}/report.xlsx",
        "term": f"/attendance/terms/{term.slug}/",
    }
    url = urls[name]
    results = []
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        version = AttendanceRecord.objects.roster_version(meeting)
        data = roster_post(meeting, members, ["present", "", ""], version=version)
        response = getattr(client, method)(url, data if method == "post" else {})
        if response.status_code == 302 and response.url.startswith("/accounts/login/"):
            results.append(LOGIN)
        else:
            results.append(response.status_code)

    assert results == expected
    if (method, name) == ("post", "roster"):
        # Only the lead's and the organizer's saves went through (the same data twice).
        assert stored(meeting) == [("Ada", "present")]


def test_login_redirect_keeps_where_the_user_was_going(client, meeting):
    response = client.get(f"/attendance/meetings/{meeting.pk}/")

    assert response.url == f"/accounts/login/?next=/attendance/meetings/{meeting.pk}/"


def test_roster_post_needs_the_csrf_token(lead, meeting, members):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)

    response = client.post(
        f"/attendance/meetings/{meeting.pk}/", roster_post(meeting, members, ["present"] * 3)
    )

    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert stored(meeting) == []


def test_header_shows_my_meetings_to_leads_and_organizers_only(
    client, lead, nobody, organizer, term
):
    def has_link(user):
        client.logout()
        if user:
            client.force_login(user)
        page = client.get(term.get_absolute_url()).content.decode()
        return 'href="/attendance/">My meetings</a>' in page

    assert [has_link(u) for u in (None, nobody, lead, organizer)] == [False, False, True, True]


# --- Dashboard ----------------------------------------------------------------------------


def test_dashboard_lists_the_leads_meetings_with_marked_counts(
    client, lead, section, meeting, members
):
    AttendanceRecordFactory(meeting=meeting, member=members[0], status=Status.PRESENT)
    AttendanceRecordFactory(meeting=meeting, member=members[1], status=Status.ABSENT)
    client.force_login(lead)

    response = client.get("/attendance/")

    # The fixture term is in 2022: every meeting is past, the latest first.
    assert response.context["next_meeting"] is None
    assert [(m.section, m.week.number) for m in response.context["past"]] == [
        (section, 3),
        (section, 2),
        (section, 1),
    ]
    assert "2 marked, 1 came" in response.content.decode()


def test_dashboard_puts_todays_meeting_first(client, lead, section):
    today = datetime.date.today()
    term = section.term
    term.first_monday = today - datetime.timedelta(days=today.weekday(), weeks=1)
    term.save()  # meetings follow (sections.signals)
    section.weekday = today.weekday()
    section.save()
    client.force_login(lead)

    response = client.get("/attendance/")

    assert response.context["next_meeting"].week.number == 2
    assert response.context["next_is_today"] is True
    assert [m.week.number for m in response.context["upcoming"]] == [3]
    assert [m.week.number for m in response.context["past"]] == [1]


def test_dashboard_pages_past_meetings_newest_first_and_links_each_meetings_pages(
    client, organizer
):
    term = build_term(weeks=15, readings_per_week=0, sections=2, slug="long-ago")
    client.force_login(organizer)

    first = client.get("/attendance/")
    second = client.get("/attendance/?page=2")

    assert len(first.context["past"]) == 20
    # Newest first: the page ends with week 1, its later weekday before its earlier one.
    assert [(m.week.number, m.section.name) for m in second.context["past"]][-2:] == [
        (1, s.name) for s in term.sections.order_by("-weekday")
    ]
    assert len(second.context["past"]) == 10
    meeting = first.context["past"][0]
    content = first.content.decode()
    for url in (
        f"/attendance/meetings/{meeting.pk}/",
        f"/meetings/{meeting.pk}/notes/",
        f"/meetings/{meeting.pk}/change/",
    ):
        assert f'href="{url}"' in content, url


def test_dashboard_groups_by_term_current_first_with_every_terms_reports(
    client, lead, section, term
):
    monday = datetime.date.today() - datetime.timedelta(days=datetime.date.today().weekday())
    # Running now (12 weeks gone), and the next term, published and not started yet.
    weeks = datetime.timedelta(weeks=1)
    now = build_term(
        weeks=16, readings_per_week=0, sections=1, slug="now", first_monday=monday - 12 * weeks
    )
    later = build_term(
        weeks=3, readings_per_week=0, sections=1, slug="later", first_monday=monday + 8 * weeks
    )
    for other in (now, later):
        other.sections.get().leads.set([lead])
    client.force_login(lead)

    response = client.get("/attendance/")

    assert [
        (group["term"].slug, [s.name for s in group["sections"]])
        for group in response.context["reports"]
    ] == [
        ("now", [now.sections.get().name]),
        ("later", [later.sections.get().name]),
        ("spring-2023", [section.name]),
    ]
    past = [(m.section.term.slug, m.week.number) for m in response.context["past"]]
    now_past = [n for slug, n in past if slug == "now"]
    assert past == [("now", n) for n in now_past] + [("spring-2023", n) for n in (3, 2, 1)]
    assert now_past == list(range(len(now_past), 0, -1))
    assert len(now_past) in (12, 13)  # week 13's meeting is past unless today is its day
    upcoming = [m.section.term.slug for m in response.context["upcoming"]]
    assert upcoming == ["now"] * upcoming.count("now") + ["later"] * upcoming.count("later")
    headings = re.findall(r'<h3 class="h6 term-heading">([^<]*)</h3>', response.content.decode())
    assert headings == [now.name, later.name, now.name, later.name, term.name, now.name, term.name]


def test_organizer_dashboard_shows_every_section(client, organizer, term):
    client.force_login(organizer)

    response = client.get("/attendance/")

    assert len(response.context["past"]) == 6
    assert f'href="/attendance/terms/{term.slug}/"' in response.content.decode()


# --- Roster -------------------------------------------------------------------------------


def test_roster_shows_enrolled_members_and_past_walk_ins(client, lead, section, meeting):
    enrolled = EnrollmentFactory(section=section, member__name="Enrolled").member
    earlier = Meeting.objects.get(section=section, week__number=2)
    came = AttendanceRecordFactory(meeting=earlier, member__name="Came before").member
    EnrollmentFactory(member__name="Elsewhere")
    client.force_login(lead)

    response = client.get(f"/attendance/meetings/{meeting.pk}/")

    assert response.context["form"].roster == [came, enrolled]


def test_roster_save_stores_statuses_and_says_so(client, lead, meeting, members):
    client.force_login(lead)
    data = roster_post(meeting, members, ["present", "late", "absent"])
    data[f"remark-{members[1].pk}"] = "train delayed"

    response = client.post(f"/attendance/meetings/{meeting.pk}/", data, follow=True)

    assert response.redirect_chain == [(f"/attendance/meetings/{meeting.pk}/", 302)]
    assert stored(meeting) == [("Ada", "present"), ("Bea", "late"), ("Cy", "absent")]
    assert AttendanceRecord.objects.get(member=members[1]).remark == "train delayed"
    assert [str(m) for m in response.context["messages"]] == [
        f"Saved 3 changes to {meeting.section.name}, week 1."
    ]
    form = response.context["form"]
    assert [form[f"status-{m.pk}"].value() for m in members] == ["present", "late", "absent"]
    assert form["version"].value() == 1


def test_roster_walk_in_with_an_existing_email_reuses_and_enrolls_the_member(
    client, lead, section, meeting, members
):
    known = MemberFactory(name="Dee Known", email="dee@example.edu")
    client.force_login(lead)
    data = roster_post(
        meeting,
        members,
        ["present", "", ""],
        **{"walk_in-name": "Dee", "walk_in-email": "DEE@EXAMPLE.EDU", "walk_in-status": "late"},
    )

    response = client.post(f"/attendance/meetings/{meeting.pk}/", data, follow=True)

    assert Member.objects.filter(email__iexact="dee@example.edu").count() == 1
    assert Enrollment.objects.filter(member=known, section=section).exists()
    assert stored(meeting) == [("Ada", "present"), ("Dee Known", "late")]
    assert [str(m) for m in response.context["messages"]] == [
        # Dee Known is in no section of this lead's: the lead sees only the name they typed.
        f"Saved 2 changes to {section.name}, week 1. Dee is on the roster."
    ]


@pytest.mark.parametrize(
    ("change", "field", "errors"),
    [
        (
            {"status-{ada}": "maybe"},
            "status-{ada}",
            ["“maybe” is not a status: choose present, late, excused or absent."],
        ),
        (
            {"walk_in-name": "Typo", "walk_in-email": "typo@"},
            "walk_in-email",
            ["Enter a valid email address."],
        ),
        (
            {"walk_in-email": "someone@example.edu"},
            "walk_in-name",
            ["This field is required."],
        ),
        (
            {"remark-{bea}": "no status"},
            "status-{bea}",
            ["Choose a status to save a remark."],
        ),
    ],
)
def test_roster_invalid_input_is_shown_on_the_form_and_nothing_saved(
    client, lead, meeting, members, change, field, errors
):
    ada, bea, _ = members
    client.force_login(lead)
    data = roster_post(meeting, members, ["present", "", "late"])
    data.update({k.format(ada=ada.pk, bea=bea.pk): v for k, v in change.items()})

    response = client.post(f"/attendance/meetings/{meeting.pk}/", data)

    field = field.format(ada=ada.pk, bea=bea.pk)
    form_name = "walk_in_form" if field.startswith("walk_in-") else "form"
    form = response.context[form_name]
    assert form.errors == {field.removeprefix("walk_in-"): errors}
    assert "Nothing was saved" in response.content.decode()
    assert stored(meeting) == []
    assert Member.objects.count() == 3


def test_roster_refuses_a_member_of_another_section(client, lead, meeting, members, other_section):
    stranger = EnrollmentFactory(section=other_section, member__name="Stranger").member
    client.force_login(lead)
    data = roster_post(meeting, members, ["present", "present", ""])
    data[f"status-{stranger.pk}"] = "present"

    response = client.post(f"/attendance/meetings/{meeting.pk}/", data)

    assert response.context["form"].errors == {
        "__all__": [
            "The form names people who are not on this section's roster "
            f"(status-{stranger.pk}); reload the page and try again."
        ]
    }
    assert stored(meeting) == []


def test_mark_everyone_present_fills_the_form_without_saving(client, lead, meeting, members):
    client.force_login(lead)
    data = roster_post(meeting, members, ["absent", "", ""], action="all-present")
    data[f"remark-{members[2].pk}"] = "kept"

    response = client.post(f"/attendance/meetings/{meeting.pk}/", data)

    form = response.context["form"]
    assert [form[f"status-{m.pk}"].value() for m in members] == ["present"] * 3
    assert form[f"remark-{members[2].pk}"].value() == "kept"
    assert stored(meeting) == []


def test_cancelled_meeting_shows_no_form_and_refuses_a_save(client, lead, meeting, members):
    Meeting.objects.filter(pk=meeting.pk).update(
        status=Meeting.Status.CANCELLED, public_note="No meeting: Veterans Day"
    )
    client.force_login(lead)

    page = client.get(f"/attendance/meetings/{meeting.pk}/").content.decode()
    response = client.post(
        f"/attendance/meetings/{meeting.pk}/", roster_post(meeting, members, ["present"] * 3)
    )

    assert "This meeting was cancelled (No meeting: Veterans Day)" in page
    assert '<form method="post" novalidate class="roster-form">' not in page
    assert response.context["form"].errors == {
        "__all__": ["This meeting was cancelled: attendance cannot be recorded."]
    }
    assert stored(meeting) == []


def test_second_lead_is_told_of_the_first_save_and_keeps_their_choices(
    client, lead, organizer, meeting, members
):
    ada = members[0]
    client.force_login(organizer)
    client.post(
        f"/attendance/meetings/{meeting.pk}/", roster_post(meeting, members, ["late", "", ""])
    )
    client.force_login(lead)
    stale = roster_post(meeting, members, ["present", "absent", "present"], version=0)

    response = client.post(f"/attendance/meetings/{meeting.pk}/", stale)

    assert response.status_code == 409
    assert [(r.member, r.status) for r in response.context["conflict"]] == [(ada, "late")]
    content = response.content.decode()
    assert "Someone else saved this roster while you were editing it" in content
    assert "Ada: now <strong>Late</strong>, by First" in content
    form = response.context["form"]
    assert [form[f"status-{m.pk}"].value() for m in members] == ["present", "absent", "present"]
    assert form["version"].value() == "1"
    assert stored(meeting) == [("Ada", "late")]

    again = client.post(
        f"/attendance/meetings/{meeting.pk}/", {**stale, "version": "1"}, follow=True
    )

    assert again.redirect_chain == [(f"/attendance/meetings/{meeting.pk}/", 302)]
    assert stored(meeting) == [("Ada", "present"), ("Bea", "absent"), ("Cy", "present")]
    assert AttendanceRecord.objects.count() == 3


def test_conflict_names_someone_when_the_recorder_account_is_gone(
    client, lead, organizer, meeting, members
):
    client.force_login(organizer)
    client.post(
        f"/attendance/meetings/{meeting.pk}/", roster_post(meeting, members, ["late", "", ""])
    )
    organizer.delete()  # recorded_by becomes NULL (SET_NULL)
    client.force_login(lead)

    response = client.post(
        f"/attendance/meetings/{meeting.pk}/",
        roster_post(meeting, members, ["present", "", ""], version=0),
    )

    assert response.status_code == 409
    assert "Ada: now <strong>Late</strong>, by someone at" in response.content.decode()
    assert stored(meeting) == [("Ada", "late")]


# --- Two leads, one roster: a re-save after a conflict writes only what its lead changed ----


class _FormInputs(HTMLParser):
    """The name/value pairs a browser submits from the roster form (without its buttons)."""

    def __init__(self):
        super().__init__()
        self.pairs, self.inside, self.select, self.options = [], False, None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "roster-form" in attrs.get("class", ""):
            self.inside = True
        elif not self.inside:
            return
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") != "radio" or "checked" in attrs:
                self.pairs.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self.select, self.options = attrs["name"], []
        elif tag == "option" and self.select:
            self.options.append((attrs.get("value", ""), "selected" in attrs))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            chosen = [value for value, selected in self.options if selected]
            self.pairs.append((self.select, (chosen or [self.options[0][0]])[0]))
            self.select = None


def as_submitted(page, **changes):
    """What a browser posts when the lead presses Save on `page`, after making `changes`."""
    parser = _FormInputs()
    parser.feed(page.content.decode())
    data = {}
    for name, value in parser.pairs:
        data.setdefault(name, []).append(value)
    data.update({name: [value] for name, value in changes.items()})
    return {"action": "save", **data}


@pytest.fixture
def dana(section):
    """A second lead of the section."""
    user = UserFactory(username="dana", first_name="Dana", last_name="")
    section.leads.add(user)
    return user


@pytest.fixture
def all_present(meeting, members, organizer):
    """Everyone marked present (roster version 1) before the two leads open the roster."""
    for member in members:
        AttendanceRecordFactory(meeting=meeting, member=member, recorded_by=organizer)
    return members


def entries(meeting):
    return sorted(
        AttendanceRecord.objects.filter(meeting=meeting).values_list(
            "member__name", "status", "remark"
        )
    )


def test_a_resave_after_a_conflict_keeps_the_remark_the_other_lead_saved(
    lead, dana, meeting, all_present
):
    _, bea, cy = all_present
    url = f"/attendance/meetings/{meeting.pk}/"
    mine, theirs = Client(), Client()
    mine.force_login(lead)
    theirs.force_login(dana)
    my_page, their_page = mine.get(url), theirs.get(url)

    theirs.post(url, as_submitted(their_page, **{f"remark-{bea.pk}": "arrived late"}))
    conflict = mine.post(url, as_submitted(my_page, **{f"status-{cy.pk}": "absent"}))

    assert conflict.status_code == 409
    kept = "Kept Dana's remark on Bea: “arrived late”."
    assert [change.kept for change in conflict.context["merge"].kept] == [kept]
    assert escape(kept) in conflict.content.decode()
    assert entries(meeting) == [
        ("Ada", "present", ""),
        ("Bea", "present", "arrived late"),
        ("Cy", "present", ""),
    ]

    saved = mine.post(url, as_submitted(conflict), follow=True)

    assert entries(meeting) == [
        ("Ada", "present", ""),
        ("Bea", "present", "arrived late"),
        ("Cy", "absent", ""),
    ]
    assert [str(m) for m in saved.context["messages"]] == [
        f"Saved 1 change to {meeting.section.name}, week 1. {kept}"
    ]


MERGES = {
    "status only": (
        [("status-{ada}", "late")],
        [("status-{cy}", "absent")],
        ["Kept Dana's status on Ada: Late."],
        [],
        [("Ada", "late", ""), ("Bea", "present", ""), ("Cy", "absent", "")],
        "Saved 1 change to {what}. Kept Dana's status on Ada: Late.",
    ),
    "remark only": (
        [("remark-{ada}", "left early")],
        [("remark-{bea}", "first time")],
        ["Kept Dana's remark on Ada: “left early”."],
        [],
        [("Ada", "present", "left early"), ("Bea", "present", "first time"), ("Cy", "present", "")],
        "Saved 1 change to {what}. Kept Dana's remark on Ada: “left early”.",
    ),
    "both changed one status": (
        [("status-{cy}", "late"), ("remark-{cy}", "bus")],
        [("status-{cy}", "absent")],
        ["Kept Dana's remark on Cy: “bus”."],
        ["Dana set the status on Cy to Late; you chose Absent. Saving again keeps yours."],
        [("Ada", "present", ""), ("Bea", "present", ""), ("Cy", "absent", "bus")],
        "Saved 1 change to {what}. Kept Dana's remark on Cy: “bus”. Replaced Dana's status on Cy "
        "(Late) with yours (Absent).",
    ),
}


@pytest.mark.parametrize(
    ("their_changes", "my_changes", "kept", "clashes", "final", "message"),
    MERGES.values(),
    ids=MERGES.keys(),
)
def test_a_resave_after_a_conflict_writes_only_what_its_lead_changed(
    lead, dana, meeting, all_present, their_changes, my_changes, kept, clashes, final, message
):
    ids = {m.name.lower(): m.pk for m in all_present}
    url = f"/attendance/meetings/{meeting.pk}/"
    mine, theirs = Client(), Client()
    mine.force_login(lead)
    theirs.force_login(dana)
    my_page, their_page = mine.get(url), theirs.get(url)

    theirs.post(url, as_submitted(their_page, **{k.format(**ids): v for k, v in their_changes}))
    conflict = mine.post(url, as_submitted(my_page, **{k.format(**ids): v for k, v in my_changes}))
    saved = mine.post(url, as_submitted(conflict), follow=True)

    merge = conflict.context["merge"]
    assert conflict.status_code == 409
    assert ([c.kept for c in merge.kept], [c.clash for c in merge.clashes]) == (kept, clashes)
    content = conflict.content.decode()
    assert all(escape(sentence) in content for sentence in [*kept, *clashes])
    assert entries(meeting) == final
    assert [str(m) for m in saved.context["messages"]] == [
        message.format(what=f"{meeting.section.name}, week 1")
    ]


def test_a_resave_after_a_conflict_keeps_a_walk_in_the_other_lead_added(
    lead, dana, meeting, all_present
):
    _, _, cy = all_present
    url = f"/attendance/meetings/{meeting.pk}/"
    mine, theirs = Client(), Client()
    mine.force_login(lead)
    theirs.force_login(dana)
    my_page = mine.get(url)
    walk_in = {"walk_in-name": "Dee", "walk_in-email": "dee@example.edu", "walk_in-status": "late"}
    theirs.post(url, as_submitted(theirs.get(url), **walk_in))
    dee = Member.objects.get(name="Dee")
    theirs.post(url, as_submitted(theirs.get(url), **{f"remark-{dee.pk}": "visiting"}))

    conflict = mine.post(url, as_submitted(my_page, **{f"status-{cy.pk}": "absent"}))
    mine.post(url, as_submitted(conflict))

    form = conflict.context["form"]
    assert (form[f"status-{dee.pk}"].value(), form[f"remark-{dee.pk}"].value()) == (
        "late",
        "visiting",
    )
    assert entries(meeting) == [
        ("Ada", "present", ""),
        ("Bea", "present", ""),
        ("Cy", "absent", ""),
        ("Dee", "late", "visiting"),
    ]


def test_a_second_conflict_merges_again_from_what_the_form_then_showed(
    lead, dana, meeting, all_present
):
    _, bea, cy = all_present
    url = f"/attendance/meetings/{meeting.pk}/"
    mine, theirs = Client(), Client()
    mine.force_login(lead)
    theirs.force_login(dana)
    my_page = mine.get(url)
    theirs.post(url, as_submitted(theirs.get(url), **{f"remark-{bea.pk}": "arrived late"}))
    first = mine.post(url, as_submitted(my_page, **{f"status-{cy.pk}": "absent"}))

    # Before the lead saves again, Dana changes Bea's remark once more.
    theirs.post(url, as_submitted(theirs.get(url), **{f"remark-{bea.pk}": "left at 7"}))
    second = mine.post(url, as_submitted(first))
    mine.post(url, as_submitted(second))

    assert (first.status_code, second.status_code) == (409, 409)
    assert [c.kept for c in second.context["merge"].kept] == [
        "Kept Dana's remark on Bea: “left at 7”."
    ]
    assert entries(meeting) == [
        ("Ada", "present", ""),
        ("Bea", "present", "left at 7"),
        ("Cy", "absent", ""),
    ]


# --- Query counts -------------------------------------------------------------------------


@pytest.fixture
def fifteen_weeks():
    """Builds a 15-week term whose first section has `size` enrolled members, each marked at
    every meeting; returns (lead, section, first meeting, members)."""

    def build(size):
        term = build_term(weeks=15, readings_per_week=1, sections=1, slug=f"term-{size}")
        section = term.sections.get()
        members = enroll_members(section, size)
        meetings = list(section.meetings.order_by("week__number"))
        statuses = list(Status.values)
        AttendanceRecord.objects.bulk_create(
            AttendanceRecord(
                meeting=meeting,
                member=member,
                status=statuses[(i + w) % 4],
                recorded_at=datetime.datetime(2022, 9, 14, tzinfo=datetime.UTC),
                roster_version=1,
            )
            for w, meeting in enumerate(meetings[1:])
            for i, member in enumerate(members)
        )
        return section.leads.get(), section, meetings[0], members

    return build


SIZES = [1, 20, 200]


@pytest.mark.parametrize("size", SIZES)
def test_roster_get_queries_do_not_grow_with_the_roster(
    client, fifteen_weeks, django_assert_num_queries, size
):
    lead, _, meeting, _ = fifteen_weeks(size)
    client.force_login(lead)

    with django_assert_num_queries(4):
        response = client.get(f"/attendance/meetings/{meeting.pk}/")

    assert len(response.context["form"].roster) == size


@pytest.mark.parametrize("size", SIZES)
def test_roster_post_queries_do_not_grow_with_the_roster(
    client, fifteen_weeks, django_assert_num_queries, size
):
    lead, _, meeting, members = fifteen_weeks(size)
    client.force_login(lead)
    data = roster_post(meeting, members, ["late"] * size)

    with django_assert_num_queries(9):
        response = client.post(f"/attendance/meetings/{meeting.pk}/", data)

    assert response.status_code == 302
    assert AttendanceRecord.objects.filter(meeting=meeting, status="late").count() == size


@pytest.mark.parametrize("size", SIZES)
def test_report_queries_do_not_grow_with_members_or_weeks(
    client, fifteen_weeks, django_assert_num_queries, size
):
    lead, section, _, _ = fifteen_weeks(size)
    client.force_login(lead)

    with django_assert_num_queries(6):
        response = client.get(f"/attendance/sections/{section.pk}/report/")
    with django_assert_num_queries(6):
        client.get(f"/attendance/sections/{section.pk}/report.csv")
    with django_assert_num_queries(6):
        client.get(f"/attendance/sections/{section.pk}/report.xlsx")

    report = response.context["report"]
    assert (len(report.rows), len(report.meetings)) == (size, 15)


@pytest.mark.parametrize("size", [1, 200])
def test_dashboard_and_term_overview_queries_are_constant(
    client, fifteen_weeks, organizer, django_assert_num_queries, size
):
    lead, section, _, _ = fifteen_weeks(size)
    client.force_login(lead)
    # session, user (with its roles), sections, current term, upcoming, past count, past page
    with django_assert_num_queries(7):
        client.get("/attendance/")
    client.force_login(organizer)
    with django_assert_num_queries(6):
        client.get(f"/attendance/terms/{section.term.slug}/")


# --- Reports and CSV ----------------------------------------------------------------------


@pytest.fixture
def marked(section, members):
    """Weeks 1 and 2 marked, week 3 cancelled."""
    week = {m.week.number: m for m in section.meetings.select_related("week")}
    for meeting, statuses in ((week[1], "PLA"), (week[2], "PEP")):
        for member, letter in zip(members, statuses, strict=True):
            status = {"P": "present", "L": "late", "A": "absent", "E": "excused"}[letter]
            AttendanceRecordFactory(meeting=meeting, member=member, status=status)
    week[3].status = Meeting.Status.CANCELLED
    week[3].save()
    return week


def test_section_report_has_statuses_totals_rates_and_headcounts(
    client, lead, section, members, marked
):
    client.force_login(lead)

    response = client.get(f"/attendance/sections/{section.pk}/report/")

    report = response.context["report"]
    assert [(r.member.name, r.cells, r.totals, r.rate) for r in report.rows] == [
        (
            "Ada",
            ["present", "present", "cancelled"],
            {"present": 2, "late": 0, "excused": 0, "absent": 0},
            1.0,
        ),
        (
            "Bea",
            ["late", "excused", "cancelled"],
            {"present": 0, "late": 1, "excused": 1, "absent": 0},
            0.5,
        ),
        (
            "Cy",
            ["absent", "present", "cancelled"],
            {"present": 1, "late": 0, "excused": 0, "absent": 1},
            0.5,
        ),
    ]
    assert report.headcounts == [2, 2, None]
    assert (
        '<td class="text-end member-total member-rate" data-label="Rate">50%</td>'
        in response.content.decode()
    )


def test_csv_parses_matches_the_report_and_escapes_formulas(client, lead, section, members):
    for name in ('=HYPERLINK("http://x")', "+1 caller", "-minus", "@sum", "Zoë Ünicode"):
        member = EnrollmentFactory(section=section, member__name=name).member
        AttendanceRecordFactory(
            meeting=section.meetings.get(week__number=1), member=member, status="present"
        )
    client.force_login(lead)

    report = client.get(f"/attendance/sections/{section.pk}/report/").context["report"]
    response = client.get(f"/attendance/sections/{section.pk}/report.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="attendance-{section.term.slug}-{section.slug}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, *member_rows, headcount_row = rows
    assert header[:4] == ["Name", "Email", "Affiliation", "Week 1 (2022-09-12)"]
    assert len(member_rows) == len(report.rows) == 8
    names = [row[0] for row in member_rows]
    assert names == [
        "'+1 caller",
        "'-minus",
        '\'=HYPERLINK("http://x")',
        "'@sum",
        "Ada",
        "Bea",
        "Cy",
        "Zoë Ünicode",
    ]
    weeks = len(report.meetings)
    from_csv = [sum(row[3 + w] in ("present", "late") for row in member_rows) for w in range(weeks)]
    assert from_csv == report.headcounts == [5, 0, 0]
    assert headcount_row[3 : 3 + weeks] == ["5", "0", "0"]


def test_csv_rows_all_have_the_headers_width(client, lead, section, members, marked):
    client.force_login(lead)

    response = client.get(f"/attendance/sections/{section.pk}/report.csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [len(row) for row in rows] == [12] * 5
    assert rows[-1] == ["Headcount (present + late)", "", "", "2", "2", "", *[""] * 6]


def test_report_page_offers_the_spreadsheet_next_to_the_csv(client, lead, section):
    client.force_login(lead)

    page = client.get(f"/attendance/sections/{section.pk}/report/").content.decode()

    links = re.findall(
        r'<a class="btn btn-outline-primary" href="([^"]+)" download>([^<]+)</a>', page
    )
    assert links == [
        (f"/attendance/sections/{section.pk}/report.csv", "Download CSV"),
        (f"/attendance/sections/{section.pk}/report.xlsx", "Download spreadsheet (.xlsx)"),
    ]


FORMULA_NAMES = ['=HYPERLINK("http://x")', "+1 caller", "-minus", "@sum", "#N/A"]


def test_xlsx_has_names_as_text_dates_as_dates_and_rates_as_percentages(
    client, lead, section, members, marked
):
    for name in FORMULA_NAMES:
        EnrollmentFactory(section=section, member__name=name)
    client.force_login(lead)

    response = client.get(f"/attendance/sections/{section.pk}/report.xlsx")

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="attendance-{section.term.slug}-{section.slug}.xlsx"'
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Attendance"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "Name",
        "Email",
        "Affiliation",
        "Week 1",
        "Week 2",
        "Week 3",
        "Present",
        "Late",
        "Excused",
        "Absent",
        "Attended",
        "Rate",
    ]
    assert rows[1][:6] == [
        "Meeting date",
        None,
        None,
        datetime.datetime(2022, 9, 12),
        datetime.datetime(2022, 9, 19),
        datetime.datetime(2022, 9, 26),
    ]
    assert [cell.is_date for cell in sheet[2][3:6]] == [True] * 3
    by_name = {row[0]: row for row in rows[2:-1]}
    assert sorted(by_name) == sorted([*FORMULA_NAMES, "Ada", "Bea", "Cy"])
    assert {sheet.cell(row=line, column=1).data_type for line in range(3, 11)} == {"s"}
    assert by_name["Ada"][3:] == ["present", "present", "cancelled", 2, 0, 0, 0, 2, 1]
    assert by_name["Bea"][3:] == ["late", "excused", "cancelled", 0, 1, 1, 0, 1, 0.5]
    # Enrolled after every meeting and never came: no meeting counts, so no rate.
    assert by_name["#N/A"][3:] == [None, None, "cancelled", 0, 0, 0, 0, 0, None]
    assert {sheet.cell(row=line, column=12).number_format for line in range(3, 11)} == {"0%"}
    assert rows[-1] == ["Headcount (present + late)", None, None, 2, 2, None, *[None] * 6]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("Ada", "Ada"),
        ("", ""),
        (3, 3),
    ],
)
def test_spreadsheet_safe(value, expected):
    assert spreadsheet_safe(value) == expected


def test_term_overview_compares_sections_with_a_chart_and_a_table(
    client, organizer, term, section, other_section, members, marked
):
    client.force_login(organizer)

    response = client.get(f"/attendance/terms/{term.slug}/")

    overview = response.context["overview"]
    assert overview.week_numbers == [1, 2, 3]
    assert [(s, counts) for s, counts in overview.table_rows()] == [
        (section, [2, 2, None]),
        (other_section, ["not taken"] * 3),
    ]
    content = response.content.decode()
    assert content.count("<rect ") == 6 + 2  # 3 weeks × 2 sections, plus 2 legend swatches
    assert f"<title>{section.name}, week 1: 2</title>" in content
    assert f"<title>{section.name}, week 3: cancelled or no meeting</title>" in content
    assert 'role="img"' in content
    assert "style=" not in content
