"""The outbox's worker side: the task that sends due email, and the wake-ups that run it.

The task engine is django-tasks with django-tasks-db's database backend (settings.TASKS): a
task enqueued is a row, and `manage.py email_worker` (django-tasks-db's `db_worker`, plus a
sweep when it starts) runs it. Nothing here runs inside a web request.

- `send_due_email` sends every pending message whose send_after has come, each in its own
  transaction: the row is locked (skipping rows another worker holds, on PostgreSQL; SQLite lets
  one writer in at a time), checked to be still pending (a change notice may have cancelled or
  rewritten it), sent through Django's email API on one SMTP connection for the whole batch, and
  marked sent. A worker killed half-way leaves the message it was sending pending: its
  transaction never committed. Then the task wakes itself for the next message not yet due.
- An SMTP error, or no connection: the try is counted, the error kept and the message waits
  settings.OUTBOX_RETRY_DELAYS[try - 1] seconds; after the last delay it is kept as failed.
- `wake(at)` enqueues the task to run at `at` unless a wake-up already waits for then or
  earlier. The outbox calls it when its transaction commits (outbox.queue_many); anything that
  moves a pending message's send_after earlier must call it too (outbox.deliver_at).
"""

import datetime
import logging
import smtplib

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from core import emails
from core.models import OutgoingEmail

logger = logging.getLogger(__name__)

# Sent by `manage.py email_worker` as it starts, before it runs any task: apps with periodic
# work (notifications' reminders) start it here, so a worker killed half-way through picks it
# up again. Receivers get no arguments but `sender`.
worker_started = Signal()

# After an unexpected error (the database away), the task tries again this much later.
AFTER_CRASH = datetime.timedelta(minutes=1)


class ConnectionFailed(Exception):
    """The SMTP server could not be reached or dropped the connection: the batch stops."""


@task()
def send_due_email():
    """Send what is due; then wake for the next message not due yet. Returns the counts."""
    started = timezone.now()
    try:
        counts, stopped_until = send_due(started)
    except Exception:
        wake(timezone.now() + AFTER_CRASH)
        raise
    if stopped_until is not None:
        wake(stopped_until)  # the SMTP server is away: everything due waits for the retry
    else:
        next_due = (
            OutgoingEmail.objects.filter(state=OutgoingEmail.State.PENDING)
            .order_by("send_after")
            .values_list("send_after", flat=True)
            .first()
        )
        if next_due is not None:
            # Due but not sent in this batch: locked by another worker (whose batch takes it) or
            # by a change in progress; looked at again a second later.
            wake(max(next_due, started + datetime.timedelta(seconds=1)))
    return counts


def send_due(started):
    """Send every message due at `started`, one transaction each. Returns the counts
    {"sent", "retrying", "failed"} and, when the SMTP server could not be reached, the time
    the batch stopped until (else None)."""
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    stopped_until = None
    connection = get_connection(fail_silently=False)
    try:
        while stopped_until is None:
            with transaction.atomic():
                row = OutgoingEmail.objects.due(started).select_for_update(skip_locked=True).first()
                if row is None:
                    break
                try:
                    send_one(row, connection)
                except ConnectionFailed as error:
                    counts[record_failure(row, error)] += 1
                    stopped_until = retry_time(row)
                    logger.warning(
                        "Email %s: %s; sending stops until %s.", row.key, error, stopped_until
                    )
                except Exception as error:
                    counts[record_failure(row, error)] += 1
                else:
                    row.state = OutgoingEmail.State.SENT
                    row.sent_at = timezone.now()
                    row.attempts += 1
                    row.save(update_fields=["state", "sent_at", "attempts"])
                    counts["sent"] += 1
    finally:
        connection.close()
    if any(counts.values()):
        logger.info("Outbox: %(sent)d sent, %(retrying)d to retry, %(failed)d failed.", counts)
    return counts, stopped_until


def send_one(row, connection):
    """Send one message on the batch's connection, opened at the first message and kept open.
    A connection the server dropped since the last message is opened again once."""
    message = emails.build(row, connection)
    for last_chance in (False, True):
        try:
            fresh = connection.open()
        except Exception as error:
            connection.close()
            raise ConnectionFailed(describe_error(error)) from error
        try:
            connection.send_messages([message])
            return
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            raise  # the server answered: it refused this message; the connection is fine
        except OSError as error:  # dropped, reset, timed out
            connection.close()
            if fresh or last_chance:
                raise ConnectionFailed(describe_error(error)) from error


def retry_time(row):
    if row.state == OutgoingEmail.State.PENDING:
        return row.send_after
    return timezone.now() + datetime.timedelta(seconds=(settings.OUTBOX_RETRY_DELAYS or [60])[0])


def describe_error(error):
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"SMTP {error.smtp_code}: {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: SMTP {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in error.recipients.items()
        )
    if isinstance(error, ConnectionFailed):
        return str(error)
    return f"{type(error).__name__}: {error}"


def record_failure(row, error):
    """Count the try and keep the error; wait for the next retry, or give up after the last.
    Returns "retrying" or "failed"."""
    delays = settings.OUTBOX_RETRY_DELAYS
    row.attempts += 1
    row.last_error = describe_error(error)[:2000]
    if row.attempts <= len(delays):
        row.send_after = timezone.now() + datetime.timedelta(seconds=delays[row.attempts - 1])
        outcome = "retrying"
        logger.warning(
            "Email %s not sent, retried at %s: %s", row.key, row.send_after, row.last_error
        )
    else:
        row.state = OutgoingEmail.State.FAILED
        outcome = "failed"
        logger.error("Email %s to %s failed for good: %s", row.key, row.to, row.last_error)
    row.save(update_fields=["attempts", "last_error", "send_after", "state"])
    return outcome


def wake(at=None):
    """Have a worker run send_due_email at `at` (now by default), unless a wake-up that has
    not started yet already waits for then or earlier (it will see everything committed)."""
    now = timezone.now()
    at = max(at or now, now)
    backend = send_due_email.get_backend()
    if isinstance(backend, DatabaseBackend):
        waiting = DBTaskResult.objects.filter(
            backend_name=backend.alias,
            task_path=send_due_email.module_path,
            status=TaskResultStatus.READY,
            run_after__lte=at,
        )
        if waiting.exists():
            return None
    return send_due_email.using(run_after=at).enqueue()
