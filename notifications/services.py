"""Telling a section's members that one of its meetings was cancelled, moved or restored.

`note_meeting_change` runs inside the transaction of the change (a receiver of
`sections.signals.meeting_changed`), with the meeting's row locked by the service that changed
it: two changes to one meeting are never noted at once. It writes outbox rows (core/outbox.py)
that the delivery worker sends once their `send_after` has passed, so until then they may be
rewritten or cancelled here:

- the first change opens a notice and queues one message per member of the section with an
  email address (opt-outs of "meeting-change" excepted), due MEETING_CHANGE_EMAIL_DELAY later;
- a further change while none of the notice's messages has gone out rewrites them with the
  final state (one UPDATE: every member gets the same text), adding members who joined since and
  cancelling those who left;
- a change that brings the meeting back as it was when the notice opened cancels them all
  (the notice is withdrawn): nothing is sent;
- a change after the messages went out opens a new notice;
- `notify=False` opens no notice and queues nothing. A notice already open is kept true: its
  messages, which go out anyway, are rewritten with the meeting as it now is (or cancelled, if
  it is back as it was): mailing members a time or room that no longer holds would be worse
  than telling them of a change the lead did not announce. docs/notifications.md says why.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone

from attendance.models import Enrollment, Member
from core import emails, outbox
from core.models import EmailOptOut, OutgoingEmail
from notifications.emails import render_meeting_change
from notifications.models import MeetingChangeNotice
from sections.models import MeetingState

KIND = emails.kind(
    "meeting-change", "emails when a meeting of your section is cancelled, moved or restored"
)
# A message the worker has tried (sent, failed, or being retried) has gone out, for all we know.
_GONE = (OutgoingEmail.State.SENT, OutgoingEmail.State.FAILED)


def _not_opted_out():
    return ~Exists(EmailOptOut.objects.filter(kind=KIND, email=Lower(OuterRef("member__email"))))


def audience(section) -> dict[int, str]:
    """Member id -> email of everyone a change to `section`'s meetings is emailed to: its
    members with an email address who did not opt out. One query."""
    enrolled = (
        Enrollment.objects.filter(section=section)
        .exclude(member__email="")
        .filter(_not_opted_out())
    )
    return dict(
        Member.objects.filter(pk__in=enrolled.values("member_id"))
        .order_by("pk")
        .values_list("pk", "email")
    )


def count_audience(meetings) -> int:
    """How many emails a change to each of `meetings` sends (a member of two of their sections
    counts twice: they get one email per meeting). One query."""
    sections = {meeting.section_id for meeting in meetings}
    if not sections:
        return 0
    per_section = dict(
        Enrollment.objects.filter(section_id__in=sections)
        .exclude(member__email="")
        .filter(_not_opted_out())
        .values("section_id")
        .annotate(members=Count("pk"))
        .values_list("section_id", "members")
    )
    return sum(per_section.get(meeting.section_id, 0) for meeting in meetings)


def _is_open(notice, messages, now):
    """None of the notice's messages has gone out, and some are still to go (or its time has
    not come yet: members who join before then are added)."""
    if any(m.state in _GONE or m.attempts for m in messages):
        return False
    return now < notice.send_after or any(m.state == OutgoingEmail.State.PENDING for m in messages)


@transaction.atomic
def note_meeting_change(
    *, meeting, before: MeetingState, after: MeetingState, notify: bool, now=None
) -> MeetingChangeNotice | None:
    """Open, rewrite or withdraw the notice of changes to `meeting` (see the module's text).
    Returns the notice that tells of this change, or None when nothing will."""
    now = now or timezone.now()
    notice = MeetingChangeNotice.objects.latest_for(meeting)
    if notice is not None:
        # Wait for the worker if it is sending one of them, then see what went out.
        messages = list(
            OutgoingEmail.objects.select_for_update()
            .filter(key__startswith=notice.key_prefix)
            .only("key", "to", "state", "attempts")
            .order_by("send_after", "pk")
        )
        if _is_open(notice, messages, now):
            if after == notice.before:
                _withdraw(notice, messages, now)
                return None
            _rewrite(notice, messages, meeting=meeting, after=after)
            return notice
    if not notify or after == before:
        return None
    notice = MeetingChangeNotice.objects.create(
        meeting=meeting,
        before_starts_at=before.starts_at,
        before_ends_at=before.ends_at,
        before_room=before.room,
        before_status=before.status,
        before_public_note=before.public_note,
        opened_at=now,
        send_after=now + settings.MEETING_CHANGE_EMAIL_DELAY,
    )
    _rewrite(notice, [], meeting=meeting, after=after)
    return notice


def _withdraw(notice, messages, now):
    pending = [m.pk for m in messages if m.state == OutgoingEmail.State.PENDING]
    if pending:
        OutgoingEmail.objects.filter(pk__in=pending).update(state=OutgoingEmail.State.CANCELLED)
    notice.withdrawn_at = now
    notice.save(update_fields=["withdrawn_at"])


def _rewrite(notice, messages, *, meeting, after):
    """Make the notice's messages say `after`, to the section's audience as it is now."""
    email = render_meeting_change(meeting=meeting, before=notice.before, after=after)
    wanted = {
        notice.key_for(member): address for member, address in audience(meeting.section).items()
    }
    stored = {m.key: m for m in messages}
    keep = [m.pk for m in messages if m.key in wanted]
    drop = [
        m.pk for m in messages if m.key not in wanted and m.state == OutgoingEmail.State.PENDING
    ]
    if keep:
        OutgoingEmail.objects.filter(pk__in=keep).update(
            state=OutgoingEmail.State.PENDING,
            subject=email.subject,
            text=email.text,
            html=email.html,
        )
    moved = [m for m in messages if m.key in wanted and m.to != wanted[m.key]]
    for message in moved:  # a member who changed their address since: rare
        message.to = wanted[message.key]
    if moved:
        OutgoingEmail.objects.bulk_update(moved, ["to"])
    if drop:
        OutgoingEmail.objects.filter(pk__in=drop).update(state=OutgoingEmail.State.CANCELLED)
    outbox.queue_many(
        outbox.Message(
            key=key,
            kind=KIND,
            to=address,
            subject=email.subject,
            text=email.text,
            html=email.html,
            headers={"From": emails.sender(meeting.section.term.title)},
            send_after=notice.send_after,
        )
        for key, address in wanted.items()
        if key not in stored
    )


def withdraw_notices(*, meeting):
    """`meeting` is being deleted (with its week or section): what was still to be sent about
    it is not sent (its notices go with it)."""
    prefixes = [notice.key_prefix for notice in MeetingChangeNotice.objects.filter(meeting=meeting)]
    if not prefixes:
        return 0
    match = Q()
    for prefix in prefixes:
        match |= Q(key__startswith=prefix)
    return OutgoingEmail.objects.filter(match, state=OutgoingEmail.State.PENDING).update(
        state=OutgoingEmail.State.CANCELLED
    )
