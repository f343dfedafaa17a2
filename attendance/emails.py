"""The emails members get, in plain text and HTML, queued in the outbox (core/outbox.py) with the
request's work and sent by the worker (docs/email.md), from the group's name. Subjects name no
one; bodies show stored names only, never what a stranger typed into a form (a join request's
name goes to the confirmation page, not into an email to someone else's inbox)."""

import secrets

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core import emails, outbox
from sections.models import Meeting
from syllabus.models import Term

SIGN_IN = emails.kind("sign-in", "sign-in links")
JOIN = emails.kind("join", "emails that confirm joining a section")
WAITING_LIST = emails.kind("waiting-list", "emails about a section's waiting list")


def _queue(*, kind, url, to, subject, template, context, term):
    # The key stands for this one request: a digest of its link (secret, so not stored as it
    # is) and a nonce, as two requests in the same second are given the same link.
    key = f"{kind}:{emails.digest(url)}:{secrets.token_hex(4)}"
    outbox.queue_many(
        [
            emails.compose(
                key=key,
                kind=kind,
                to=to,
                subject=subject,
                template=template,
                context={**context, "url": url, "site_name": settings.SITE_NAME},
                group_name=term.title if term else "",
            )
        ]
    )


def _minutes(delta):
    return int(delta.total_seconds() // 60)


def send_sign_in_link(*, member, url):
    _queue(
        kind=SIGN_IN,
        url=url,
        to=member.email,
        subject=f"Your sign-in link for {settings.SITE_NAME}",
        template="attendance/email/sign_in_link",
        context={
            "member": member,
            "minutes": _minutes(settings.SESAME_MAX_AGE),
            "days": settings.MEMBER_SESSION_AGE.days,
        },
        term=Term.objects.current(),
    )


def send_join_confirmation(*, email, section, url):
    _queue(
        kind=JOIN,
        url=url,
        to=email,
        subject=f"Confirm joining the {section.name} section",
        template="attendance/email/join_confirmation",
        context={"section": section, "days": settings.JOIN_CONFIRMATION_MAX_AGE.days},
        term=section.term,
    )


def send_waiting_list_confirmation(*, email, section, url):
    _queue(
        kind=WAITING_LIST,
        url=url,
        to=email,
        subject=f"Confirm joining the waiting list of the {section.name} section",
        template="attendance/email/waiting_list_confirmation",
        context={"section": section, "days": settings.JOIN_CONFIRMATION_MAX_AGE.days},
        term=section.term,
    )


def send_place_opened(*, member, section):
    """A place opened in `section` and `member`, first on its waiting list, is in it now.
    Queued with the enrolment (often outside any request): the link uses settings.SITE_URL."""
    meeting = (
        Meeting.objects.filter(section=section, starts_at__gt=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("week", "section__term")
        .order_by("starts_at", "pk")
        .first()
    )
    _queue(
        kind=WAITING_LIST,
        url=settings.SITE_URL + reverse("members:me"),
        to=member.email,
        subject=f"A place opened in the {section.name} section",
        template="attendance/email/place_opened",
        context={"member": member, "section": section, "meeting": meeting},
        term=section.term,
    )
