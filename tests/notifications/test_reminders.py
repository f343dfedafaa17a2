"""Reminders the day before each meeting (notifications/reminders.py): at the term's hour in its
time zone, once per member, never for a cancelled meeting, never stale; and what they say."""

import datetime
import re
import zoneinfo

import pytest

from attendance.models import Member
from core import outbox
from core.models import OutgoingEmail
from notifications import reminders
from notifications.reminders import queue_due_reminders, reminder_time
from sections.models import Meeting
from sections.services import cancel_meeting, move_meeting, restore_meeting
from syllabus.models import Week
from tests.factories import (
    EnrollmentFactory,
    MemberFactory,
    PaperFactory,
    ReadingFactory,
    SectionFactory,
    UserFactory,
    build_term,
    enroll_members,
)
from tests.hostile import STORED_HTML, STORED_HTML_ESCAPED, STORED_HTML_LIVE

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
SECOND = datetime.timedelta(seconds=1)
# The Wednesday section's week 10 meeting is Wed Nov 16, 2022, 6 pm EST: its members are reminded
# on Tue Nov 15 at 6 pm EST.
REMINDER = datetime.datetime(2022, 11, 15, 23, tzinfo=datetime.UTC)


def queued():
    """(key, to) of every outbox row, in the order they were queued."""
    return list(OutgoingEmail.objects.order_by("pk").values_list("key", "to"))


def member(name):
    return Member.objects.get(name=name)


def reminder_keys(meeting, *names):
    return [(f"reminder:{meeting.pk}:{member(n).pk}", member(n).email) for n in names]


# --- When -------------------------------------------------------------------------------------


def meeting_on(day, start, *, reminder_hour=18):
    """A one-section term of New York whose only meeting is on `day` at `start`, with one member
    (with an email)."""
    monday = day - datetime.timedelta(days=day.weekday())
    term = build_term(
        weeks=1,
        readings_per_week=0,
        sections=0,
        first_monday=monday,
        slug=f"term-{day:%Y%m%d}",
        reminder_hour=reminder_hour,
    )
    end = (datetime.datetime.combine(day, start) + datetime.timedelta(minutes=30)).time()
    section = SectionFactory(term=term, weekday=day.weekday(), start_time=start, end_time=end)
    EnrollmentFactory(section=section, member=MemberFactory(name="Ada", email="ada@example.edu"))
    return Meeting.objects.select_related("section__term").get(section=section)


DST_CASES = [
    # (meeting day, start, reminder hour, the reminder in New York, its zone)
    pytest.param(  # the Monday after the clocks went back (Sun Nov 6): Sunday 6 pm EST
        datetime.date(2022, 11, 7),
        datetime.time(10),
        18,
        datetime.datetime(2022, 11, 6, 18),
        "EST",
        id="monday-after-november-change",
    ),
    pytest.param(  # the Monday after they went forward (Sun Mar 12): Sunday 6 pm EDT
        datetime.date(2023, 3, 13),
        datetime.time(10),
        18,
        datetime.datetime(2023, 3, 12, 18),
        "EDT",
        id="monday-after-march-change",
    ),
    pytest.param(  # the change between reminder and meeting: 6 pm EDT, 25 hours before 6 pm EST
        datetime.date(2022, 11, 6),
        datetime.time(18),
        18,
        datetime.datetime(2022, 11, 5, 18),
        "EDT",
        id="sunday-of-november-change",
    ),
    pytest.param(  # and 6 pm EST, 23 hours before 6 pm EDT
        datetime.date(2023, 3, 12),
        datetime.time(18),
        18,
        datetime.datetime(2023, 3, 11, 18),
        "EST",
        id="sunday-of-march-change",
    ),
    pytest.param(  # the earliest a reminder comes: 0:00 the day before a meeting at 23:00
        datetime.date(2022, 11, 7),
        datetime.time(23),
        0,
        datetime.datetime(2022, 11, 6, 0),
        "EDT",
        id="midnight-for-a-late-meeting-across-the-change",
    ),
]


@pytest.mark.parametrize(("day", "start", "hour", "local", "zone"), DST_CASES)
def test_the_reminder_is_the_day_before_at_the_terms_hour_in_its_zone(
    day, start, hour, local, zone
):
    meeting = meeting_on(day, start, reminder_hour=hour)

    when = reminder_time(meeting)

    assert when == local.replace(tzinfo=NEW_YORK).astimezone(datetime.UTC)
    assert (when.astimezone(NEW_YORK).replace(tzinfo=None), when.astimezone(NEW_YORK).tzname()) == (
        local,
        zone,
    )


@pytest.mark.parametrize(("day", "start", "hour", "local", "zone"), DST_CASES)
def test_the_planner_queues_it_from_its_time_not_a_second_before(day, start, hour, local, zone):
    meeting = meeting_on(day, start, reminder_hour=hour)
    when = local.replace(tzinfo=NEW_YORK)

    before = queue_due_reminders(now=when - SECOND)
    after = queue_due_reminders(now=when + SECOND)

    assert (before, [row.key for row in after]) == (
        [],
        [f"reminder:{meeting.pk}:{member('Ada').pk}"],
    )


def test_the_planner_queues_one_per_member_with_an_email_of_that_section_only(meeting):
    stored = queue_due_reminders(now=REMINDER)

    assert [(row.key, row.to) for row in stored] == reminder_keys(meeting, "Ada", "Bea")
    # Not Cy (no email), not Dee (the Friday section, reminded on Thursday).
    assert queued() == reminder_keys(meeting, "Ada", "Bea")
    assert set(OutgoingEmail.objects.values_list("kind", "state", "send_after")) == {
        ("reminder", "pending", REMINDER)
    }


def test_called_again_it_queues_nothing_more(meeting):
    queue_due_reminders(now=REMINDER)

    again = queue_due_reminders(now=REMINDER + datetime.timedelta(minutes=5))
    later = queue_due_reminders(now=REMINDER + datetime.timedelta(hours=1))

    assert (again, later) == ([], [])
    assert queued() == reminder_keys(meeting, "Ada", "Bea")


@pytest.mark.parametrize(
    ("late", "sent"),
    [
        (datetime.timedelta(hours=6), True),
        (datetime.timedelta(hours=6) + SECOND, False),
        (datetime.timedelta(days=1), False),  # the meeting has started
    ],
)
def test_a_reminder_more_than_six_hours_late_is_not_sent(meeting, late, sent):
    stored = queue_due_reminders(now=REMINDER + late)

    assert bool(stored) == sent


def test_no_reminder_once_the_meeting_has_started():
    meeting = meeting_on(datetime.date(2022, 11, 16), datetime.time(0, 30), reminder_hour=23)
    starts = meeting.starts_at

    assert queue_due_reminders(now=starts) == []
    assert len(queue_due_reminders(now=starts - SECOND)) == 1


def test_a_cancelled_meeting_gets_none(meeting, other_section):
    cancel_meeting(meeting=meeting, reason="No meeting: Veterans Day", by=None, notify=False)

    assert queue_due_reminders(now=REMINDER) == []
    friday = Meeting.objects.get(section=other_section, week__number=10)
    assert [row.key for row in queue_due_reminders(now=REMINDER + datetime.timedelta(days=2))] == [
        f"reminder:{friday.pk}:{member('Dee').pk}"
    ]


def test_an_unpublished_terms_meetings_get_none(meeting):
    meeting.section.term.is_published = False
    meeting.section.term.save()

    assert queue_due_reminders(now=REMINDER) == []


def test_cancelling_withdraws_the_reminders_not_sent_yet_and_none_are_queued_again(clock, meeting):
    clock.now = REMINDER + datetime.timedelta(minutes=1)
    queue_due_reminders(now=REMINDER)
    OutgoingEmail.objects.filter(to="ada@example.edu").update(state="sent", attempts=1)

    cancel_meeting(meeting=meeting, reason="Ill", by=None, notify=False)
    queue_due_reminders(now=REMINDER + datetime.timedelta(minutes=5))

    assert list(OutgoingEmail.objects.values_list("to", "state")) == [("ada@example.edu", "sent")]


def test_a_meeting_restored_in_time_is_reminded_of_again(clock, meeting):
    clock.now = REMINDER + datetime.timedelta(minutes=1)
    queue_due_reminders(now=REMINDER)
    cancel_meeting(meeting=meeting, reason="Ill", by=None, notify=False)

    restore_meeting(meeting=meeting, by=None, notify=False)
    stored = queue_due_reminders(now=REMINDER + datetime.timedelta(minutes=5))

    assert [row.to for row in stored] == ["ada@example.edu", "Bea@Example.edu"]


def test_a_meeting_moved_after_its_reminder_went_out_gets_no_second_one(clock, meeting):
    clock.now = REMINDER + datetime.timedelta(minutes=1)
    queue_due_reminders(now=REMINDER)
    OutgoingEmail.objects.update(state="sent", attempts=1)
    # To Thursday: its reminder time is now Wednesday 6 pm.
    move_meeting(
        meeting=meeting,
        date=datetime.date(2022, 11, 17),
        start_time=datetime.time(18),
        end_time=datetime.time(20),
        room="4-237",
        by=None,
        notify=False,
    )

    clock.now = REMINDER + datetime.timedelta(days=1, seconds=1)  # Thursday's reminder time
    stored = queue_due_reminders(now=clock.now)

    assert stored == []
    assert queued() == reminder_keys(meeting, "Ada", "Bea")


def test_a_meeting_moved_before_its_reminder_went_out_is_reminded_of_once_as_it_now_is(
    clock, meeting
):
    clock.now = REMINDER + datetime.timedelta(minutes=1)
    queue_due_reminders(now=REMINDER)
    move_meeting(
        meeting=meeting,
        date=datetime.date(2022, 11, 16),
        start_time=datetime.time(18),
        end_time=datetime.time(20),
        room="4-237",
        by=None,
        notify=False,
    )

    queue_due_reminders(now=REMINDER + datetime.timedelta(minutes=5))

    assert queued() == reminder_keys(meeting, "Ada", "Bea")
    assert {subject for (subject,) in OutgoingEmail.objects.values_list("subject")} == {
        "Tomorrow: Wednesday — Week 10: Grokking, 6:00 pm EST, 4-237"
    }


def test_deleting_a_meeting_withdraws_its_reminders_not_sent_yet(clock, meeting):
    clock.now = REMINDER + datetime.timedelta(minutes=1)
    queue_due_reminders(now=REMINDER)
    OutgoingEmail.objects.filter(to="ada@example.edu").update(state="sent", attempts=1)

    meeting.week.delete()

    assert list(OutgoingEmail.objects.values_list("to", "state")) == [("ada@example.edu", "sent")]


def test_changing_a_meeting_far_off_or_long_past_looks_for_no_reminder(
    clock, meeting, django_assert_num_queries
):
    """Only a meeting starting within 50 hours of now can have reminders queued."""
    past = Meeting.objects.get(section=meeting.section, week__number=1)
    clock.now = REMINDER - datetime.timedelta(days=3)
    with django_assert_num_queries(0):
        for m in (meeting, past):
            reminders.withdraw_unsent_reminders(meeting=m, before=m.state())
    clock.now = REMINDER
    with django_assert_num_queries(1):
        reminders.withdraw_unsent_reminders(meeting=meeting, before=meeting.state())


def test_a_member_who_turned_reminders_off_gets_none_the_others_still_do(meeting):
    outbox.opt_out(email="BEA@example.edu", kind="reminder")
    outbox.opt_out(email="ada@example.edu", kind="meeting-change")  # another kind: no matter

    queue_due_reminders(now=REMINDER)

    assert queued() == reminder_keys(meeting, "Ada")


@pytest.mark.parametrize(("sections", "members", "queries"), [(1, 1, 8), (3, 100, 8)])
def test_the_planner_runs_a_bounded_number_of_queries(
    term, sections, members, queries, django_assert_num_queries
):
    """Meetings, readings, members, the outbox's opt-outs and known keys, one insert, and the
    savepoint around it all: the same for 1 meeting and member as for 3 meetings of 100."""
    week = Week.objects.get(term=term, number=10)
    ReadingFactory.create_batch(2, week=week)
    for _ in range(sections):
        enroll_members(SectionFactory(term=term, weekday=2), members)

    with django_assert_num_queries(queries):
        stored = queue_due_reminders(now=REMINDER)
    with django_assert_num_queries(7):
        again = queue_due_reminders(now=REMINDER + datetime.timedelta(minutes=5))

    assert (len(stored), again) == (sections * members, [])


# --- What it says -----------------------------------------------------------------------------


@pytest.fixture
def readings(meeting):
    week = meeting.week
    Week.objects.filter(pk=week.pk).update(tagline="Why do networks generalise long after?")
    ReadingFactory(
        week=week,
        order=1,
        kind="optional",
        paper=PaperFactory(
            title="Progress measures for grokking via mechanistic interpretability",
            authors="Neel Nanda, Lawrence Chan",
            year=2023,
            arxiv_id="",
            url="https://openreview.net/forum?id=9XFSbDPmdW",
        ),
    )
    ReadingFactory(
        week=week,
        order=0,
        note="sections 1–3",
        paper=PaperFactory(
            title="Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
            authors="Alethea Power, Yuri Burda",
            year=2022,
            arxiv_id="2201.02177",
        ),
    )


def test_the_reminder_says_what_when_in_which_zone_where_and_links_the_readings(
    meeting, readings, settings
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    queue_due_reminders(now=REMINDER)

    email = OutgoingEmail.objects.get(to="ada@example.edu")
    assert email.subject == "Tomorrow: Wednesday — Week 10: Grokking, 6:00 pm EST, 2-151"
    assert email.text == (
        "Tomorrow: the Wednesday section of The Science of Deep Learning (Fall 2022) meets.\n"
        "\n"
        "Week 10: Grokking\n"
        "Why do networks generalise long after?\n"
        "\n"
        "Date: Wed Nov 16\n"
        "Time: 6:00–8:00 pm EST (America/New_York)\n"
        "Room: 2-151\n"
        "\n"
        "Readings:\n"
        "- Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets "
        "(Alethea Power, Yuri Burda, 2022): sections 1–3\n"
        "  https://arxiv.org/abs/2201.02177\n"
        "- Progress measures for grokking via mechanistic interpretability "
        "(Neel Nanda, Lawrence Chan, 2023) [optional]\n"
        "  https://openreview.net/forum?id=9XFSbDPmdW\n"
        "\n"
        "The week's page:\n"
        "http://127.0.0.1:8000/terms/fall-2022/weeks/10/#section-wednesday\n"
        "\n"
        "Can't come? Tell the leads (with a reason, if you like):\n"
        f"http://127.0.0.1:8000/meetings/{meeting.pk}/cant-come/\n"
        "\n"
        "You get this as a member of the Wednesday section. To stop these reminders, untick "
        "“Remind me the day before each meeting” under Email settings on your page:\n"
        "http://127.0.0.1:8000/me/#email-settings\n"
    )
    html = re.sub(r' style="[^"]*"', "", email.html)  # the layout's inline styles aside
    assert '<tr><th scope="row">Time</th><td>6:00–8:00 pm EST (America/New_York)</td></tr>' in html
    assert (
        '<li><a href="https://arxiv.org/abs/2201.02177">Grokking: Generalization Beyond '
        "Overfitting on Small Algorithmic Datasets</a> (Alethea Power, Yuri Burda, 2022): "
        "sections 1–3</li>"
    ) in html
    assert '<a href="https://openreview.net/forum?id=9XFSbDPmdW">Progress measures' in html
    assert "(Neel Nanda, Lawrence Chan, 2023) [optional]</li>" in html
    assert f'<a href="http://127.0.0.1:8000/meetings/{meeting.pk}/cant-come/">' in html
    assert '<a href="http://127.0.0.1:8000/me/#email-settings">' in html


def test_the_cant_come_link_opens_the_form_for_that_member_only(
    client, clock, meeting, readings, settings
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    clock.now = REMINDER
    queue_due_reminders(now=REMINDER)
    text = OutgoingEmail.objects.get(to="ada@example.edu").text
    link = next(line for line in text.splitlines() if line.endswith("/cant-come/"))
    path = link.removeprefix("http://127.0.0.1:8000")
    ada, dee = member("Ada"), member("Dee")
    for someone, username in ((ada, "ada"), (dee, "dee")):
        someone.user = UserFactory(username=username)
        someone.save()

    anonymous = client.get(path)
    client.force_login(ada.user)
    page = client.get(path)
    sent = client.post(path, {"reason": "At a conference"})
    client.force_login(dee.user)
    other = client.get(path)

    assert anonymous["Location"] == f"/signin/?next={path}"
    html = page.content.decode()
    assert "<h1>I can't come</h1>" in html
    assert "Wednesday section, week 10: Grokking · Wed Nov 16, 6–8 pm · 2-151" in html
    assert f'<form method="post" action="{path}" novalidate>' in html
    assert sent["Location"] == "/me/"
    assert list(meeting.apologies.values_list("member__name", "reason")) == [
        ("Ada", "At a conference")
    ]
    assert other.status_code == 404


def test_stored_text_is_escaped_in_the_html_and_kept_on_one_line_in_the_subject(meeting):
    section = meeting.section
    section.name = STORED_HTML
    section.room = f"{STORED_HTML}\nLine two"  # as a shell or an old row may hold it
    section.save()
    Week.objects.filter(pk=meeting.week_id).update(title=STORED_HTML, tagline=STORED_HTML)
    ReadingFactory(
        week=meeting.week,
        note=STORED_HTML,
        paper=PaperFactory(title=STORED_HTML, authors=STORED_HTML, url="javascript:alert(1)"),
    )

    queue_due_reminders(now=REMINDER)

    email = OutgoingEmail.objects.get(to="ada@example.edu")
    assert STORED_HTML_LIVE not in email.html
    assert "javascript:" not in email.html
    # In the title (section, week, room), the intro, heading, tagline, room, reading (title,
    # authors, note), the link to the week and the foot.
    assert email.html.count(STORED_HTML_ESCAPED) == 12
    assert email.subject == (
        f"Tomorrow: {STORED_HTML} — Week 10: {STORED_HTML}, 6:00 pm EST, {STORED_HTML} Line two"
    )
    assert f"Week 10: {STORED_HTML}\n{STORED_HTML}\n" in email.text  # plain text: as typed
