"""The email worker as it runs in production: `manage.py email_worker` in its own process, on a
fresh database (SQLite file, or a new database on the PostgreSQL server the suite runs
against), sending to a real SMTP server (aiosmtpd) on a free loopback port.

Nothing lost, nothing twice: a worker killed while the SMTP server receives message 201 of 500
is restarted and sends the other 300, each message once; refused messages are retried by the
worker itself; two workers at once send each message once; a rolled-back change sends nothing.
The timings printed here are the ones in docs/email.md (run with -s to see them).
"""

import collections
import json
import subprocess
import time

import pytest
from django.conf import settings as django_settings

from core.emails import message_id
from tests.servers import PYTHON, ROOT, fresh_database, manage, production_env, shell, wait_for
from tests.smtp import parts, smtp_server

pytestmark = pytest.mark.slow

FROM = "readinggroup@example.edu"
ON_POSTGRESQL = django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

QUEUE = """
import json, time
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from core import emails, outbox
messages = [
    emails.compose(
        key=f"notice:{{n}}", kind="notice", to=f"member{{n}}@example.edu",
        subject=f"Message {{n}}", template="attendance/email/sign_in_link",
        context={{"member": {{"name": f"Member {{n}}"}}, "url": f"http://testserver/{{n}}/",
                 "minutes": 15, "days": 30, "site_name": "Reading group"}},
        group_name="The Science of Deep Learning",
    )
    for n in range({first}, {first} + {count})
]
started = time.perf_counter()
with CaptureQueriesContext(connection) as everything:
    with transaction.atomic(), CaptureQueriesContext(connection) as queueing:
        outbox.queue_many(messages)
print(json.dumps({{"queue": len(queueing), "with_transaction_and_wake_up": len(everything),
                  "seconds": time.perf_counter() - started}}))
"""

STATES = """
import json
from django.db.models import Count
from core.models import OutgoingEmail
print(json.dumps(dict(OutgoingEmail.objects.values_list("state").annotate(Count("pk")))))
"""


class Worker:
    """`manage.py email_worker` in its own process, polling every 0.1 s when idle."""

    def __init__(self, env, log_path):
        self.log_path = log_path
        self.log = open(log_path, "a")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", "email_worker", "--no-reload", "--no-startup-delay",
             "--interval", "0.1"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def site(tmp_path):
    """A migrated fresh database and an SMTP server; the environment a worker runs with."""
    with fresh_database(tmp_path) as database_url, smtp_server() as (inbox, port):
        env = {
            **production_env(database_url),
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "DJANGO_DEFAULT_FROM_EMAIL": FROM,
            "READINGGROUP_SITE_URL": "http://testserver",
            "DJANGO_EMAIL_RETRY_DELAYS": "0,0",
        }
        manage(env, "migrate", "--noinput", "-v0")
        workers = []

        def start_worker():
            workers.append(Worker(env, tmp_path / "worker.log"))
            return workers[-1]

        try:
            yield env, inbox, start_worker
        finally:
            for worker in workers:
                worker.stop()


def printed(env, code):
    """The last line `code` printed in `manage.py shell` (the shell's own notice comes first)."""
    return shell(env, code).strip().splitlines()[-1]


def queue(env, count, first=0, then=""):
    """Queue `count` rendered messages in one transaction (then run the code `then`); returns
    the queries it took and its time."""
    return json.loads(printed(env, QUEUE.format(first=first, count=count) + "\n" + then))


def states(env):
    return json.loads(printed(env, STATES))


def expected_ids(settings, keys):
    settings.DEFAULT_FROM_EMAIL = FROM
    return {message_id(key) for key in keys}


def received_ids(inbox):
    return collections.Counter(message["Message-ID"] for message in inbox.messages())


def test_a_worker_sends_500_messages_each_once_with_both_parts(site, settings):
    env, inbox, start_worker = site
    queued = queue(env, 500)
    started = time.perf_counter()

    start_worker()
    messages = inbox.wait_for(500)

    seconds = time.perf_counter() - started
    assert received_ids(inbox) == collections.Counter(
        expected_ids(settings, [f"notice:{n}" for n in range(500)])
    )
    wait_for(lambda: states(env) == {"sent": 500}, "the worker to mark 500 messages sent")
    first = next(m for m in messages if m["To"] == "member0@example.edu")
    assert str(first["From"]) == f"The Science of Deep Learning <{FROM}>"
    assert first["Subject"] == "Message 0"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(first)
    assert text.startswith("Hello Member 0,\n")
    assert "<p>Hello Member 0,</p>" in html
    assert queued["queue"] == 3  # opt-outs, keys already queued, one insert
    span = inbox.times[-1] - inbox.times[0]
    print(
        f"\n[email] queue 500: {queued}; the worker sends 500 in {seconds:.2f} s from its start, "
        f"{span:.2f} s from the first message to the last"
    )


def test_a_worker_killed_at_message_201_is_restarted_and_sends_the_rest_each_once(site, settings):
    env, inbox, start_worker = site
    queue(env, 500)
    started = time.perf_counter()
    worker = start_worker()
    inbox.kill_at(201, worker.process.pid)

    wait_for(lambda: worker.process.poll() is not None, "the SMTP server to kill the worker")
    killed = time.perf_counter()
    assert inbox.count() == 200
    assert states(env) == {"sent": 200, "pending": 300}
    restarted = time.perf_counter()
    start_worker()  # nothing else: its sweep finds what the first left
    inbox.wait_for(500)

    seconds = time.perf_counter() - started
    assert inbox.seen == 501  # message 201 twice: once to the killed worker (not accepted)
    assert received_ids(inbox) == collections.Counter(
        expected_ids(settings, [f"notice:{n}" for n in range(500)])
    )
    wait_for(lambda: states(env) == {"sent": 500}, "the worker to mark 500 messages sent")
    print(
        f"\n[email] 500 with a kill at 201 and a restart: {seconds:.2f} s from the first start; "
        f"200 sent {killed - started:.2f} s after it; the second worker sent the other 300 "
        f"{inbox.times[-1] - restarted:.2f} s after its start"
        f" ({inbox.times[-1] - inbox.times[200]:.2f} s from its first message to its last)"
    )


def test_the_worker_retries_a_refused_message_by_itself_and_counts_the_tries(site):
    env, inbox, start_worker = site
    inbox.refuse(2)
    start_worker()

    queue(env, 1)
    (message,) = inbox.wait_for(1)

    assert inbox.seen == 3
    assert message["To"] == "member0@example.edu"
    rows = printed(
        env,
        "from core.models import OutgoingEmail\n"
        "print(list(OutgoingEmail.objects.values_list('state', 'attempts', 'last_error')))",
    )
    assert rows == "[('sent', 3, 'SMTP 451: Try again later')]"


def test_a_rolled_back_change_sends_nothing(site):
    env, inbox, start_worker = site
    start_worker()

    shell(
        env,
        "from django.db import transaction\n"
        "from core import outbox\n"
        "try:\n"
        "    with transaction.atomic():\n"
        "        outbox.queue(key='rolled-back', kind='notice', to='a@example.edu',\n"
        "                     subject='Rolled back', text='No.')\n"
        "        raise RuntimeError\n"
        "except RuntimeError:\n"
        "    pass\n"
        "outbox.queue(key='committed', kind='notice', to='b@example.edu',\n"
        "             subject='Committed', text='Yes.')\n",
    )
    (message,) = inbox.wait_for(1)

    assert message["Subject"] == "Committed"
    assert states(env) == {"sent": 1}


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL (row locks skipped by the other worker); .ci/run runs it there",
)
def test_two_workers_at_once_send_each_message_once(site, settings):
    env, inbox, start_worker = site
    start_worker()
    start_worker()
    # The outbox wakes one worker; wake the other too, so that both send the batch at once.
    queued = queue(env, 500, then="from core.tasks import send_due_email\nsend_due_email.enqueue()")

    inbox.wait_for(500)

    assert received_ids(inbox) == collections.Counter(
        expected_ids(settings, [f"notice:{n}" for n in range(500)])
    )
    wait_for(lambda: states(env) == {"sent": 500}, "the workers to mark 500 messages sent")
    batches = json.loads(
        printed(
            env,
            "import json\nfrom django_tasks_db.models import DBTaskResult\n"
            "print(json.dumps([[r.worker_ids, r.return_value['sent']] for r in "
            "DBTaskResult.objects.filter(status='SUCCESSFUL', "
            "task_path='core.tasks.send_due_email') if r.return_value['sent']]))",
        )
    )
    assert sum(sent for _, sent in batches) == 500
    assert len({tuple(worker) for worker, _ in batches}) == 2, batches  # both took part
    print(f"\n[email] two workers: {queued}; batches {batches}")
