"""The lead page that cancels, moves or restores a meeting: who may, and what it does."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from sections.models import Meeting
from sections.services import cancel_meeting, move_meeting
from tests.factories import SectionFactory, UserFactory, build_term
from tests.hostile import STORED_HTML, STORED_HTML_ESCAPED, STORED_HTML_LIVE

pytestmark = pytest.mark.django_db

CANCEL = {"reason": "No meeting: Veterans Day", "cancel": "Cancel meeting"}


@pytest.fixture
def setup(organizer):
    """A term with two sections, each with its own lead; the meeting is section one's week 1."""
    term = build_term(weeks=2, readings_per_week=1, sections=0, slug="fall")
    lead, other_lead = UserFactory(username="lead"), UserFactory(username="other")
    section = SectionFactory(term=term, slug="wednesday", weekday=2, room="2-151", leads=[lead])
    SectionFactory(term=term, slug="friday", weekday=4, leads=[other_lead])
    meeting = Meeting.objects.get(section=section, week__number=1)
    return {
        "meeting": meeting,
        "url": f"/meetings/{meeting.pk}/change/",
        "users": {"lead": lead, "other lead": other_lead, "organizer": organizer},
    }


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "get_status", "post_status", "cancelled"),
    [
        ("anonymous", 302, 302, False),
        ("other lead", 404, 404, False),
        ("lead", 200, 302, True),
        ("organizer", 200, 302, True),
    ],
)
def test_meeting_change_permission_matrix(setup, who, get_status, post_status, cancelled):
    client = client_for(setup["users"].get(who))

    got = client.get(setup["url"])
    posted = client.post(setup["url"], CANCEL)

    meeting = Meeting.objects.get(pk=setup["meeting"].pk)
    assert (got.status_code, posted.status_code, meeting.is_cancelled) == (
        get_status,
        post_status,
        cancelled,
    )
    if who == "anonymous":
        assert got["Location"] == f"/accounts/login/?next={setup['url']}"
        assert posted["Location"] == f"/accounts/login/?next={setup['url']}"
    elif cancelled:
        assert posted["Location"] == setup["url"]
        assert (meeting.sequence, meeting.changed_by) == (1, setup["users"][who])


def test_meeting_change_needs_csrf(setup):
    client = Client(enforce_csrf_checks=True)
    client.force_login(setup["users"]["lead"])

    response = client.post(setup["url"], CANCEL)

    assert response.status_code == 403
    assert not Meeting.objects.get(pk=setup["meeting"].pk).is_cancelled


def test_lead_cancels_a_meeting_and_sees_a_message(setup):
    client = client_for(setup["users"]["lead"])

    response = client.post(setup["url"], CANCEL, follow=True)

    content = response.content.decode()
    assert [str(m) for m in response.context["messages"]] == [
        f"The {setup['meeting'].section.name} meeting of week 1 is cancelled."
    ]
    assert '<del class="meeting-when">Wed Sep 14, 6–8 pm · 2-151</del>' in content
    assert "Hold it after all" in content  # the restore form instead of move and cancel
    assert 'name="move"' not in content


def test_lead_moves_a_meeting(setup):
    client = client_for(setup["users"]["lead"])

    response = client.post(
        setup["url"],
        {
            "date": "2022-09-15",
            "start_time": "17:00",
            "end_time": "19:00",
            "room": "4-231",
            "note": "",
            "move": "Move meeting",
        },
        follow=True,
    )

    meeting = Meeting.objects.get(pk=setup["meeting"].pk)
    assert (meeting.when_display, meeting.room, meeting.sequence) == (
        "Thu Sep 15, 5–7 pm",
        "4-231",
        1,
    )
    assert [str(m) for m in response.context["messages"]] == [
        f"The {meeting.section.name} meeting of week 1 is moved."
    ]


def test_a_room_holding_markup_is_shown_as_text_in_the_move_forms_help(setup):
    section = setup["meeting"].section
    section.room = STORED_HTML
    section.save()  # the sync gives the section's meetings their new room

    content = client_for(setup["users"]["lead"]).get(setup["url"]).content.decode()

    assert STORED_HTML_LIVE not in content
    assert f"Leave empty for the section's room ({STORED_HTML_ESCAPED})." in content


def test_move_with_end_before_start_shows_the_error_next_to_the_field(setup):
    client = client_for(setup["users"]["lead"])

    response = client.post(
        setup["url"],
        {"date": "2022-09-14", "start_time": "20:00", "end_time": "18:00", "move": "Move"},
    )

    assert response.status_code == 200
    assert response.context["move_form"].errors == {
        "end_time": ["The end must be after the start."]
    }
    assert Meeting.objects.get(pk=setup["meeting"].pk).sequence == 0


def test_lead_forms_refuse_line_breaks_next_to_the_field(setup):
    client = client_for(setup["users"]["lead"])
    when = {"date": "2022-09-15", "start_time": "17:00", "end_time": "19:00"}

    moved = client.post(setup["url"], {**when, "room": "4-231\nX", "note": "a\r\nb", "move": "1"})
    cancelled = client.post(setup["url"], {"reason": "No\nmeeting", "cancel": "1"})

    one_line = (
        "Write this on one line: line breaks, tabs and other control characters are not "
        "allowed here."
    )
    assert moved.context["move_form"].errors == {"room": [one_line], "note": [one_line]}
    assert cancelled.context["cancel_form"].errors == {"reason": [one_line]}
    meeting = Meeting.objects.get(pk=setup["meeting"].pk)
    assert (meeting.status, meeting.room, meeting.sequence) == ("scheduled", "2-151", 0)


def test_move_outside_the_term_and_missing_fields_are_refused(setup):
    client = client_for(setup["users"]["lead"])

    outside = client.post(
        setup["url"],
        {"date": "2023-01-04", "start_time": "18:00", "end_time": "20:00", "move": "Move"},
    )
    missing = client.post(setup["url"], {"date": "", "move": "Move"})
    no_reason = client.post(setup["url"], {"reason": "", "cancel": "Cancel"})

    assert outside.context["move_form"].errors == {
        "date": ["Pick a date within the term (Sep 12 to Sep 25)."]
    }
    assert missing.context["move_form"].errors == {
        "date": ["This field is required."],
        "start_time": ["This field is required."],
        "end_time": ["This field is required."],
    }
    assert no_reason.context["cancel_form"].errors == {"reason": ["This field is required."]}
    assert Meeting.objects.get(pk=setup["meeting"].pk).sequence == 0


def test_lead_restores_a_cancelled_meeting(setup):
    cancel_meeting(meeting=setup["meeting"], reason="Exams", by=None)
    client = client_for(setup["users"]["lead"])

    response = client.post(setup["url"], {"restore": "Restore"}, follow=True)

    meeting = Meeting.objects.get(pk=setup["meeting"].pk)
    assert (meeting.status, meeting.public_note, meeting.sequence) == ("scheduled", "", 2)
    assert [str(m) for m in response.context["messages"]] == [
        f"The {meeting.section.name} meeting of week 1 is back at its regular time and room."
    ]


def test_meeting_change_page_query_count_is_constant(setup, django_assert_num_queries):
    client = client_for(setup["users"]["lead"])

    # session, user (with its roles: "My meetings"), meeting, how many members a change emails
    with django_assert_num_queries(4):
        response = client.get(setup["url"])

    assert response.context["meeting"] == setup["meeting"]


# --- What members see --------------------------------------------------------------------------


def test_pages_show_moved_meetings_old_to_new_and_flag_recent_changes(client, fall2022):
    friday = {m.week.number: m for m in Meeting.objects.filter(section__slug="friday")}
    move_meeting(
        meeting=friday[3],
        date=datetime.date(2022, 9, 29),
        start_time=datetime.time(19),
        end_time=datetime.time(20),
        room="4-231",
        by=None,
    )
    cancel_meeting(meeting=friday[9], reason="No meeting: Veterans Day", by=None)
    Meeting.objects.filter(pk=friday[9].pk).update(
        changed_at=timezone.now() - datetime.timedelta(days=8)
    )

    pages = ["/terms/fall-2022/", "/terms/fall-2022/weeks/3/", "/terms/fall-2022/sections/friday/"]
    for url in pages:
        content = client.get(url).content.decode()
        assert '<del class="meeting-old">Fri Sep 30, 7:30–8:30 pm · 4-146</del>' in content, url
        assert (
            '<ins class="meeting-new"><span class="meeting-when">Thu Sep 29, 7–8 pm</span> · '
            '<span class="meeting-room">4-231</span></ins>'
        ) in content, url
        assert content.count("meeting-new-flag") == 1, url  # the move, not the old cancellation

    section_page = client.get("/terms/fall-2022/sections/friday/").content.decode()
    assert '<del class="meeting-when">Fri Nov 11, 7:30–8:30 pm · 4-146</del>' in section_page
    assert "No meeting: Veterans Day" in section_page


def test_recent_change_flag_counts_days_in_the_term_time_zone(fall2022):
    meeting = Meeting.objects.select_related("section__term").get(
        section__slug="friday", week__number=1
    )
    # Changed at 11 pm New York time on Nov 1 (already Nov 2 in UTC).
    meeting.changed_at = datetime.datetime(2022, 11, 2, 3, 0, tzinfo=datetime.UTC)

    seven_days_later = datetime.datetime(2022, 11, 8, 23, 30, tzinfo=fall2022.tz)
    eight_days_later = datetime.datetime(2022, 11, 9, 0, 30, tzinfo=fall2022.tz)

    assert meeting.is_recently_changed(now=seven_days_later) is True
    assert meeting.is_recently_changed(now=eight_days_later) is False


def test_schedule_and_section_pages_show_the_next_meeting(client):
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    term = build_term(weeks=3, readings_per_week=0, sections=0, first_monday=monday)
    section = SectionFactory(term=term, slug="daily", weekday=today.weekday())
    meetings = {m.week.number: m for m in section.meetings.select_related("week")}
    # This week's meeting may be over (it is today): cancel it so week 2's is the next either way.
    cancel_meeting(meeting=meetings[1], reason="No meeting this week", by=None)

    schedule = client.get(term.get_absolute_url())
    section_page = client.get(section.get_absolute_url())

    assert schedule.context["next_meeting"].pk == meetings[2].pk  # a ShownMeeting
    assert section_page.context["next_meeting"] == meetings[2]
    assert "Next meeting:" in schedule.content.decode()
    assert schedule.context["schedule"].current_week.number == 1


def test_leads_see_a_change_link_on_their_section_and_week_pages_only(client, setup):
    meeting = setup["meeting"]
    section_url = meeting.section.get_absolute_url()
    week_url = meeting.week.get_absolute_url()

    anonymous = [client.get(url).content.decode() for url in (section_url, week_url)]
    client.force_login(setup["users"]["lead"])
    lead = [client.get(url).content.decode() for url in (section_url, week_url)]

    assert [setup["url"] in page for page in anonymous] == [False, False]
    assert [setup["url"] in page for page in lead] == [True, True]


@pytest.mark.parametrize(
    ("who", "sections"),
    [
        ("anonymous", []),
        ("other lead", ["friday"]),
        ("lead", ["wednesday"]),
        ("organizer", ["wednesday", "friday"]),
    ],
)
def test_the_week_page_offers_the_change_link_for_the_meetings_one_may_manage(setup, who, sections):
    week = setup["meeting"].week
    expected = [
        f"/meetings/{Meeting.objects.get(week=week, section__slug=slug).pk}/change/"
        for slug in sections
    ]

    page = client_for(setup["users"].get(who)).get(week.get_absolute_url()).content.decode()

    assert re.findall(r'meeting-change-link" href="(/meetings/\d+/change/)"', page) == expected
