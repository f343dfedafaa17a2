import secrets

from django.contrib.auth import forms as auth_forms
from django.urls import reverse

from core import emails, outbox
from syllabus.models import Term

PASSWORD_RESET = emails.kind("password-reset", "password reset links")


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's password reset, its email queued in the outbox (plain text and HTML, from the
    group's name) rather than sent inside the request."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        path = reverse(
            "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        url = f"{context['protocol']}://{context['domain']}{path}"
        term = Term.objects.current()
        outbox.queue(
            **vars(
                emails.compose(
                    key=f"{PASSWORD_RESET}:{emails.digest(url)}:{secrets.token_hex(4)}",
                    kind=PASSWORD_RESET,
                    to=to_email,
                    subject="Choose a new password",
                    template="registration/email/password_reset",
                    context={"url": url, "user": context["user"]},
                    group_name=term.title if term else "",
                )
            )
        )
