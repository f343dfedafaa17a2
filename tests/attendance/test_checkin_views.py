"""/checkin/ and /checkin/<code>/: codes, members signed in or not, walk-ins, throttling."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from attendance import checkin
from attendance.models import AttendanceRecord, Enrollment, Member
from sections.models import Meeting
from tests.factories import AttendanceRecordFactory
from tests.hostile import assert_not_server_error, hostile_settings
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db

MINUTES = datetime.timedelta(minutes=1)


def moved(meeting, starts_in):
    """`meeting`, moved to start `starts_in` from now and last an hour."""
    starts_at = timezone.now() + starts_in
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=starts_at, ends_at=starts_at + 60 * MINUTES
    )
    return Meeting.objects.select_related("section__term", "week").get(pk=meeting.pk)


@pytest.fixture
def live(here):
    """A meeting of `here` that started 5 minutes ago."""
    return moved(Meeting.objects.filter(section=here).order_by("starts_at").first(), -5 * MINUTES)


def code_of(meeting):
    return checkin.current_code(meeting, timezone.now())


def url_of(meeting):
    return f"/checkin/{code_of(meeting)}/"


def records():
    return sorted(
        AttendanceRecord.objects.values_list("meeting", "member__name", "status", "source")
    )


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def ticket_of(page):
    return page.context["ticket"]


# --- Codes ----------------------------------------------------------------------------------------


def test_codes_are_six_unambiguous_characters_changing_every_30_seconds():
    at = datetime.datetime(2026, 11, 30, 17, 0, 0, tzinfo=datetime.UTC)
    codes = [
        checkin.code_for(7, checkin.step_of(at + n * datetime.timedelta(seconds=30)))
        for n in range(50)
    ]

    assert len(set(codes)) == 50
    assert all(len(code) == 6 and set(code) <= set(checkin.ALPHABET) for code in codes)
    assert len(checkin.ALPHABET) == len(set(checkin.ALPHABET)) == 32
    assert set(checkin.ALPHABET).isdisjoint("01IO")


def test_the_previous_code_still_works_an_older_one_not(live, other_live):
    at = timezone.now()
    step = checkin.step_of(at)

    assert checkin.code_matches(live, checkin.code_for(live.pk, step), at)
    assert checkin.code_matches(live, checkin.code_for(live.pk, step - 1), at)
    assert not checkin.code_matches(live, checkin.code_for(live.pk, step - 2), at)
    assert not checkin.code_matches(live, checkin.code_for(live.pk, step + 1), at)
    assert not checkin.code_matches(live, checkin.code_for(other_live.pk, step), at)
    assert checkin.meeting_for_code(checkin.code_for(live.pk, step - 1), at) == live
    assert checkin.meeting_for_code(checkin.code_for(live.pk, step - 2), at) is None


@pytest.fixture
def other_live(there):
    return moved(Meeting.objects.filter(section=there).order_by("starts_at").first(), -5 * MINUTES)


# --- Signed-in members ------------------------------------------------------------------------


def test_a_signed_in_member_checks_in_with_one_button(live, people):
    client = signed_in(people["member of this section"])

    page = client.get(url_of(live))
    done = client.post(url_of(live), {"ticket": ticket_of(page)})

    assert page.status_code == 200
    assert "I am here: check me in" in page.content.decode()
    assert done.status_code == 200
    assert "You are checked in: present." in done.content.decode()
    assert records() == [(live.pk, "Ada", "present", "self")]


def test_typing_the_code_in_any_case_opens_its_meeting(live, people):
    code = code_of(live)

    answer = Client().post("/checkin/", {"code": f" {code[:3].lower()} {code[3:]} "})

    assert answer.status_code == 302
    assert answer["Location"] == f"/checkin/{code}/"


def test_a_member_of_another_section_is_refused(live, people):
    client = signed_in(people["member of another section"])

    page = client.get(url_of(live))
    refused = client.post(url_of(live), {"ticket": ticket_of(page)})

    assert refused.status_code == 403
    assert f"You are not in the {live.section.name} section: ask its lead to add you." in (
        refused.content.decode()
    )
    assert records() == []


def test_another_meetings_ticket_does_not_check_in_here(live, other_live, people):
    client = signed_in(people["member of this section"])
    theirs = signed_in(people["member of another section"]).get(url_of(other_live))

    refused = client.post(url_of(live), {"ticket": ticket_of(theirs)})

    assert refused.status_code == 403
    assert records() == []


@pytest.mark.parametrize(
    ("starts_in", "status", "reason"),
    [
        (60 * MINUTES, None, "Check-in for this meeting is not open yet: it opens at"),
        (-120 * MINUTES, None, "Check-in for this meeting is closed: it ended at"),
        (0 * MINUTES, "cancelled", "This meeting was cancelled: there is no check-in."),
    ],
)
def test_codes_of_future_past_and_cancelled_meetings_are_refused(
    here, people, starts_in, status, reason
):
    meeting = moved(Meeting.objects.filter(section=here).first(), starts_in)
    if status:
        Meeting.objects.filter(pk=meeting.pk).update(status=status)
    client = signed_in(people["member of this section"])

    refused = client.get(url_of(meeting))

    assert refused.status_code == 403
    assert reason in refused.content.decode()
    assert records() == []


def test_a_wrong_code_is_refused_in_words(live):
    typed = Client().post("/checkin/", {"code": "ABCDEF"})
    opened = Client().get("/checkin/ABCDEF/")

    assert typed.status_code == 400
    assert typed.context["form"].errors == {
        "code": [
            "This is not the code of a meeting now: codes change every 30 seconds. Type the one on "
            "the lead's screen."
        ]
    }
    assert opened.status_code == 404


def test_ten_wrong_codes_from_one_address_stop_any_more_tries(live):
    client = Client()
    answers = [client.post("/checkin/", {"code": "ABCDEF"}).status_code for _ in range(10)]

    right = client.post("/checkin/", {"code": code_of(live)})
    elsewhere = Client(REMOTE_ADDR="10.0.0.9").post("/checkin/", {"code": code_of(live)})

    assert answers == [400] * 10
    assert right.status_code == 429
    assert right.context["form"].errors["code"] == [
        "Too many wrong codes were typed from your network in the last few minutes. Try again "
        "in 10 minutes, or ask the lead to mark you."
    ]
    assert elsewhere.status_code == 302


def test_check_in_queries(live, people, django_assert_num_queries):
    client = signed_in(people["member of this section"])
    ticket = ticket_of(client.get(url_of(live)))

    # Session, the ticket's meeting, user (with its roles: the header's menu costs nothing),
    # member; the check-in (8, as in test_checkin).
    with django_assert_num_queries(12):
        done = client.post(url_of(live), {"ticket": ticket})

    assert done.status_code == 200


# --- By email -----------------------------------------------------------------------------------


@pytest.fixture
def _email_configured(settings):
    settings.EMAIL_CONFIGURED = True


@pytest.mark.usefixtures("_email_configured")
def test_a_known_email_checks_in_at_once_and_gets_a_sign_in_link(live, people):
    client = Client()
    page = client.get(url_of(live))
    email = people["ada"].email

    done = client.post(url_of(live), {"ticket": ticket_of(page), "email": email.upper()})

    assert "You are checked in: present." in done.content.decode()
    assert "A sign-in link is on its way to your email" in done.content.decode()
    assert records() == [(live.pk, "Ada", "present", "self")]
    assert [(m.to, m.subject) for m in delivered()] == [
        ([email], "Your sign-in link for Reading group")
    ]


def test_an_unknown_email_needs_a_name_then_makes_a_walk_in(live):
    client = Client()
    ticket = ticket_of(client.get(url_of(live)))

    asked = client.post(url_of(live), {"ticket": ticket, "email": "new@example.org"})
    done = client.post(
        url_of(live), {"ticket": ticket, "email": "new@example.org", "name": "Nell New"}
    )

    assert asked.context["form"].errors == {
        "name": [
            f"No member has this email. If you are new, give your name too: you join the "
            f"{live.section.name} section as you check in."
        ]
    }
    assert "You are checked in: present." in done.content.decode()
    assert records() == [(live.pk, "Nell New", "present", "walk-in")]
    assert Enrollment.objects.filter(section=live.section, member__email="new@example.org").exists()


def test_one_device_checks_in_at_most_three_emails_per_meeting(live):
    client = Client()
    ticket = ticket_of(client.get(url_of(live)))
    answers = [
        client.post(
            url_of(live), {"ticket": ticket, "email": f"p{n}@example.org", "name": f"P{n}"}
        ).status_code
        for n in range(4)
    ]
    again = client.post(url_of(live), {"ticket": ticket, "email": "p0@example.org", "name": "P0"})

    assert answers == [200, 200, 200, 429]
    assert again.status_code == 200
    assert [name for _, name, _, _ in records()] == ["P0", "P1", "P2"]


def test_a_leads_mark_is_kept_when_the_member_checks_in(live, people):
    AttendanceRecordFactory(meeting=live, member=people["ada"], status="absent")
    client = signed_in(people["member of this section"])

    done = client.post(url_of(live), {"ticket": ticket_of(client.get(url_of(live)))})

    assert "Your lead has already marked you absent: nothing changed." in done.content.decode()
    assert records() == [(live.pk, "Ada", "absent", "lead")]


@pytest.mark.slow
@hostile_settings(max_examples=40)
@given(
    code=st.text(max_size=30),
    email=st.text(max_size=300),
    name=st.text(max_size=300),
    ticket=st.text(max_size=100),
)
def test_hostile_check_in_forms_never_break(live, code, email, name, ticket):
    client = Client(raise_request_exception=False)
    before = records(), Member.objects.count()

    typed = client.post("/checkin/", {"code": code})
    posted = client.post(url_of(live), {"ticket": ticket, "email": email, "name": name})

    assert_not_server_error(typed)
    assert_not_server_error(posted)
    assert typed.status_code in (302, 400, 429) or typed.status_code == 200
    if posted.status_code != 200 or "You are checked in" not in posted.content.decode():
        assert (records(), Member.objects.count()) == before


# --- The lead's page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("member of this section", 403),
        ("member of another section", 403),
        ("lead of another section", 404),
        ("lead", 200),
        ("organizer", 200),
    ],
)
def test_only_the_meetings_leads_and_organizers_see_its_code(live, people, there, who, status):
    user = there.leads.get() if who == "lead of another section" else people[who]
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)

    page = client.get(f"/attendance/meetings/{live.pk}/checkin/")

    assert page.status_code == status
    shown = status == 200 and code_of(live)[:3] in page.content.decode()
    assert shown == (status == 200)
    if status == 302:
        assert page["Location"].startswith("/accounts/login/")


def test_the_leads_page_shows_the_qr_code_and_refreshes_with_the_code(live, people):
    client = signed_in(people["lead"])

    page = client.get(f"/attendance/meetings/{live.pk}/checkin/")
    body = page.content.decode()

    code = page.context["code"]
    assert code in (code_of(live), checkin.code_for(live.pk, checkin.step_of(timezone.now()) - 1))
    assert page.context["url"] == f"http://testserver/checkin/{code}/"
    assert f'<p class="checkin-code" aria-label="Code {code}">{code[:3]} {code[3:]}</p>' in body
    qr = re.search(r'<div class="checkin-qr"><svg viewBox="0 0 (\d+) \1" class="qr"><path ', body)
    assert qr is not None
    assert f'<meta http-equiv="refresh" content="{page.context["refresh"]}">' in body
    assert 1 <= page.context["refresh"] <= 30
    assert "style=" not in body
    assert page["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_the_leads_page_says_when_check_in_opens(here, people):
    meeting = moved(Meeting.objects.filter(section=here).first(), 60 * MINUTES)
    client = signed_in(people["lead"])

    page = client.get(f"/attendance/meetings/{meeting.pk}/checkin/")

    assert "Check-in for this meeting is not open yet: it opens at" in page.content.decode()
    assert "code" not in page.context


def test_the_roster_offers_the_code_only_during_the_window(live, here, people):
    later = moved(Meeting.objects.filter(section=here).exclude(pk=live.pk).first(), 60 * MINUTES)
    client = signed_in(people["lead"])

    now_page = client.get(f"/attendance/meetings/{live.pk}/").content.decode()
    later_page = client.get(f"/attendance/meetings/{later.pk}/").content.decode()

    assert f'href="/attendance/meetings/{live.pk}/checkin/">Show check-in code</a>' in now_page
    assert "Show check-in code" not in later_page


def test_the_roster_shows_who_checked_in_themselves(live, people):
    client = signed_in(people["member of this section"])
    client.post(url_of(live), {"ticket": ticket_of(client.get(url_of(live)))})

    roster = signed_in(people["lead"]).get(f"/attendance/meetings/{live.pk}/")

    body = roster.content.decode()
    legend = re.search(r'<legend class="h6 mb-1 roster-name">Ada .*?</legend>', body, re.S)
    assert legend is not None
    assert (
        '<span class="badge text-bg-info roster-self" title="Checked in themselves">self</span>'
        in (legend.group())
    )
    assert roster.context["form"].initial[f"status-{people['ada'].pk}"] == "present"


def test_the_live_roster_refreshes_every_5_seconds_during_the_window_only(live, here, people):
    later = moved(Meeting.objects.filter(section=here).exclude(pk=live.pk).first(), 60 * MINUTES)
    client = signed_in(people["lead"])

    live_page = client.get(f"/attendance/meetings/{live.pk}/?live=1").content.decode()
    plain_page = client.get(f"/attendance/meetings/{live.pk}/").content.decode()
    later_page = client.get(f"/attendance/meetings/{later.pk}/?live=1").content.decode()

    assert '<meta http-equiv="refresh" content="5">' in live_page
    assert "This roster refreshes every 5 seconds to show who checks in." in live_page
    assert 'http-equiv="refresh"' not in plain_page
    assert 'http-equiv="refresh"' not in later_page
