"""The outbox: every email the site sends is first a row of `OutgoingEmail`.

Callers queue rendered messages inside the transaction of the change they tell of (a service's
`@transaction.atomic`), never send from a request:

    outbox.queue(key=f"join:{token}", kind="join", to=email, subject=..., text=..., html=...)

- Nothing twice: `key` is unique; queueing a key again returns None and stores nothing.
- Nothing lost: the row commits with the change; a worker sends due rows (send_after <= now):
  when the transaction commits, the worker is woken for the earliest of them (core/tasks.py).
  Nothing is sent if it rolls back.
- Nothing unwanted: an address that opted out of a `kind` (EmailOptOut) is not queued, and
  opting out cancels what of that kind still waits to be sent to it.

Queueing many (500 members told of one change) costs a bounded number of queries: one for the
opt-outs, one for the keys already queued, one bulk insert; and, once it commits, two to wake the
worker (one to see whether a wake-up already waits, one to enqueue it).

A pending row may be changed or cancelled until it is sent (the worker locks it and checks it is
still pending). Whoever moves a row's send_after earlier calls `deliver_at(when)` so that the
worker wakes in time; later needs nothing (the worker wakes at the earliest pending row).
Messages are rendered with core/emails.py (`compose`).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.models import EmailOptOut, OutgoingEmail


@dataclass(frozen=True)
class Message:
    key: str
    kind: str
    to: str
    subject: str
    text: str
    html: str = ""
    headers: dict = field(default_factory=dict)
    send_after: datetime | None = None


def normal_address(email):
    return email.strip().lower()


def opted_out(emails, kind):
    """The addresses among `emails` that asked for no `kind` email (lower-cased)."""
    wanted = {normal_address(email) for email in emails}
    return set(
        EmailOptOut.objects.filter(kind=kind, email__in=wanted).values_list("email", flat=True)
    )


def queue_many(messages) -> list[OutgoingEmail]:
    """Store the messages not yet queued (by key) whose address did not opt out of their kind."""
    messages = [message for message in messages if message.to]
    if not messages:
        return []
    refused = set()
    for kind in {message.kind for message in messages}:
        refused |= {(kind, email) for email in opted_out((m.to for m in messages), kind)}
    keys = [message.key for message in messages]
    known = set(OutgoingEmail.objects.filter(key__in=keys).values_list("key", flat=True))
    now = timezone.now()
    rows, seen = [], set()
    for message in messages:
        if message.key in known or message.key in seen:
            continue
        if (message.kind, normal_address(message.to)) in refused:
            continue
        seen.add(message.key)
        rows.append(
            OutgoingEmail(
                key=message.key,
                kind=message.kind,
                to=message.to,
                subject=message.subject,
                text=message.text,
                html=message.html,
                headers=message.headers,
                send_after=message.send_after or now,
            )
        )
    # A key queued by a concurrent transaction since the look-up above is skipped, not an error.
    OutgoingEmail.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        deliver_at(min(row.send_after for row in rows))
    return rows


def queue(**fields) -> OutgoingEmail | None:
    """Queue one message (the keyword arguments of `Message`); None when not stored."""
    stored = queue_many([Message(**fields)])
    return stored[0] if stored else None


def deliver_at(when):
    """Wake the worker at `when` once the current transaction commits (at once outside one).
    A failure to wake it is logged, never raised: the change has committed, and the worker's
    sweep when it starts sends what it finds due."""
    from core import tasks  # core.tasks sends what this module queues

    def wake_the_worker():  # (a function, not a partial: a robust callback's error names it)
        tasks.wake(when)

    transaction.on_commit(wake_the_worker, robust=True)


@transaction.atomic
def opt_out(*, email, kind):
    """Stop `kind` email to `email`, including what of it still waits to be sent."""
    email = normal_address(email)
    EmailOptOut.objects.get_or_create(email=email, kind=kind)
    OutgoingEmail.objects.filter(
        state=OutgoingEmail.State.PENDING, kind=kind, to__iexact=email
    ).update(state=OutgoingEmail.State.CANCELLED)


def opt_in(*, email, kind):
    EmailOptOut.objects.filter(email=normal_address(email), kind=kind).delete()
