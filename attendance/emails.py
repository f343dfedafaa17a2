"""The emails members get, plain text, sent through Django's email API (so the email issue
changes only how they are delivered). Subjects name no one; bodies show stored names only, never
what a stranger typed into a form (a join request's name goes to the confirmation page, not
into an email to someone else's inbox)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from sections.calendars import one_line


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
