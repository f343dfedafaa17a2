"""A meeting cancelled, moved or restored: one email to its section's members, ten minutes
later, with the final state; nothing when the change is undone in time or not to be told."""

import datetime
import re
import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from core import outbox
from core.models import OutgoingEmail
from notifications.models import MeetingChangeNotice
from sections.models import Meeting
from sections.services import cancel_meeting, move_meeting, restore_meeting
from tests.factories import EnrollmentFactory, MemberFactory, UserFactory, enroll_members

pytestmark = pytest.mark.django_db

VETERANS_DAY = "No meeting: Veterans Day"
THURSDAY = {
    "date": datetime.date(2022, 11, 17),
    "start_time": datetime.time(18),
    "end_time": datetime.time(20),
    "room": "4-237",
}


def queued():
    """(key, to, state) of every outbox row, in the order they were queued."""
    return list(OutgoingEmail.objects.order_by("pk").values_list("key", "to", "state"))


def move(meeting, **changes):
    return move_meeting(meeting=meeting, by=None, **{**THURSDAY, **changes})


def test_a_cancel_queues_one_message_per_member_with_an_email_ten_minutes_later(clock, meeting):
    cancel_meeting(meeting=meeting, reason=VETERANS_DAY, by=None)

    notice = MeetingChangeNotice.objects.get()
    ada, bea = meeting.section.enrollments.exclude(member__email="").order_by("member__name")
    assert queued() == [
        (f"meeting-change:{notice.pk}:{ada.member_id}", "ada@example.edu", "pending"),
        (f"meeting-change:{notice.pk}:{bea.member_id}", "Bea@Example.edu", "pending"),
    ]  # not Cy (no email), not Dee (the Friday section)
    assert set(OutgoingEmail.objects.values_list("kind", "send_after")) == {
        ("meeting-change", clock.now + datetime.timedelta(minutes=10))
    }
    assert (notice.opened_at, notice.before_status, notice.before_room) == (
        clock.now,
        "scheduled",
        "2-151",
    )


def test_the_cancel_email_says_what_changed_why_in_which_zone_and_links_to_the_week(
    clock, meeting, settings
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    cancel_meeting(meeting=meeting, reason=VETERANS_DAY, by=None)

    email = OutgoingEmail.objects.first()
    assert email.subject == "Cancelled: Wednesday section, Week 10 — Wed Nov 16, 6–8 pm EST"
    assert email.text == (
        "Cancelled: the Wednesday section's meeting of week 10 (Grokking), "
        "The Science of Deep Learning (Fall 2022).\n"
        "\n"
        "Status: scheduled → cancelled\n"
        "Date: Wed Nov 16\n"
        "Time: 6:00–8:00 pm EST (America/New_York)\n"
        "Room: 2-151\n"
        "Reason: No meeting: Veterans Day\n"
        "\n"
        "The week's topic, readings and every section's meetings:\n"
        "http://127.0.0.1:8000/terms/fall-2022/weeks/10/#section-wednesday\n"
    )
    html = re.sub(r' style="[^"]*"', "", email.html)  # the layout's inline styles aside
    assert "<td><del>scheduled</del></td>\n" in html
    assert "<td><strong>cancelled</strong></td>" in html
    assert "<p>Reason: No meeting: Veterans Day</p>" in html
    assert (
        '<a href="http://127.0.0.1:8000/terms/fall-2022/weeks/10/#section-wednesday">'
        "Week 10: Grokking</a>"
    ) in email.html
    assert "src=" not in email.html  # no remote images


def test_the_move_email_shows_old_to_new_under_the_base_url_setting(clock, meeting, settings):
    settings.SITE_URL = "https://readinggroup.example.edu"

    move(meeting, start_time=datetime.time(17, 30), end_time=datetime.time(19), note="Exams")

    email = OutgoingEmail.objects.first()
    assert email.subject == (
        "Moved: Wednesday section, Week 10 — now Thu Nov 17, 5:30–7 pm EST, 4-237"
    )
    assert email.text.splitlines()[2:7] == [
        "Date: Wed Nov 16 → Thu Nov 17",
        "Time: 6:00–8:00 pm EST (America/New_York) → 5:30–7:00 pm EST (America/New_York)",
        "Room: 2-151 → 4-237",
        "Note: Exams",
        "",
    ]
    assert email.text.endswith(
        "\nhttps://readinggroup.example.edu/terms/fall-2022/weeks/10/#section-wednesday\n"
    )


def test_a_daylight_saving_time_meeting_names_its_zone_as_edt(clock, section):
    meeting = Meeting.objects.select_related("section__term").get(section=section, week__number=2)

    move(meeting, date=datetime.date(2022, 9, 22), start_time=datetime.time(11), room="")

    email = OutgoingEmail.objects.first()
    assert (
        email.subject == "Moved: Wednesday section, Week 2 — now Thu Sep 22, 11 am–8 pm EDT, 2-151"
    )
    assert (
        "Time: 6:00–8:00 pm EDT (America/New_York) → 11:00 am–8:00 pm EDT (America/New_York)"
        in (email.text)
    )


def test_three_edits_within_the_window_send_one_message_per_member_with_the_final_state(
    clock, meeting
):
    move(meeting, room="4-231")
    clock.advance(minutes=3)
    move(meeting, room="4-237", note="Bigger room")
    clock.advance(minutes=6)
    move(meeting, date=datetime.date(2022, 11, 18), note="Friday after all")

    notice = MeetingChangeNotice.objects.get()
    emails = list(OutgoingEmail.objects.all())
    assert [(e.to, e.state) for e in emails] == [
        ("ada@example.edu", "pending"),
        ("Bea@Example.edu", "pending"),
    ]
    assert {e.send_after for e in emails} == {notice.opened_at + datetime.timedelta(minutes=10)}
    assert {e.subject for e in emails} == {
        "Moved: Wednesday section, Week 10 — now Fri Nov 18, 6–8 pm EST, 4-237"
    }
    assert emails[0].text.splitlines()[2:6] == [
        "Date: Wed Nov 16 → Fri Nov 18",  # from the first notice's “before”
        "Time: 6:00–8:00 pm EST (America/New_York) (unchanged)",
        "Room: 2-151 → 4-237",
        "Note: Friday after all",
    ]
    assert emails[0].html == emails[1].html


def test_a_move_undone_within_the_window_sends_nothing(clock, meeting):
    move(meeting)
    clock.advance(minutes=5)
    restore_meeting(meeting=meeting, by=None)

    assert [state for _, _, state in queued()] == ["cancelled", "cancelled"]
    assert MeetingChangeNotice.objects.get().withdrawn_at == clock.now


def test_a_cancel_undone_then_a_move_sends_only_the_move(clock, meeting):
    cancel_meeting(meeting=meeting, reason=VETERANS_DAY, by=None)
    restore_meeting(meeting=meeting, by=None)
    clock.advance(minutes=2)
    move(meeting)

    pending = OutgoingEmail.objects.filter(state="pending")
    assert [e.subject for e in pending] == [
        "Moved: Wednesday section, Week 10 — now Thu Nov 17, 6–8 pm EST, 4-237"
    ] * 2
    assert {e.send_after for e in pending} == {clock.now + datetime.timedelta(minutes=10)}
    assert OutgoingEmail.objects.filter(state="cancelled").count() == 2


def test_a_change_after_the_messages_went_out_opens_a_new_notice(clock, meeting):
    move(meeting)
    clock.advance(minutes=11)
    OutgoingEmail.objects.update(state=OutgoingEmail.State.SENT, sent_at=clock.now)  # the worker

    restore_meeting(meeting=meeting, by=None)

    first, second = MeetingChangeNotice.objects.order_by("pk")
    assert (second.before_room, second.before_starts_at.date()) == (
        "4-237",
        datetime.date(2022, 11, 17),
    )
    assert [(key.split(":")[1], state) for key, _, state in queued()] == [
        (str(first.pk), "sent"),
        (str(first.pk), "sent"),
        (str(second.pk), "pending"),
        (str(second.pk), "pending"),
    ]
    restored = OutgoingEmail.objects.filter(state="pending").first()
    assert (
        restored.subject == "Moved: Wednesday section, Week 10 — now Wed Nov 16, 6–8 pm EST, 2-151"
    )
    assert restored.send_after == clock.now + datetime.timedelta(minutes=10)


def test_a_change_while_the_worker_is_sending_opens_a_new_notice(clock, meeting):
    move(meeting)
    clock.advance(minutes=10)
    first = OutgoingEmail.objects.first()
    OutgoingEmail.objects.filter(pk=first.pk).update(state=OutgoingEmail.State.SENT)

    restore_meeting(meeting=meeting, by=None)

    assert MeetingChangeNotice.objects.count() == 2
    assert OutgoingEmail.objects.filter(state="pending").count() == 3  # 1 of the first + 2


def test_a_late_change_while_the_worker_is_down_still_goes_into_the_pending_email(clock, meeting):
    move(meeting)
    clock.advance(minutes=30)  # due, but nothing sent yet

    cancel_meeting(meeting=meeting, reason=VETERANS_DAY, by=None)

    assert MeetingChangeNotice.objects.count() == 1
    assert {e.subject for e in OutgoingEmail.objects.all()} == {
        "Cancelled: Wednesday section, Week 10 — Wed Nov 16, 6–8 pm EST"
    }


def test_notify_false_records_nothing(clock, meeting):
    cancel_meeting(meeting=meeting, reason=VETERANS_DAY, by=None, notify=False)
    restore_meeting(meeting=meeting, by=None, notify=False)
    move(meeting, notify=False)

    assert not MeetingChangeNotice.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_notify_false_keeps_an_open_notice_true_to_the_meeting(clock, meeting):
    move(meeting, room="4-231")
    move(meeting, room="4-237", notify=False)  # the email going out anyway must not say 4-231

    assert MeetingChangeNotice.objects.count() == 1
    assert {e.subject for e in OutgoingEmail.objects.all()} == {
        "Moved: Wednesday section, Week 10 — now Thu Nov 17, 6–8 pm EST, 4-237"
    }
    restore_meeting(meeting=meeting, by=None, notify=False)  # undone: nothing to tell
    assert set(OutgoingEmail.objects.values_list("state", flat=True)) == {"cancelled"}


def cancel_then_fail(meeting):
    with transaction.atomic():
        cancel_meeting(meeting=meeting, reason=VETERANS_DAY, by=None)
        raise RuntimeError("something after the cancel failed")


def test_a_rolled_back_change_queues_nothing(clock, meeting):
    with pytest.raises(RuntimeError):
        cancel_then_fail(meeting)

    assert not MeetingChangeNotice.objects.exists()
    assert not OutgoingEmail.objects.exists()
    assert not Meeting.objects.get(pk=meeting.pk).is_cancelled


def test_an_address_that_opted_out_of_meeting_changes_gets_nothing(clock, meeting):
    outbox.opt_out(email="bea@example.edu", kind="meeting-change")
    outbox.opt_out(email="ada@example.edu", kind="reminder")

    move(meeting)
    move(meeting, room="4-231")

    assert [(to, state) for _, to, state in queued()] == [("ada@example.edu", "pending")]


def test_members_who_join_or_leave_before_the_email_goes_are_added_or_dropped(clock, meeting):
    move(meeting)
    meeting.section.enrollments.filter(member__name="Ada").delete()
    EnrollmentFactory(section=meeting.section, member=MemberFactory(email="eve@example.edu"))
    clock.advance(minutes=5)

    move(meeting, room="4-231")

    assert [(to, state) for _, to, state in queued()] == [
        ("ada@example.edu", "cancelled"),
        ("Bea@Example.edu", "pending"),
        ("eve@example.edu", "pending"),
    ]
    assert OutgoingEmail.objects.get(to="eve@example.edu").send_after == (
        clock.now + datetime.timedelta(minutes=5)
    )


def test_the_delay_is_a_setting(clock, meeting, settings):
    settings.MEETING_CHANGE_EMAIL_DELAY = datetime.timedelta(minutes=2)

    move(meeting)

    assert OutgoingEmail.objects.first().send_after == clock.now + datetime.timedelta(minutes=2)


# Moving the data version on (core.freshness.changing) takes two statements on SQLite, one on
# PostgreSQL.
BUMP = 2 if connection.vendor == "sqlite" else 1


def test_queueing_for_500_members_takes_a_bounded_number_of_queries(
    clock, meeting, django_assert_num_queries
):
    enroll_members(meeting.section, 498)

    # meeting lock (data version, meeting), save, latest notice, new notice, audience, the
    # outbox's opt-outs, known keys and insert, and savepoints around both services.
    with django_assert_num_queries(12 + BUMP):
        cancel_meeting(meeting=meeting, reason=VETERANS_DAY, by=None)
    # lock, save, latest notice and its 500 rows locked, one UPDATE cancels them all, the
    # notice withdrawn, savepoints.
    with django_assert_num_queries(10 + BUMP):
        restore_meeting(meeting=meeting, by=None)  # undone: 500 rows cancelled in one query

    assert OutgoingEmail.objects.filter(state="cancelled").count() == 500


def test_rewriting_500_pending_messages_takes_a_bounded_number_of_queries(
    clock, meeting, django_assert_num_queries
):
    enroll_members(meeting.section, 498)
    move(meeting)

    # lock, the term's last week (the move's check), save, latest notice and its rows locked,
    # audience, one UPDATE rewrites all 500, savepoints.
    with django_assert_num_queries(11 + BUMP):
        move(meeting, room="4-231")

    assert set(OutgoingEmail.objects.values_list("subject", flat=True)) == {
        "Moved: Wednesday section, Week 10 — now Thu Nov 17, 6–8 pm EST, 4-231"
    }


ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL (row locks and two connections); .ci/run runs it there",
)
@pytest.mark.django_db(transaction=True)
def test_two_leads_changing_a_meeting_at_once_on_postgresql_make_one_notice(meeting, lead):
    other_lead = UserFactory(username="co-lead")
    meeting.section.leads.add(other_lead)
    first_moved, release_first = threading.Event(), threading.Event()
    errors = []

    def first():
        try:
            with transaction.atomic():
                move_meeting(meeting=meeting, by=lead, **{**THURSDAY, "room": "4-231"})
                first_moved.set()
                release_first.wait(10)  # hold the transaction (and the meeting's lock) open
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    def second():
        try:
            cancel_meeting(meeting=meeting, reason=VETERANS_DAY, by=other_lead)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert first_moved.wait(10)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.5)
    blocked = two.is_alive()  # waiting for the first change's lock, not racing it
    release_first.set()
    one.join(10)
    two.join(10)

    assert (blocked, errors) == (True, [])
    notice = MeetingChangeNotice.objects.get()
    assert notice.before_room == "2-151"
    emails = list(OutgoingEmail.objects.order_by("pk"))
    assert [(e.to, e.state) for e in emails] == [
        ("ada@example.edu", "pending"),
        ("Bea@Example.edu", "pending"),
    ]
    # The final state (cancelled), against what members last knew (not the unsent move).
    assert {e.subject for e in emails} == {
        "Cancelled: Wednesday section, Week 10 — Wed Nov 16, 6–8 pm EST"
    }
    assert "Room: 2-151\nReason: No meeting: Veterans Day\n" in emails[0].text


def test_deleting_a_meeting_cancels_what_was_still_to_be_sent_about_it(clock, meeting):
    move(meeting)

    meeting.week.delete()

    assert set(OutgoingEmail.objects.values_list("state", flat=True)) == {"cancelled"}
    assert not MeetingChangeNotice.objects.exists()
