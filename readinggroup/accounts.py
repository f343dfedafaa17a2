"""Accounts made from the command line (organizers, section leads): one shared step, and the
log-in with the one-time password it prints."""

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from readinggroup.models import OneTimePassword

# Set in the session of a log-in with a one-time password; PasswordChangeRequiredMiddleware
# sends every page to the password change while it is there.
MUST_CHANGE_PASSWORD = "readinggroup.must_change_password"


@transaction.atomic
def issue_account(*, username, email="", first_name="", last_name="", is_staff=None):
    """Create the user (or take over an existing one), activate it and give it a new random
    one-time password: the first log-in with it must choose the user's own before anything
    else. Returns (user, created, password); the password is shown once and never stored in
    the clear. `is_staff=None` leaves an existing user's staff flag as it is."""
    user, created = get_user_model().objects.get_or_create(username=username)
    for field, value in (("email", email), ("first_name", first_name), ("last_name", last_name)):
        if value:
            setattr(user, field, value)
    if is_staff is not None:
        user.is_staff = is_staff
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.is_active = True
    user.save()
    OneTimePassword.objects.update_or_create(user=user, defaults={"issued_at": timezone.now()})
    return user, created, password


def flag_one_time_password(sender, request, user, **kwargs):
    """On log-in (the user_logged_in signal): remember in the session whether the password
    used was a one-time one, so that other requests need no query to know."""
    if request is not None and OneTimePassword.objects.filter(user=user).exists():
        request.session[MUST_CHANGE_PASSWORD] = True
