"""Every email's HTML, and the unsubscribe page, are valid HTML (the W3C Nu checker)."""

import pytest
from django.contrib.auth import get_user_model

from syllabus.models import Term
from tests.factories import MemberFactory, this_monday
from tests.html_checker import html_errors
from tests.mailbox import delivered

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_every_email_and_the_unsubscribe_page_are_valid_html(client, settings, fall2022, tmp_path):
    settings.EMAIL_CONFIGURED = True
    MemberFactory(name="Ada <Lovelace> & co", email="ada@example.edu")
    lead = get_user_model().objects.get(username="emichaud")
    lead.email = "lead@example.edu"
    lead.set_password("a password to reset")
    lead.save()
    client.post("/signin/", {"email": "ada@example.edu"})
    # A term that has ended takes no one: Fall 2022 runs now, for the join confirmation.
    Term.objects.filter(pk=fall2022.pk).update(first_monday=this_monday())
    client.post(
        "/terms/fall-2022/sections/friday/join/",
        {"name": "Bea", "email": "bea@example.edu", "affiliation": ""},
    )
    client.post("/accounts/password_reset/", {"email": "lead@example.edu"})
    messages = delivered()
    unsubscribe = messages[0].extra_headers["List-Unsubscribe"].strip("<>")

    pages = {message.subject: message.alternatives[0].content for message in messages}
    pages["unsubscribe page"] = client.get(unsubscribe).content.decode()

    assert sorted(pages) == [
        "Choose a new password",
        "Confirm joining the Friday section",
        "Your sign-in link for Reading group",
        "unsubscribe page",
    ]
    assert html_errors(pages, tmp_path) == {name: [] for name in pages}
