"""Members sign in with a one-time link sent by email (django-sesame): /signin/ and the link."""

import datetime
import re
import time
import types

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils.html import escape

from attendance.models import LinkRequest, Member
from tests.factories import MemberFactory, UserFactory
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db

LINK = re.compile(r"^(http://testserver/signin/link/\?sesame=\S+)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def _email_configured(settings):
    settings.EMAIL_CONFIGURED = True


@pytest.fixture
def ada(db):
    return MemberFactory(name="Ada Lovelace", email="Ada@Example.edu")


def ask_for_link(client, email, **extra):
    return client.post("/signin/", {"email": email}, **extra)


def link_in(message):
    (url,) = LINK.findall(message.body)
    return url


def use_link(client, url):
    """Open the link (a page with a button), then press the button, as a browser does."""
    page = client.get(url)
    assert page.status_code == 200
    token = url.split("sesame=", 1)[1]
    assert page.context["token"] == token
    return client.post("/signin/link/", {"sesame": token})


def test_a_member_gets_a_link_that_signs_them_in_for_thirty_days(client, ada):
    response = ask_for_link(client, "ada@example.EDU")

    assert response.status_code == 200
    assert "attendance/sign_in_sent.html" in [t.name for t in response.templates]
    (message,) = delivered()
    assert message.to == ["Ada@Example.edu"]
    assert message.subject == "Your sign-in link for Reading group"
    ((html, mimetype),) = message.alternatives  # the same, as HTML
    assert mimetype == "text/html"
    assert f'<a href="{escape(link_in(message))}"' in html
    assert "<p>Hello Ada Lovelace,</p>" in html
    assert message.body.startswith("Hello Ada Lovelace,\n\nOpen this link to sign in to")
    assert (
        "It works once, for 15 minutes, and keeps you signed in on that browser for 30 days."
        in message.body
    )
    signed_in = use_link(client, link_in(message))

    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/me/"
    ada.refresh_from_db()
    assert ada.user is not None
    assert (ada.user.username, ada.user.email, ada.user.first_name) == (
        f"member-{ada.pk}",
        "Ada@Example.edu",
        "Ada Lovelace",
    )
    assert not ada.user.has_usable_password()
    assert client.session.get_expiry_age() == 30 * 24 * 3600
    assert client.get("/me/").context["member"] == ada


def test_the_link_works_once(client, ada):
    ask_for_link(client, ada.email)
    url = link_in(delivered()[0])
    assert use_link(client, url).status_code == 302

    other_browser = Client()
    again = use_link(other_browser, url)

    assert again.status_code == 400
    assert "This link no longer works" in again.content.decode()
    assert "_auth_user_id" not in other_browser.session


def test_the_link_expires_after_fifteen_minutes(client, ada, monkeypatch):
    ask_for_link(client, ada.email)
    url = link_in(delivered()[0])
    later = time.time() + 15 * 60 + 5
    monkeypatch.setattr("sesame.tokens_v2.time", types.SimpleNamespace(time=lambda: later))

    response = use_link(client, url)

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_opening_the_link_signs_no_one_in_until_the_button_is_pressed(client, ada):
    ask_for_link(client, ada.email)
    url = link_in(delivered()[0])

    client.get(url)  # a mail scanner checking the link
    client.get(url)

    assert "_auth_user_id" not in client.session
    assert use_link(client, url).status_code == 302


def test_a_forged_or_missing_token_is_refused(client, ada):
    assert client.post("/signin/link/", {"sesame": "x" * 30}).status_code == 400
    assert client.post("/signin/link/", {}).status_code == 400
    assert client.get("/signin/link/").status_code == 400
    assert client.post("/signin/link/", {"sesame": "x" * 5000}).status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_lead_who_is_a_member_signs_in_as_their_own_account(client, ada):
    lead = UserFactory(username="lead")
    ada.user = lead
    ada.save()

    ask_for_link(client, ada.email)
    use_link(client, link_in(delivered()[0]))

    assert int(client.session["_auth_user_id"]) == lead.pk
    lead.refresh_from_db()
    assert lead.check_password("correct horse battery staple")
    assert get_user_model().objects.count() == 1


def test_the_link_works_with_login_throttling_on(client, settings, ada):
    settings.AXES_ENABLED = True
    ask_for_link(client, ada.email)

    response = use_link(client, link_in(delivered()[0]))

    assert response.status_code == 302
    assert client.get("/me/").context["member"] == ada


def test_known_and_unknown_addresses_get_the_same_answer_and_strangers_no_email(client, ada):
    known = ask_for_link(client, "ada@example.edu")
    unknown = ask_for_link(client, "eve@example.edu")

    assert (known.status_code, unknown.status_code) == (200, 200)
    assert known.content.decode().replace("ada@example.edu", "ADDRESS") == (
        unknown.content.decode().replace("eve@example.edu", "ADDRESS")
    )
    assert [m.to for m in delivered()] == [["Ada@Example.edu"]]
    assert get_user_model().objects.count() == 1  # Ada's; none for the stranger


def test_five_links_an_hour_per_address_known_or_not(client, ada):
    for email in ["ada@example.edu", "eve@example.edu"]:
        answers = [ask_for_link(client, email).status_code for _ in range(6)]
        assert answers == [200, 200, 200, 200, 200, 429]
    refused = ask_for_link(client, "ADA@example.edu")

    assert refused.context["form"].errors == {
        "email": [
            "Too many links were asked for this address or from your network in the last "
            "hour. Try again later."
        ]
    }
    assert len(delivered()) == 5


def test_an_hour_later_the_address_gets_links_again(client, ada):
    for _ in range(6):
        ask_for_link(client, ada.email)
    LinkRequest.objects.update(created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))

    assert ask_for_link(client, ada.email).status_code == 200
    assert LinkRequest.objects.count() == 1  # the old requests are gone


def test_twenty_links_an_hour_per_client_address(client, ada):
    answers = [
        ask_for_link(client, f"person{n}@example.edu", REMOTE_ADDR="10.0.0.1").status_code
        for n in range(21)
    ]
    elsewhere = ask_for_link(client, ada.email, REMOTE_ADDR="10.0.0.2")

    assert answers == [200] * 20 + [429]
    assert elsewhere.status_code == 200
    assert len(delivered()) == 1


def test_the_throttle_is_counted_in_the_database_not_a_process(client, ada):
    for _ in range(5):
        ask_for_link(client, ada.email)

    from django.core.cache import cache

    cache.clear()
    assert ask_for_link(Client(), ada.email).status_code == 429
    assert LinkRequest.objects.exclude(email_key="").count() == 6
    assert not LinkRequest.objects.filter(email_key__icontains="ada").exists()


def test_a_bad_address_gets_an_error_next_to_the_field_and_nothing_is_sent(client, ada):
    response = ask_for_link(client, "not an address")

    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["Enter a valid email address."]}
    html = response.content.decode()
    assert 'id="error_1_id_email"' in html or "invalid-feedback" in html
    assert delivered() == []
    assert LinkRequest.objects.count() == 0


def test_without_email_the_page_says_to_ask_a_lead(client, settings, ada):
    settings.EMAIL_CONFIGURED = False

    response = ask_for_link(client, ada.email)

    assert response.status_code == 200
    assert "This site cannot send email yet" in response.content.decode()
    assert delivered() == []


def test_a_name_with_markup_is_plain_text_in_the_email(client):
    MemberFactory(name="<b>Bea</b> & co", email="bea@example.edu")

    ask_for_link(client, "bea@example.edu")

    assert delivered()[0].body.startswith("Hello <b>Bea</b> & co,\n")


def test_asking_for_a_link_runs_a_fixed_number_of_queries(client, ada, django_assert_num_queries):
    # Queueing the email: the current term (the sender's name), the address's opt-out, the key,
    # the insert. (Waking the worker when it commits takes two more, outside this test's
    # transaction.)
    with django_assert_num_queries(16):
        ask_for_link(client, ada.email)
    with django_assert_num_queries(13):  # the member's account exists now
        ask_for_link(client, ada.email)
    assert Member.objects.get().user is not None
