"""The reminders' planning chain (notifications/tasks.py): it queues what is due, runs again five
minutes later, starts with every worker, and never doubles itself."""

import datetime

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from core.models import OutgoingEmail
from core.tasks import worker_started
from notifications.tasks import PLAN_EVERY, plan_reminders
from tests.mailbox import delivered
from tests.notifications.test_reminders import REMINDER, meeting_on

pytestmark = pytest.mark.django_db


def waiting_runs():
    """run_after of every plan_reminders run waiting for a worker."""
    return list(
        DBTaskResult.objects.filter(
            task_path=plan_reminders.module_path, status=TaskResultStatus.READY
        ).values_list("run_after", flat=True)
    )


@pytest.fixture
def meeting(clock):
    clock.now = REMINDER
    return meeting_on(datetime.date(2022, 11, 16), datetime.time(18))


def test_a_run_queues_the_due_reminders_and_comes_back_five_minutes_later(meeting):
    assert plan_reminders.call() == 1

    assert list(OutgoingEmail.objects.values_list("kind", "to")) == [
        ("reminder", "ada@example.edu")
    ]
    assert waiting_runs() == [REMINDER + PLAN_EVERY]


def test_a_starting_worker_starts_the_chain_once(meeting):
    worker_started.send(sender=None)
    worker_started.send(sender=None)  # a second worker: the run already waiting will do

    assert waiting_runs() == [REMINDER]


def test_reminders_and_change_notices_come_from_the_groups_name(meeting):
    plan_reminders.call()

    (message,) = delivered()
    assert message.extra_headers["From"].startswith(f"{meeting.section.term.title} <")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
