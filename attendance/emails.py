"""The emails members get, plain text, sent through Django's email API (so the email issue
changes only how they are delivered). Subjects name no one; bodies show stored names only, never
what a stranger typed into a form (a join request's name goes to the confirmation page, not
into an email to someone else's inbox)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from sections.calendars import one_line
from sections.models import Meeting


def _send(*, to, subject, template, context):
    body = render_to_string(template, context)
    send_mail(one_line(subject), body, settings.DEFAULT_FROM_EMAIL, [to])


def _minutes(delta):
    return int(delta.total_seconds() // 60)


def send_sign_in_link(*, member, url):
    _send(
        to=member.email,
        subject=f"Your sign-in link for {settings.SITE_NAME}",
        template="attendance/email/sign_in_link.txt",
        context={
            "member": member,
            "url": url,
            "minutes": _minutes(settings.SESAME_MAX_AGE),
            "days": settings.MEMBER_SESSION_AGE.days,
            "site_name": settings.SITE_NAME,
        },
    )


def send_join_confirmation(*, email, section, url):
    _send(
        to=email,
        subject=f"Confirm joining the {section.name} section",
        template="attendance/email/join_confirmation.txt",
        context={
            "section": section,
            "url": url,
            "days": settings.JOIN_CONFIRMATION_MAX_AGE.days,
            "site_name": settings.SITE_NAME,
        },
    )


def send_waiting_list_confirmation(*, email, section, url):
    _send(
        to=email,
        subject=f"Confirm joining the waiting list of the {section.name} section",
        template="attendance/email/waiting_list_confirmation.txt",
        context={
            "section": section,
            "url": url,
            "days": settings.JOIN_CONFIRMATION_MAX_AGE.days,
            "site_name": settings.SITE_NAME,
        },
    )


def send_place_opened(*, member, section):
    """A place opened in `section` and `member`, first on its waiting list, is in it now.
    Sent after the enrolment commits (outside any request): the links use settings.SITE_URL."""
    meeting = (
        Meeting.objects.filter(section=section, starts_at__gt=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("week", "section__term")
        .order_by("starts_at", "pk")
        .first()
    )
    _send(
        to=member.email,
        subject=f"A place opened in the {section.name} section",
        template="attendance/email/place_opened.txt",
        context={
            "member": member,
            "section": section,
            "meeting": meeting,
            "me_url": settings.SITE_URL + reverse("members:me"),
            "site_name": settings.SITE_NAME,
        },
    )
