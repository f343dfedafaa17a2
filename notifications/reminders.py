"""Reminders: an email to each member of a section the day before each of its meetings, at the
term's `reminder_hour` in the term's time zone (docs/notifications.md, "Reminders").

`queue_due_reminders(now=…)` is the planner. A periodic task calls it every few minutes; each
call queues (core/outbox.py) what has become due since the last, so it is idempotent and safe to
call late, twice, or from two workers at once:

- a meeting's reminder is due from its reminder time (`reminder_time`) until the meeting starts,
  but no later than STALE_AFTER past the reminder time: a worker that was down for a day does not
  send yesterday's reminders in the middle of the night;
- only scheduled meetings of published terms, and never a cancelled one;
- one message per member of the section with an email address who did not turn reminders off
  (an EmailOptOut of kind "reminder", set on /me/), keyed `reminder:<meeting id>:<member id>`:
  the outbox stores a key once, so a member is reminded of a meeting once, whatever the planner
  is called again or the meeting moves;
- a change to the meeting (cancelled, moved, restored: `withdraw_unsent_reminders`, from the
  `meeting_changed` receiver) or its deletion deletes its reminders the worker has not tried
  yet, so none tells of a meeting as it no longer is; the planner queues them again, from the
  meeting as it now is, if they are (still) due. One that went out is never sent again.

Every member of a meeting gets the same text (the "can't come" link is the meeting's; the site
knows the member by their sign-in), so each meeting is rendered once. A call costs a bounded
number of queries whatever the number of meetings and members: the meetings (locked, so that a
change waits for the planner and the planner for a change), their readings, their sections'
members, then the outbox's opt-outs, known keys and bulk insert.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from attendance.models import Enrollment
from core import emails, outbox
from core.models import OutgoingEmail
from notifications.emails import (
    SUBJECT_MAX_LENGTH,
    Moment,
    RenderedEmail,
    _clock,
    _meridiem,
    footer,
)
from sections.calendars import one_line
from sections.models import Meeting

KIND = emails.kind("reminder", "reminders the day before each meeting")
KEY_PREFIX = "reminder:"
# How late a reminder may still go out after its time (a planner that did not run meanwhile).
STALE_AFTER = datetime.timedelta(hours=6)
# The longest a reminder can come before its meeting: the day before at 0:00 for a meeting at
# 23:59, plus an hour when the clocks go back between the two. The planner's query looks no
# further ahead than this.
LONGEST_LEAD = datetime.timedelta(hours=50)


def reminder_time(meeting) -> datetime.datetime | None:
    """When `meeting`'s members are reminded (in UTC): the day before its local date, at its
    term's reminder hour in the term's time zone. None for a meeting without a date.

    Wall-clock time, so DST-correct: 18:00 local on both sides of a change. An hour that does
    not exist that day (2:00 on the day the clocks go forward) is taken as the hour after it;
    an hour that comes twice (1:00 when they go back), as the first."""
    if meeting.starts_at is None:
        return None
    term = meeting.section.term
    day = meeting.starts_at.astimezone(term.tz).date() - datetime.timedelta(days=1)
    local = datetime.datetime.combine(day, datetime.time(term.reminder_hour), tzinfo=term.tz)
    return local.astimezone(datetime.UTC)


def is_due(meeting, now) -> bool:
    """Is `now` within the window in which `meeting`'s reminder is sent?"""
    when = reminder_time(meeting)
    if when is None or meeting.is_cancelled:
        return False
    return when <= now < meeting.starts_at and now - when <= STALE_AFTER


def key_for(meeting_id, member_id):
    return f"{KEY_PREFIX}{meeting_id}:{member_id}"


def absolute(path):
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class ReadingLine:
    title: str
    authors: str
    year: int | None
    optional: bool
    note: str
    url: str


def render_reminder(meeting) -> RenderedEmail:
    """The reminder of `meeting` (with `section.term`, `week` and `week.readings` loaded)."""
    section = meeting.section
    term = section.term
    week = meeting.week
    week.term = term  # for its URL
    moment = Moment(meeting.state(), term.tz, term.time_zone)
    start = moment.start
    at = f"{_clock(start)} {_meridiem(start)} {start.tzname()}"
    subject = f"Tomorrow: {section.name} — Week {week.number}: {week.title}, {at}, {meeting.room}"
    subject = Truncator(one_line(subject)).chars(SUBJECT_MAX_LENGTH)
    readings = [
        ReadingLine(
            title=reading.paper.title,
            authors=reading.paper.authors,
            year=reading.paper.year,
            optional=reading.kind == reading.Kind.OPTIONAL,
            note=reading.note,
            url=reading.paper.primary_url,
        )
        for reading in sorted(week.readings.all(), key=lambda r: r.kind != r.Kind.REQUIRED)
    ]
    context = {
        "subject": subject,
        "group": term.title,
        "term": term,
        "section": section,
        "week": week,
        "meeting": meeting,
        "date": moment.date,
        "time": moment.time,
        "readings": readings,
        "week_url": absolute(meeting.get_absolute_url()),
        "cant_come_url": absolute(reverse("members:cant-come", kwargs={"pk": meeting.pk})),
        "settings_url": absolute(reverse("members:me") + "#email-settings"),
        **footer(term, "reminders the day before each meeting"),
    }
    return RenderedEmail(
        subject=subject,
        text=render_to_string("notifications/email/reminder.txt", context),
        html=render_to_string("notifications/email/reminder.html", context),
    )


@transaction.atomic
def queue_due_reminders(*, now) -> list[OutgoingEmail]:
    """Queue the reminders due at `now` that are not queued yet; returns the rows stored."""
    meetings = [
        meeting
        for meeting in Meeting.objects.for_calendar()
        .select_for_update(of=("self",))
        .filter(
            status=Meeting.Status.SCHEDULED,
            section__term__is_published=True,
            starts_at__gt=now,
            starts_at__lte=now + LONGEST_LEAD,
        )
        .order_by("starts_at", "pk")
        if is_due(meeting, now)
    ]
    if not meetings:
        return []
    members = {}  # section id -> [(member id, email)]
    for section_id, member_id, email in (
        Enrollment.objects.filter(section__in={meeting.section_id for meeting in meetings})
        .exclude(member__email="")
        .order_by("section_id", "member_id")
        .values_list("section_id", "member_id", "member__email")
    ):
        members.setdefault(section_id, []).append((member_id, email))
    messages = []
    for meeting in meetings:
        audience = members.get(meeting.section_id)
        if not audience:
            continue
        email = render_reminder(meeting)
        messages.extend(
            outbox.Message(
                key=key_for(meeting.pk, member_id),
                kind=KIND,
                to=address,
                subject=email.subject,
                text=email.text,
                html=email.html,
                headers={"From": emails.sender(meeting.section.term.title)},
                send_after=now,
            )
            for member_id, address in audience
        )
    return outbox.queue_many(messages)


def withdraw_unsent_reminders(*, meeting, before) -> int:
    """Delete `meeting`'s reminders that the worker has not tried yet (it locks a row while it
    sends it: this waits for it). Called in the transaction of a change to the meeting, which
    was `before` (a MeetingState) until then, or of its deletion. No query for a meeting that
    was further off than any reminder is sent ahead, or long past: most changes are made days
    ahead, and deleting an old term deletes many meetings."""
    now = timezone.now()
    if before.starts_at is None or not (
        now - LONGEST_LEAD < before.starts_at <= now + LONGEST_LEAD
    ):
        return 0
    unsent = list(
        OutgoingEmail.objects.select_for_update()
        .filter(
            key__startswith=f"{KEY_PREFIX}{meeting.pk}:",
            state=OutgoingEmail.State.PENDING,
            attempts=0,
        )
        .values_list("pk", flat=True)
    )
    if not unsent:
        return 0
    deleted, _ = OutgoingEmail.objects.filter(pk__in=unsent).delete()
    return deleted
