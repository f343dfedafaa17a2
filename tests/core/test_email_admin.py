"""Organizers see the outbox in the admin: what failed and why, and send it again."""

import math

import pytest
from django.contrib.auth.models import Permission

from core import outbox
from core.models import EmailOptOut, OutgoingEmail
from core.tasks import send_due_email
from tests.core.conftest import sign_in_message
from tests.factories import UserFactory
from tests.hostile import STORED_HTML, STORED_HTML_ESCAPED, STORED_HTML_LIVE

pytestmark = pytest.mark.django_db

LIST = "/admin/core/outgoingemail/"


def test_an_email_that_always_fails_is_shown_to_organizers_and_try_again_sends_it(
    smtp, client, organizer
):
    smtp.refuse(math.inf, to="member1@example.edu")
    outbox.queue_many([sign_in_message(1), sign_in_message(2)])
    for _ in range(3):
        send_due_email.call()
    client.force_login(organizer)

    failed = client.get(LIST, {"state__exact": "failed"})

    (row,) = failed.context["cl"].result_list
    assert (row.key, row.state, row.attempts) == ("sign-in:test-1", "failed", 3)
    content = failed.content.decode()
    for cell in ["member1@example.edu", "sign-in", "Failed (gave up)", "SMTP 451: Try again later"]:
        assert cell in content
    assert [m["To"] for m in smtp.messages()] == ["member2@example.edu"]

    response = client.post(
        LIST, {"action": "try_again", "_selected_action": [row.pk, row.pk + 1]}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        "1 failed email will be sent again. 1 not failed, left as they are."
    ]
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 0)
    smtp.refuse(0, to="member1@example.edu")
    send_due_email.call()
    assert [m["To"] for m in smtp.messages()] == ["member2@example.edu", "member1@example.edu"]
    assert OutgoingEmail.objects.get(pk=row.pk).state == "sent"


def test_the_list_filters_by_state_and_kind_and_searches_address_and_subject(client, organizer):
    outbox.queue_many(
        [
            sign_in_message(1, to="ada@example.edu"),
            sign_in_message(2, to="bea@example.edu", kind="join"),
        ]
    )
    client.force_login(organizer)

    def keys(**query):
        return [r.key for r in client.get(LIST, query).context["cl"].result_list]

    assert keys(kind="join") == ["join:test-2"]
    assert keys(state__exact="pending", kind="sign-in") == ["sign-in:test-1"]
    assert keys(q="bea@") == ["join:test-2"]
    assert keys(q="sign-in link") == ["sign-in:test-1", "join:test-2"]


def test_an_email_is_shown_read_only_with_its_bodies_escaped(client, organizer):
    outbox.queue_many([sign_in_message(1, name=STORED_HTML)])
    row = OutgoingEmail.objects.get()
    client.force_login(organizer)

    page = client.get(f"{LIST}{row.pk}/change/")
    content = page.content.decode()

    assert page.status_code == 200
    assert STORED_HTML_LIVE not in content
    assert STORED_HTML_ESCAPED in content  # the text body, as text
    assert escape_twice("<p>Hello ") in content  # the HTML body, as its source
    assert page.context["adminform"].form.fields == {}  # nothing to edit
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutgoingEmail.objects.count() == 1


def escape_twice(text):
    return text.replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (LIST, ["login", "login", 403, 200]),
        ("/admin/core/emailoptout/", ["login", "login", 403, 200]),
        ("/admin/core/emailoptout/add/", ["login", "login", 403, 200]),
    ],
)
def test_only_organizers_see_the_outbox(client, organizer, path, expected):
    lead = UserFactory(username="lead")  # leads are not staff: the admin asks them to log in
    staff = UserFactory(username="staff", is_staff=True)  # staff without the organizers' rights
    staff.user_permissions.add(Permission.objects.get(codename="view_term"))
    results = []

    for user in [None, lead, staff, organizer]:
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(path)
        if response.status_code == 302 and response["Location"].startswith("/admin/login/"):
            results.append("login")
        else:
            results.append(response.status_code)

    assert results == expected


def test_an_organizer_adds_an_opt_out_and_the_address_is_stored_lower_cased(client, organizer):
    client.force_login(organizer)

    client.post("/admin/core/emailoptout/add/", {"email": "Ada@Example.EDU", "kind": "sign-in"})

    assert list(EmailOptOut.objects.values_list("email", "kind")) == [
        ("ada@example.edu", "sign-in")
    ]
