"""The worker's periodic work for notifications: planning the reminders that have come due.

`plan_reminders` runs `reminders.queue_due_reminders` (idempotent: keys make each reminder
once) and enqueues itself again PLAN_EVERY later, a chain that `manage.py email_worker` starts
when it starts (`core.tasks.worker_started`): a worker killed in the middle starts it again.
The queued reminders wake the sender as any outbox message does. A reminder is therefore queued
at most PLAN_EVERY after its time (docs/notifications.md).
"""

import datetime

from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from notifications.reminders import queue_due_reminders

PLAN_EVERY = datetime.timedelta(minutes=5)


@task()
def plan_reminders():
    """Queue the reminders due now; run again PLAN_EVERY later. Returns how many were queued."""
    try:
        return len(queue_due_reminders(now=timezone.now()))
    finally:
        schedule(at=timezone.now() + PLAN_EVERY)


def schedule(*, at=None, **kwargs):
    """Have a worker run plan_reminders at `at` (now by default), unless a run waits already."""
    backend = plan_reminders.get_backend()
    if isinstance(backend, DatabaseBackend):
        waiting = DBTaskResult.objects.filter(
            backend_name=backend.alias,
            task_path=plan_reminders.module_path,
            status=TaskResultStatus.READY,
        )
        if waiting.exists():
            return None
    return plan_reminders.using(run_after=at or timezone.now()).enqueue()
