"""The outbox: every email the site sends is first a row of `OutgoingEmail`.

Callers queue rendered messages inside the transaction of the change they tell of (a service's
`@transaction.atomic`), never send from a request:

    outbox.queue(key=f"join:{token}", kind="join", to=email, subject=..., text=..., html=...)

- Nothing twice: `key` is unique; queueing a key again returns None and stores nothing.
- Nothing lost: the row commits with the change; a worker sends due rows (send_after <= now).
- Nothing unwanted: an address that opted out of a `kind` (EmailOptOut) is not queued.

Queueing many (500 members told of one change) costs a bounded number of queries: one for the
opt-outs, one for the keys already queued, one bulk insert.
"""

from dataclasses import dataclass, field
from datetime import datetime

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
    return rows


def queue(**fields) -> OutgoingEmail | None:
    """Queue one message (the keyword arguments of `Message`); None when not stored."""
    stored = queue_many([Message(**fields)])
    return stored[0] if stored else None


def opt_out(*, email, kind):
    EmailOptOut.objects.get_or_create(email=normal_address(email), kind=kind)


def opt_in(*, email, kind):
    EmailOptOut.objects.filter(email=normal_address(email), kind=kind).delete()
