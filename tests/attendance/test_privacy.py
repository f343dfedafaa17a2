"""A member's own data (docs/members.md, "Privacy"): "Download my data" (/me/data.json) and
"Delete my account" (/me/delete/, `forget_member`)."""

import datetime
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from attendance.models import Apology, AttendanceRecord, Enrollment, Member, Preparation
from attendance.services import ask_question, forget_member, mark_read, send_apology
from attendance.services import user_for_member as sign_in_user
from tests.factories import AttendanceRecordFactory, EnrollmentFactory, MemberFactory, build_term
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db

MATRIX = ["anonymous", "member of this section", "member of another section", "lead", "organizer"]
LINK = re.compile(r"^http://testserver(/signin/link/\?sesame=(\S+))$", re.MULTILINE)


def log_in(client, people, who):
    if people[who]:
        client.force_login(people[who])


def day(meeting):
    return meeting.local_start().date().isoformat()


def utc(moment):
    return moment.astimezone(datetime.UTC).isoformat()


# --- Download my data ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", MATRIX)
def test_only_a_member_downloads_their_data_and_only_theirs(client, people, who):
    log_in(client, people, who)

    response = client.get("/me/data.json")

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == "/signin/?next=/me/data.json"
    elif who in ("lead", "organizer"):
        assert response.status_code == 404
    else:
        mine, theirs = (
            (people["ada"], people["bea"])
            if who == "member of this section"
            else (people["bea"], people["ada"])
        )
        data = json.loads(response.content)
        assert (data["name"], data["email"]) == (mine.name, mine.email)
        assert theirs.email not in response.content.decode()
        assert client.post("/me/data.json").status_code == 405


def test_my_data_holds_everything_kept_about_me_field_by_field(client, people, here, past, coming):
    ada = people["ada"]
    ada.affiliation = "MIT “EECS”"
    ada.save()
    old = build_term(weeks=2, sections=1, slug="old", name="Spring 2022").sections.get()
    old_enrollment = EnrollmentFactory(section=old, member=ada)
    old_meeting = old.meetings.get(week__number=2)
    AttendanceRecordFactory(meeting=old_meeting, member=ada, status="absent")
    AttendanceRecordFactory(meeting=past, member=ada, status="late", remark="Bus <late>")
    AttendanceRecordFactory(meeting=past, member=people["bea"], status="present")
    apology = send_apology(member=ada, meeting=coming, reason="At a conference")
    mark_read(member=ada, meeting=coming)
    preparation = ask_question(member=ada, meeting=coming, question="Why <b>this</b>?\nReally?")
    ask_question(member=EnrollmentFactory(section=here).member, meeting=coming, question="Not mine")
    client.force_login(people["member of this section"])

    response = client.get("/me/data.json")

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == ('attachment; filename="my-reading-group-data.json"')
    assert response["Cache-Control"] == "private, no-store"
    here_enrollment = Enrollment.objects.get(member=ada, section=here)
    ada.refresh_from_db()
    assert json.loads(response.content) == {
        "name": "Ada",
        "email": ada.email,
        "affiliation": "MIT “EECS”",
        "member_since": utc(ada.created_at),
        "enrollments": [
            {
                "term": here.term.name,
                "section": here.name,
                "since": utc(here_enrollment.created_at),
            },
            {"term": "Spring 2022", "section": old.name, "since": utc(old_enrollment.created_at)},
        ],
        "attendance": [
            {
                "term": "Spring 2022",
                "section": old.name,
                "week": 2,
                "date": day(old_meeting),
                "status": "absent",
                "remark": "",
            },
            {
                "term": here.term.name,
                "section": here.name,
                "week": past.week.number,
                "date": day(past),
                "status": "late",
                "remark": "Bus <late>",
            },
        ],
        "apologies": [
            {
                "term": here.term.name,
                "section": here.name,
                "week": coming.week.number,
                "date": day(coming),
                "reason": "At a conference",
                "sent_at": utc(apology.created_at),
            }
        ],
        "preparations": [
            {
                "term": here.term.name,
                "section": here.name,
                "week": coming.week.number,
                "date": day(coming),
                "read": True,
                "read_at": utc(preparation.read_at),
                "question": "Why <b>this</b>?\nReally?",
                "updated_at": utc(preparation.updated_at),
            }
        ],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", day(past))


@pytest.mark.parametrize("rows", [1, 3])
def test_my_data_runs_a_fixed_number_of_queries(
    client, people, here, rows, django_assert_num_queries
):
    ada = people["ada"]
    for n in range(rows):
        section = build_term(weeks=3, sections=1, slug=f"t{n}").sections.get()
        EnrollmentFactory(section=section, member=ada)
        for meeting in section.meetings.all():
            AttendanceRecordFactory(meeting=meeting, member=ada)
            Apology.objects.create(member=ada, meeting=meeting)
            Preparation.objects.create(member=ada, meeting=meeting, question="Q")
    client.force_login(people["member of this section"])

    with django_assert_num_queries(7):
        response = client.get("/me/data.json")

    data = json.loads(response.content)
    assert [len(data[key]) for key in ("enrollments", "attendance", "apologies")] == [
        rows + 1,
        3 * rows,
        3 * rows,
    ]


def test_my_page_links_to_my_data_and_to_deleting_my_account(client, people):
    client.force_login(people["member of this section"])

    html = client.get("/me/").content.decode()

    assert '<a class="btn btn-sm btn-outline-secondary" href="/me/data.json" download>' in html
    assert (
        '<a class="btn btn-sm btn-outline-danger" href="/me/delete/">Delete my account</a>' in html
    )


# --- Delete my account ----------------------------------------------------------------------------


def state():
    """Everything a delete could change: members, enrollments, records, apologies, questions."""
    return {
        "members": sorted(Member.objects.values_list("pk", "name", "email", "affiliation", "user")),
        "enrollments": sorted(Enrollment.objects.values_list("member", "section")),
        "records": sorted(AttendanceRecord.objects.values_list("member", "meeting", "status")),
        "apologies": sorted(Apology.objects.values_list("member", "meeting", "reason")),
        "preparations": sorted(Preparation.objects.values_list("member", "meeting", "question")),
    }


@pytest.fixture
def history(people, here, there, past, coming):
    """Ada and Bea each with a record, an apology and a question."""
    bea_past = there.meetings.filter(starts_at__lt=timezone.now()).first()
    AttendanceRecordFactory(meeting=past, member=people["ada"], status="present")
    AttendanceRecordFactory(meeting=bea_past, member=people["bea"], status="late")
    send_apology(member=people["ada"], meeting=coming, reason="Ill")
    ask_question(member=people["ada"], meeting=coming, question="Ada's question")
    bea_coming = there.meetings.filter(starts_at__gt=timezone.now()).first()
    send_apology(member=people["bea"], meeting=bea_coming, reason="Away")
    ask_question(member=people["bea"], meeting=bea_coming, question="Bea's question")
    return people


@pytest.mark.parametrize("who", MATRIX)
def test_only_a_member_deletes_their_account_and_only_theirs(client, history, here, who):
    people = history
    log_in(client, people, who)
    before = state()

    asked, done = client.get("/me/delete/"), client.post("/me/delete/")

    if who == "anonymous":
        assert asked["Location"] == done["Location"] == "/signin/?next=/me/delete/"
        assert state() == before
        return
    if who in ("lead", "organizer"):
        assert (asked.status_code, done.status_code) == (404, 404)
        assert state() == before
        return
    gone, kept = (
        (people["ada"], people["bea"])
        if who == "member of this section"
        else (people["bea"], people["ada"])
    )
    assert "<h1>Delete my account?</h1>" in asked.content.decode()
    assert done["Location"] == "/"
    after = state()
    assert {key: [row for row in rows if row[0] == kept.pk] for key, rows in after.items()} == {
        key: [row for row in rows if row[0] == kept.pk] for key, rows in before.items()
    }
    assert [row for row in after["members"] if row[0] == gone.pk] == [
        (gone.pk, "Former member", "", "", None)
    ]
    assert [row for row in after["records"] if row[0] == gone.pk] == [
        row for row in before["records"] if row[0] == gone.pk
    ]
    for key in ("enrollments", "apologies", "preparations"):
        assert [row for row in after[key] if row[0] == gone.pk] == []


def test_the_delete_page_says_what_happens_and_a_flash_says_it_is_done(client, people, here):
    client.force_login(people["member of this section"])

    asked = client.get("/me/delete/").content.decode()
    done = client.post("/me/delete/", follow=True)

    assert f"You leave the {here.name} section ({here.term.name})." in asked
    assert "Meetings you attended keep their counts" in asked
    assert 'action="/me/delete/"' in asked
    assert [str(m) for m in done.context["messages"]] == [
        "Your account is deleted: your name, email and questions are gone, and you are signed "
        "out. Your past attendance is kept in the sections' counts as “Former member”."
    ]
    assert not done.context["user"].is_authenticated
    assert client.get("/me/")["Location"] == "/signin/?next=/me/"


def test_the_report_and_roster_keep_the_counts_and_show_former_member(client, people, here, past):
    AttendanceRecordFactory(meeting=past, member=people["ada"], status="late")
    carl = EnrollmentFactory(section=here, member__name="Carl").member
    AttendanceRecordFactory(meeting=past, member=carl, status="present")
    lead = Client()
    lead.force_login(people["lead"])
    report_url = f"/attendance/sections/{here.pk}/report/"

    def report():
        r = lead.get(report_url).context["report"]
        return [(row.member.name, row.cells, row.totals, row.rate) for row in r.rows], r.headcounts

    before_rows, before_counts = report()
    client.force_login(people["member of this section"])
    client.post("/me/delete/")
    after_rows, after_counts = report()

    assert after_counts == before_counts
    assert after_rows == [
        ("Carl", *before_rows[1][1:]),
        ("Former member", *before_rows[0][1:]),
    ]
    assert before_rows[0][0] == "Ada"
    roster = lead.get(f"/attendance/meetings/{past.pk}/").content.decode()
    assert "Former member" in roster
    assert "Ada" not in roster
    csv = lead.get(f"/attendance/sections/{here.pk}/report.csv").content.decode()
    assert "Former member" in csv
    assert people["ada"].email not in csv


def ask_link(client, email):
    client.post("/signin/", {"email": email})
    (path,) = [m.group(1) for m in LINK.finditer(delivered()[-1].body)]
    return path.split("sesame=", 1)[1]


def test_a_deleted_member_cannot_sign_in_with_a_link_sent_before(settings, here):
    """A member who signs in only by link: their sign-in account goes with them."""
    settings.EMAIL_CONFIGURED = True
    ada = EnrollmentFactory(section=here, member__name="Ada", member__email="ada@x.edu").member
    browser, phone = Client(), Client()
    browser.force_login(sign_in_user(member=ada))
    token = ask_link(phone, "ada@x.edu")  # asked on the phone, not used yet

    browser.post("/me/delete/")

    used = phone.post("/signin/link/", {"sesame": token})
    assert used.status_code == 400
    assert "/me/" not in used.get("Location", "")
    assert phone.get("/me/")["Location"] == "/signin/?next=/me/"
    assert not get_user_model().objects.filter(username=f"member-{ada.pk}").exists()
    phone.post("/signin/", {"email": "ada@x.edu"})
    assert len(delivered()) == 1  # the address is no member's any more: no new link


def test_a_lead_who_was_a_member_keeps_their_account_but_not_the_membership(settings, here):
    settings.EMAIL_CONFIGURED = True
    lead = here.leads.get()
    ada = EnrollmentFactory(section=here, member__name="Ada", member__email="ada@x.edu").member
    ada.user = lead
    ada.save()
    phone, browser = Client(), Client()
    browser.force_login(lead)
    token = ask_link(phone, "ada@x.edu")  # after the browser's sign-in, so still good

    asked = browser.get("/me/delete/").content.decode()
    browser.post("/me/delete/")

    assert "Your site account with its password (to lead or organize) stays" in asked
    assert phone.post("/signin/link/", {"sesame": token}).status_code == 400
    lead.refresh_from_db()
    assert list(lead.led_sections.all()) == [here]
    assert Member.objects.of_user(lead) is None
    ada.refresh_from_db()
    assert (ada.name, ada.email, ada.user) == ("Former member", "", None)
    lead_again = Client()
    lead_again.force_login(lead)
    assert lead_again.get(f"/attendance/sections/{here.pk}/report/").status_code == 200


def test_forgetting_retires_the_calendar_address_and_leaves_every_section(people, here, there):
    ada = people["ada"]
    EnrollmentFactory(section=there, member=ada)
    secret = ada.calendar_secret

    forget_member(member=ada)

    assert Client().get(f"/me/calendar/{secret}.ics").status_code == 404
    assert list(Enrollment.objects.filter(member=ada)) == []


def test_several_forgotten_members_may_all_be_without_email(people):
    walk_in = MemberFactory(name="Walk-in", email="")

    for member in (people["ada"], people["bea"], walk_in):
        forget_member(member=member)

    assert sorted(
        Member.objects.filter(name="Former member").values_list("email", "affiliation")
    ) == [("", ""), ("", ""), ("", "")]


@pytest.mark.slow
def test_member_pages_are_valid_html(client, people, here, past, tmp_path):
    from tests.factories import write_note
    from tests.html_checker import html_errors

    ada = people["ada"]
    for meeting in here.meetings.filter(starts_at__gt=timezone.now())[1:]:
        send_apology(member=ada, meeting=meeting, reason="Away")
        ask_question(member=ada, meeting=meeting, question="Why?\nReally?")
    Preparation.objects.create(member=ada, meeting=past, question="Why <b>now</b>?")
    write_note(past, "## Notes\n\nWe read *it*.")
    client.force_login(people["member of this section"])

    pages = {
        "my page": client.get("/me/"),
        "delete my account": client.get("/me/delete/"),
        "questions with notes": client.get(f"/meetings/{past.pk}/questions/"),
    }

    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 200)
    assert "Later meetings" in pages["my page"].content.decode()
    errors = html_errors({name: r.content.decode() for name, r in pages.items()}, tmp_path)
    assert errors == {name: [] for name in pages}
