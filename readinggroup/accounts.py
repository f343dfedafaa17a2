"""Accounts made from the command line (organizers, section leads): one shared step."""

import secrets

from django.contrib.auth import get_user_model


def issue_account(*, username, email="", first_name="", last_name="", is_staff=None):
    """Create the user (or take over an existing one), activate it and give it a new random
    password. Returns (user, created, password); the password is shown once and never stored
    in the clear. `is_staff=None` leaves an existing user's staff flag as it is."""
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
    return user, created, password
