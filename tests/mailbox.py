"""Email as members receive it, in tests: pages only queue it in the outbox (core/outbox.py)."""

from django.core import mail

from core.tasks import send_due_email


def delivered():
    """Deliver the outbox as the worker does, by running its send task here and now through
    the test email backend, and return every message sent so far (`mail.outbox`). A test that
    does not commit its transaction wakes no worker, and none runs during the tests."""
    send_due_email.call()
    return mail.outbox
