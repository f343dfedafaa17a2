"""Two transactions at once, on PostgreSQL: the helper behind the tests that two requests
racing for one row (a section's last place, a new member's email) never break a rule."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL (row locks and two connections); .ci/run runs it there",
)


def both_at_once(first, second, *, timeout=10):
    """Run `first` in a transaction held open while `second` runs in another thread on its own
    connection, then commit `first`. Returns ({"first": …, "second": …}, blocked): what each
    returned (or the exception it raised), and whether `second` was still waiting half a second
    after it started (for a lock `first` holds) rather than racing past it."""
    started, release = threading.Event(), threading.Event()
    outcomes = {}

    def run_first():
        try:
            with transaction.atomic():
                outcomes["first"] = first()
                started.set()
                release.wait(timeout)  # hold the transaction (and its locks) open
        except Exception as error:  # reported as the outcome
            outcomes["first"] = error
        finally:
            started.set()
            connection.close()

    def run_second():
        try:
            outcomes["second"] = second()
        except Exception as error:
            outcomes["second"] = error
        finally:
            connection.close()

    one = threading.Thread(target=run_first)
    one.start()
    assert started.wait(timeout)
    two = threading.Thread(target=run_second)
    two.start()
    time.sleep(0.5)
    blocked = two.is_alive()
    release.set()
    one.join(timeout)
    two.join(timeout)
    return outcomes, blocked
