import pytest

from core import emails
from tests.smtp import smtp_server


@pytest.fixture
def smtp(settings):
    """Django's SMTP backend pointed at a real SMTP server (aiosmtpd) on a free loopback port,
    two retries without delay; yields the server's inbox."""
    with smtp_server() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.DEFAULT_FROM_EMAIL = "readinggroup@example.edu"
        settings.OUTBOX_RETRY_DELAYS = [0, 0]
        yield inbox


def sign_in_message(
    number=1, *, name="Ada Lovelace", to=None, kind="sign-in", send_after=None, group_name=""
):
    """A sign-in email for the outbox, as attendance/emails.py renders it (`kind` may be
    another, for tests of opting out of one kind)."""
    return emails.compose(
        key=f"{kind}:test-{number}",
        kind=kind,
        to=to or f"member{number}@example.edu",
        subject="Your sign-in link for Reading group",
        template="attendance/email/sign_in_link",
        context={
            "member": {"name": name},
            "url": f"http://testserver/signin/link/?sesame=token{number}",
            "minutes": 15,
            "days": 30,
            "site_name": "Reading group",
        },
        group_name=group_name,
        send_after=send_after,
    )
