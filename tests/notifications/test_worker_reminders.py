"""Reminders as they go out in production: `manage.py email_worker` in its own process plans the
reminders that are due as it starts and sends them to a real SMTP server (aiosmtpd)."""

import pytest

from tests.core.test_worker import FROM, printed, site  # noqa: F401 - `site` is a fixture

pytestmark = pytest.mark.slow

# A meeting tomorrow evening whose term reminds at the present hour: its reminder is due now
# (and less than an hour late, whatever the time of day the test runs).
SETUP = """
import datetime, zoneinfo
from django.utils import timezone
from tests.notifications.test_reminders import meeting_on
now = timezone.now().astimezone(zoneinfo.ZoneInfo("America/New_York"))
tomorrow = now.date() + datetime.timedelta(days=1)
meeting = meeting_on(tomorrow, datetime.time(20), reminder_hour=now.hour)
print(meeting.section.term.title)
"""


def test_a_starting_worker_sends_the_reminders_that_are_due(site):  # noqa: F811
    env, inbox, start_worker = site
    title = printed(env, SETUP)

    start_worker()

    (message,) = inbox.wait_for(1)
    assert message["To"] == "ada@example.edu"
    assert message["From"] == f"{title} <{FROM}>"
    # (Django folds a subject that is not ASCII onto a second line: unfolded, it starts with a
    # space, which mail programs do not show)
    subject = str(message["Subject"]).strip()
    assert subject.startswith("Tomorrow: Section ")
    assert ", 8:00 pm E" in subject
