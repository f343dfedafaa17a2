"""`manage.py email_worker`: django-tasks-db's `db_worker`, which first enqueues a sweep.

A worker killed half-way through a batch leaves its task "running" in the database for ever
(django-tasks-db never runs a task twice), and the messages it had not sent pending. The sweep
(send_due_email, due now) sends them as soon as the new worker starts, with nothing to do by
hand. Then `core.tasks.worker_started` lets other apps start their periodic tasks (the
reminders). Every option of `db_worker` works here too (see --help).
"""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from core import tasks


class Command(db_worker.Command):
    help = (
        "Send the outbox's email (and run any other task): db_worker, after enqueueing a sweep "
        "for what a stopped worker left unsent."
    )

    def handle(self, *args, **options):
        # With --reload (the default under DEBUG) this runs twice, in the watching process and
        # in the worker it starts; the worker sweeps.
        if not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            tasks.wake()
            tasks.worker_started.send(sender=self.__class__)
        super().handle(*args, **options)
