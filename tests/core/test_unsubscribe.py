"""One-click unsubscribe (RFC 8058) per kind of email, from the link every email carries."""

import re

import pytest

from core import emails, outbox
from core.models import EmailOptOut, OutgoingEmail
from core.tasks import send_due_email
from tests.core.conftest import sign_in_message
from tests.hostile import STORED_HTML, STORED_HTML_ESCAPED
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db

ONE_CLICK = "application/x-www-form-urlencoded"


def unsubscribe_path(message):
    """The path of a received message's List-Unsubscribe link, checked against its footer."""
    (url,) = re.findall(r"^<(http://testserver/\S+)>$", message["List-Unsubscribe"].strip())
    assert f'<a href="{url}"' in message.get_body(preferencelist=("html",)).get_content()
    return url.removeprefix("http://testserver")


def test_a_one_click_post_unsubscribes_from_that_kind_only(smtp, client):
    outbox.queue_many([sign_in_message(1, to="Ada@Example.edu"), sign_in_message(2)])
    send_due_email.call()
    ada_message = next(m for m in smtp.messages() if m["To"] == "Ada@Example.edu")
    path = unsubscribe_path(ada_message)

    # What a mail client sends (RFC 8058): a POST with this body, no cookie, no CSRF token.
    response = client.post(path, "List-Unsubscribe=One-Click", content_type=ONE_CLICK)

    assert response.status_code == 200
    assert list(EmailOptOut.objects.values_list("email", "kind")) == [
        ("ada@example.edu", "sign-in")
    ]
    stored = outbox.queue_many(
        [
            sign_in_message(3, to="ada@example.edu"),
            sign_in_message(4, to="ada@example.edu", kind="join"),
            sign_in_message(5),
        ]
    )
    assert [m.key for m in stored] == ["join:test-4", "sign-in:test-5"]


def test_unsubscribing_cancels_what_of_that_kind_waits_to_be_sent(client):
    outbox.queue_many(
        [
            sign_in_message(1, to="ada@example.edu"),
            sign_in_message(2, to="ADA@example.edu"),
            sign_in_message(3, to="ada@example.edu", kind="join"),
        ]
    )
    token = emails.unsubscribe_token(email="ada@example.edu", kind="sign-in")

    client.post(f"/email/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})

    assert sorted(OutgoingEmail.objects.values_list("key", "state")) == [
        ("join:test-3", "pending"),
        ("sign-in:test-1", "cancelled"),
        ("sign-in:test-2", "cancelled"),
    ]
    assert [m.to for m in delivered()] == [["ada@example.edu"]]


def test_the_link_shows_a_button_and_what_it_stops_and_changes_nothing_until_pressed(client):
    outbox.queue_many([sign_in_message(1, to="ada@example.edu")])
    (message,) = delivered()
    path = message.extra_headers["List-Unsubscribe"].strip("<>").removeprefix("http://testserver")

    page = client.get(path)

    content = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Unsubscribe</h1>" in content
    assert (
        "Stop sending sign-in links to <strong>ada@example.edu</strong>? Other emails from the "
        "group still come, and this page can turn these back on." in content
    )
    assert '<button type="submit" class="btn btn-primary">Unsubscribe</button>' in content
    assert not EmailOptOut.objects.exists()

    pressed = client.post(path, {"action": "unsubscribe"})

    assert "<h1>Unsubscribed</h1>" in pressed.content.decode()
    assert (
        "Done: <strong>ada@example.edu</strong> gets no more sign-in links"
        in pressed.content.decode()
    )

    again = client.post(path, {"action": "resubscribe"})

    assert "Done: <strong>ada@example.edu</strong> gets sign-in links" in again.content.decode()
    assert not EmailOptOut.objects.exists()


def test_a_kind_no_app_named_is_described_by_its_name(client):
    token = emails.unsubscribe_token(email="ada@example.edu", kind=STORED_HTML)

    content = client.get(f"/email/unsubscribe/{token}/").content.decode()

    assert f"Stop sending emails of the kind “{STORED_HTML_ESCAPED}”" in content


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        emails.unsubscribe_token(email="ada@example.edu", kind="sign-in") + "x",
        # Well formed, with a signature that is not the site's.
        "WyJhZGFAZXhhbXBsZS5lZHUiLCJzaWduLWluIl0:1q2w3e4r5t6y7u8i9o0p",
    ],
)
def test_a_link_the_site_did_not_make_is_a_404_and_changes_nothing(client, token):
    response = client.post(f"/email/unsubscribe/{token}/", "List-Unsubscribe=One-Click", ONE_CLICK)

    assert response.status_code == 404
    assert not EmailOptOut.objects.exists()


def test_the_token_is_the_same_for_an_address_whatever_its_case_and_never_expires():
    token = emails.unsubscribe_token(email=" Ada@Example.EDU", kind="join")

    assert token == emails.unsubscribe_token(email="ada@example.edu", kind="join")
    assert token.count(":") == 1  # the value and its signature, no timestamp
    assert emails.read_unsubscribe_token(token) == ("ada@example.edu", "join")
