"""The outbox's send task, in this process, through a real SMTP server (aiosmtpd) or Django's
test backend: what arrives, retries with backoff, giving up, wake-ups, cancelled rows."""

import datetime
import re
from email.utils import parseaddr

import pytest
from django.core import mail
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.html import escape
from django_tasks.base import TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from core import emails, outbox
from core.models import OutgoingEmail
from core.tasks import send_due_email
from tests.core.conftest import sign_in_message
from tests.factories import MemberFactory, build_term
from tests.hostile import STORED_HTML, STORED_HTML_ESCAPED
from tests.mailbox import delivered
from tests.smtp import parts, smtp_server

pytestmark = pytest.mark.django_db

GROUP = "Science of Deep Learning, MIT — Fall"


def sign_in_email(number=1, **fields):
    return sign_in_message(number, group_name=GROUP, **fields)


def test_an_email_arrives_with_both_parts_from_the_group_with_its_unsubscribe_headers(smtp, client):
    outbox.queue_many([sign_in_email(name=STORED_HTML)])

    send_due_email.call()

    ((sender, recipients, message),) = smtp.envelopes
    assert (sender, recipients) == ("readinggroup@example.edu", ["member1@example.edu"])
    assert message["From"].addresses[0].display_name == GROUP
    assert message["From"].addresses[0].addr_spec == "readinggroup@example.edu"
    # The name is not ASCII and has a comma: encoded, not split into two addresses.
    raw_from = message.get_all("From")[0]
    assert len(message.get_all("From")) == 1
    assert parseaddr(str(raw_from))[1] == "readinggroup@example.edu"
    assert message["To"] == "member1@example.edu"
    assert message["Subject"] == "Your sign-in link for Reading group"
    assert message["Message-ID"] == emails.message_id("sign-in:test-1")
    (unsubscribe,) = re.findall(
        r"^<(http://testserver/email/unsubscribe/[^/]+/)>$", message["List-Unsubscribe"].strip()
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert text.startswith(f"Hello {STORED_HTML},\n\nOpen this link to sign in to Reading group:")
    assert f"To stop sign-in links, open: {unsubscribe}" in text
    assert f"<p>Hello {STORED_HTML_ESCAPED},</p>" in html
    assert STORED_HTML not in html
    assert '<a href="http://testserver/signin/link/?sesame=token1"' in html
    assert f'<a href="{unsubscribe}"' in html
    assert "<img" not in html
    page = client.get(unsubscribe.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert "Stop sending sign-in links" in page.content.decode()
    row = OutgoingEmail.objects.get()
    assert (row.state, row.attempts, row.sent_at is not None) == ("sent", 1, True)


def test_the_message_id_is_the_same_on_every_try(smtp):
    smtp.refuse(1)
    outbox.queue_many([sign_in_email()])

    send_due_email.call()
    send_due_email.call()

    assert smtp.seen == 2
    ((_, _, message),) = smtp.envelopes
    assert message["Message-ID"] == emails.message_id("sign-in:test-1")
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.edu>", message["Message-ID"])


def test_a_refused_email_is_retried_after_the_delays_and_sent_on_the_third_try(smtp, settings):
    settings.OUTBOX_RETRY_DELAYS = [60, 300, 1800]
    smtp.refuse(2)
    outbox.queue_many([sign_in_email()])
    row = OutgoingEmail.objects.get()
    tries = []

    for _ in range(3):
        before = timezone.now()
        send_due_email.call()
        row.refresh_from_db()
        tries.append((row.state, row.attempts, row.last_error))
        if row.state == "pending":
            delay = settings.OUTBOX_RETRY_DELAYS[row.attempts - 1]
            assert before + datetime.timedelta(seconds=delay) <= row.send_after
            assert row.send_after <= timezone.now() + datetime.timedelta(seconds=delay)
            # Not due yet: a worker woken now sends nothing.
            send_due_email.call()
            assert smtp.seen == row.attempts
            OutgoingEmail.objects.filter(pk=row.pk).update(send_after=timezone.now())

    assert tries == [
        ("pending", 1, "SMTP 451: Try again later"),
        ("pending", 2, "SMTP 451: Try again later"),
        ("sent", 3, "SMTP 451: Try again later"),
    ]
    assert len(smtp.envelopes) == 1


def test_an_email_that_always_fails_is_kept_as_failed_after_the_last_retry(smtp):
    smtp.refuse(100)
    outbox.queue_many([sign_in_email(), sign_in_email(2)])

    for _ in range(4):
        send_due_email.call()

    assert sorted(OutgoingEmail.objects.values_list("key", "state", "attempts")) == [
        ("sign-in:test-1", "failed", 3),
        ("sign-in:test-2", "failed", 3),
    ]
    assert smtp.seen == 6
    assert smtp.envelopes == []


def test_without_an_smtp_server_the_batch_stops_and_waits_for_the_retry(settings):
    with smtp_server() as (_, port):
        pass  # the port is free again: nothing listens
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.OUTBOX_RETRY_DELAYS = [60]
    outbox.queue_many([sign_in_email(n) for n in range(1, 4)])
    started = timezone.now()

    send_due_email.call()

    rows = OutgoingEmail.objects.order_by("key")
    assert [(r.state, r.attempts) for r in rows] == [("pending", 1), ("pending", 0), ("pending", 0)]
    assert "ConnectionRefusedError" in rows[0].last_error
    (wake,) = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert wake.run_after == rows[0].send_after
    assert wake.run_after >= started + datetime.timedelta(seconds=60)


def test_a_pending_email_cancelled_or_rewritten_before_it_is_due_is_sent_as_it_is_then():
    outbox.queue_many([sign_in_email(1), sign_in_email(2)])
    OutgoingEmail.objects.filter(key="sign-in:test-1").update(state="cancelled")
    OutgoingEmail.objects.filter(key="sign-in:test-2").update(subject="Changed")

    sent = delivered()

    assert [(m.to, m.subject) for m in sent] == [(["member2@example.edu"], "Changed")]
    assert OutgoingEmail.objects.get(key="sign-in:test-1").state == "cancelled"


def test_an_email_not_due_yet_waits_and_the_worker_is_woken_for_it(
    django_capture_on_commit_callbacks,
):
    later = timezone.now() + datetime.timedelta(minutes=10)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.queue_many([sign_in_email(1, send_after=later)])

    assert delivered() == []
    (wake,) = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert wake.run_after == later
    assert wake.task_path == "core.tasks.send_due_email"


def test_queueing_wakes_the_worker_once_when_the_change_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        outbox.queue_many([sign_in_email(1)])
        assert not DBTaskResult.objects.exists()  # not before it commits
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.queue_many([sign_in_email(2)])  # the first wake-up has not run: it covers this

    assert len(callbacks) == 1
    (wake,) = DBTaskResult.objects.all()
    assert (wake.status, wake.run_after <= timezone.now()) == (TaskResultStatus.READY, True)
    assert [m.to for m in delivered()] == [["member1@example.edu"], ["member2@example.edu"]]


def change_that_fails():
    with transaction.atomic():
        outbox.queue_many([sign_in_email(1)])
        raise RuntimeError("the change failed")


def test_a_rolled_back_change_sends_nothing_and_wakes_no_one(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        change_that_fails()

    assert callbacks == []
    assert delivered() == []
    assert not OutgoingEmail.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.parametrize("count", [1, 3])
def test_sending_takes_a_fixed_number_of_queries_per_message(count, django_assert_num_queries):
    outbox.queue_many([sign_in_email(n) for n in range(count)])

    # Per message its transaction (here a savepoint), the locked look-up and the update; then
    # the look-up that finds no more, and the one for the next pending message (none).
    with django_assert_num_queries(4 * count + 3 + 1):
        send_due_email.call()

    assert len(mail.outbox) == count


def test_the_sign_in_email_names_the_group_as_sender(client, settings):
    settings.EMAIL_CONFIGURED = True
    build_term(title="The Science of Deep Learning")
    MemberFactory(email="ada@example.edu")

    client.post("/signin/", {"email": "ada@example.edu"})

    (message,) = delivered()
    assert message.extra_headers["From"] == "The Science of Deep Learning <webmaster@localhost>"
    assert OutgoingEmail.objects.get().kind == "sign-in"
    assert escape(message.subject) in message.alternatives[0].content


@pytest.mark.django_db(transaction=True)
def test_a_page_that_queues_email_works_when_the_worker_cannot_be_woken(
    client, settings, monkeypatch, caplog
):
    settings.EMAIL_CONFIGURED = True
    MemberFactory(email="ada@example.edu")

    def task_table_gone(*args, **kwargs):
        raise OperationalError("no such table: django_tasks_database_dbtaskresult")

    monkeypatch.setattr(DatabaseBackend, "enqueue", task_table_gone)

    response = client.post("/signin/", {"email": "ada@example.edu"})

    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert OutgoingEmail.objects.get().state == "pending"  # the worker's sweep sends it
    assert "no such table: django_tasks_database_dbtaskresult" in caplog.text
