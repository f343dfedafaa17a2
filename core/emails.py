"""What every email the site sends looks like (docs/email.md).

- `compose()` renders a kind's two templates, `<template>.txt` and `<template>.html`, which extend
  `email/base.txt` and `email/base.html` (the group's name and the unsubscribe link at the foot),
  into an `outbox.Message` to queue. The HTML has inline styles and no remote images.
- Every message goes out from the group's name at DEFAULT_FROM_EMAIL, with a Message-ID made from
  its outbox key (the same on every try, so a receiver can tell a repeat) and a one-click
  unsubscribe link for its kind (RFC 8058: `List-Unsubscribe` and `List-Unsubscribe-Post`).
- Unsubscribing is per address and kind. The link carries both, signed, and never expires.
  Apps name their kinds with `kind()`, which says what unsubscribing from one stops.
"""

import hashlib
from email.utils import formataddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from core.outbox import Message, normal_address

UNSUBSCRIBE_SALT = "core.emails.unsubscribe"

# kind → what unsubscribing from it stops, in words ("sign-in links").
KINDS: dict[str, str] = {}


def kind(name, description):
    """Name a kind of email and say what unsubscribing from it stops; returns `name`."""
    KINDS[name] = description
    return name


def describe(kind_name):
    return KINDS.get(kind_name) or f"emails of the kind “{kind_name}”"


def one_line(text):
    """A subject on one line (a header cannot hold a line break)."""
    return " ".join(str(text).split())


def sender(group_name=""):
    """`"The Science of Deep Learning" <readinggroup@example.edu>`: the group's name (else the
    site's) at DEFAULT_FROM_EMAIL. Django encodes a name that is not ASCII when it sends."""
    return formataddr((one_line(group_name or settings.SITE_NAME), settings.DEFAULT_FROM_EMAIL))


def unsubscribe_token(*, email, kind):
    """The same for an address and kind every time (no date in it: it never expires)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([normal_address(email), kind])


def read_unsubscribe_token(token):
    """(email, kind) from a token; raises signing.BadSignature for anything else."""
    value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise signing.BadSignature("Not an unsubscribe token.")
    return value[0], value[1]


def unsubscribe_url(*, email, kind):
    token = unsubscribe_token(email=email, kind=kind)
    return settings.SITE_URL + reverse("core:unsubscribe", kwargs={"token": token})


def message_id(key):
    """The Message-ID of the message queued with `key`: the same on every try."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def digest(text):
    """A short stand-in for a secret in an outbox key (a key is shown in the admin)."""
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def compose(*, key, kind, to, subject, template, context, group_name="", send_after=None):
    """Render `template`.txt and .html with `context` into a Message for `outbox.queue_many`.

    The templates also get `group_name` (else the site's name), `unsubscribe_url` and
    `unsubscribes_from` (what that link stops)."""
    context = {
        **context,
        "group_name": group_name or settings.SITE_NAME,
        "unsubscribe_url": unsubscribe_url(email=to, kind=kind),
        "unsubscribes_from": describe(kind),
        "subject": one_line(subject),
    }
    return Message(
        key=key,
        kind=kind,
        to=to,
        subject=one_line(subject),
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
        headers={"From": sender(group_name)},
        send_after=send_after,
    )


def build(row, connection=None):
    """The EmailMultiAlternatives for an OutgoingEmail row: its text, its HTML as the
    alternative part, and the headers every message carries."""
    headers = {
        "From": sender(),
        "Message-ID": message_id(row.key),
        "List-Unsubscribe": f"<{unsubscribe_url(email=row.to, kind=row.kind)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        **row.headers,
    }
    message = EmailMultiAlternatives(
        subject=one_line(row.subject),
        body=row.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to],
        headers=headers,
        connection=connection,
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    return message
