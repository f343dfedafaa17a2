"""Accounts: login throttling by user name and client address, the one-time password's forced
change, and password reset only when mail can be sent."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils.html import escape

from core.models import OutgoingEmail
from tests.factories import UserFactory
from tests.mailbox import delivered
from tests.readinggroup.test_security import run_django

pytestmark = pytest.mark.django_db

RIGHT = "correct horse battery staple"
ATTACKER = "198.51.100.66"
REAL_USER = "198.51.100.7"
PROXY = "10.0.0.2"


@pytest.fixture
def throttling(settings):
    settings.AXES_ENABLED = True
    return settings


@pytest.fixture
def behind_proxy(throttling):
    """What DJANGO_BEHIND_TLS_PROXY=1 sets (test_settings_behind_the_proxy_... checks that)."""
    throttling.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
    throttling.AXES_IPWARE_PROXY_COUNT = 0
    return throttling


def log_in(client, password, **headers):
    return client.post(
        "/accounts/login/", {"username": "organizer", "password": password}, **headers
    )


def test_wrong_passwords_from_one_address_do_not_lock_out_another(client, throttling, organizer):
    for _ in range(throttling.AXES_FAILURE_LIMIT):
        attack = log_in(client, "wrong", REMOTE_ADDR=ATTACKER)

    attacker_with_the_right_password = log_in(client, RIGHT, REMOTE_ADDR=ATTACKER)
    real_user = log_in(client, RIGHT, REMOTE_ADDR=REAL_USER)

    assert attack.status_code == 429
    assert attacker_with_the_right_password.status_code == 429
    assert "Too many failed log-ins" in attacker_with_the_right_password.content.decode()
    assert (real_user.status_code, real_user.url) == (302, "/admin/")


def test_without_the_proxy_setting_x_forwarded_for_is_ignored(client, throttling, organizer):
    # An attacker who makes up a new X-Forwarded-For for each try is still one address.
    for n in range(throttling.AXES_FAILURE_LIMIT):
        log_in(client, "wrong", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    locked = log_in(client, RIGHT, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert locked.status_code == 429


def test_behind_the_proxy_wrong_passwords_lock_out_only_the_attacking_client(
    client, behind_proxy, organizer
):
    # Every request arrives from the proxy; the proxy appends the client's address.
    for _ in range(behind_proxy.AXES_FAILURE_LIMIT):
        log_in(client, "wrong", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)

    attacker = log_in(client, RIGHT, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    real_user = log_in(client, RIGHT, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=REAL_USER)

    assert attacker.status_code == 429
    assert (real_user.status_code, real_user.url) == (302, "/admin/")


def test_behind_the_proxy_a_forged_x_forwarded_for_does_not_escape_the_lockout(
    client, behind_proxy, organizer
):
    # The client sends its own X-Forwarded-For; the proxy appends the real address after it.
    for n in range(behind_proxy.AXES_FAILURE_LIMIT):
        forged = f"{REAL_USER}, 192.0.2.{n}, {ATTACKER}"
        log_in(client, "wrong", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forged)

    attacker = log_in(client, RIGHT, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    real_user = log_in(client, RIGHT, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=REAL_USER)

    assert attacker.status_code == 429
    assert (real_user.status_code, real_user.url) == (302, "/admin/")


CLIENT_ADDRESSES = r"""
import django
django.setup()
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.test import RequestFactory
print(settings.AXES_IPWARE_META_PRECEDENCE_ORDER, settings.AXES_IPWARE_PROXY_COUNT)
for forwarded in (None, "198.51.100.7", "192.0.2.1, 198.51.100.7", "198.51.100.7, 10.9.9.9"):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.2", **headers)
    print(get_client_ip_address(request))
"""


def test_settings_without_the_proxy_take_the_connections_address():
    result = run_django(CLIENT_ADDRESSES, DJANGO_SECRET_KEY="k")

    assert result.stdout.splitlines() == [
        "('REMOTE_ADDR',) None",
        "10.0.0.2",
        "10.0.0.2",
        "10.0.0.2",
        "10.0.0.2",
    ], result.stderr


def test_settings_behind_the_proxy_take_the_address_the_proxy_appended():
    result = run_django(CLIENT_ADDRESSES, DJANGO_SECRET_KEY="k", DJANGO_BEHIND_TLS_PROXY="1")

    assert result.stdout.splitlines() == [
        "('HTTP_X_FORWARDED_FOR',) 0",
        "None",  # not through the proxy
        "198.51.100.7",
        "198.51.100.7",
        "10.9.9.9",
    ], result.stderr


def test_settings_behind_two_proxies_skip_the_inner_proxys_entry():
    result = run_django(
        CLIENT_ADDRESSES, DJANGO_SECRET_KEY="k", DJANGO_BEHIND_TLS_PROXY="1", DJANGO_PROXY_COUNT="2"
    )

    assert result.stdout.splitlines()[0] == "('HTTP_X_FORWARDED_FOR',) 1"
    assert result.stdout.splitlines()[4] == "198.51.100.7", result.stderr


# --- Where a log-in leads -------------------------------------------------------------------


@pytest.fixture
def accounts(fall2022, organizer):
    """Passwords for the Wednesday lead, an organizer, an organizer who is not staff (no admin
    access) and a user who is neither, e.g. a member given a password."""
    lead = get_user_model().objects.get(username="emichaud")
    lead.set_password(RIGHT)
    lead.save()
    UserFactory(username="nostaff").groups.add(*organizer.groups.all())
    UserFactory(username="someone")


@pytest.mark.parametrize(
    ("username", "next_url", "landing"),
    [
        ("emichaud", None, "/attendance/"),
        ("organizer", None, "/admin/"),
        ("nostaff", None, "/attendance/"),
        ("someone", None, "/"),
        ("emichaud", "", "/attendance/"),
        ("emichaud", "/terms/fall-2022/readings/", "/terms/fall-2022/readings/"),
        ("organizer", "/attendance/", "/attendance/"),
        ("someone", "/me/", "/me/"),
        ("emichaud", "https://evil.example/attendance/", "/attendance/"),
        ("organizer", "//evil.example/admin/", "/admin/"),
        ("someone", "javascript:alert(1)", "/"),
    ],
)
def test_log_in_leads_to_the_users_work_unless_a_safe_next_says_otherwise(
    client, accounts, username, next_url, landing
):
    data = {"username": username, "password": RIGHT}
    if next_url is not None:
        data["next"] = next_url

    response = client.post("/accounts/login/", data)

    assert (response.status_code, response.url) == (302, landing)


def test_the_login_page_is_named_after_the_site_not_the_host(client, settings):
    settings.SITE_NAME = "Deep learning reading group"
    settings.ALLOWED_HOSTS = ["127.0.0.1"]

    content = client.get("/accounts/login/", HTTP_HOST="127.0.0.1:8301").content.decode()

    assert "<title>Log in · Deep learning reading group</title>" in content
    assert '<span class="brand-title">Deep learning reading group</span>' in content
    assert "127.0.0.1" not in content


# --- The one-time password -------------------------------------------------------------------

OWN = "a-password-of-my-own-42"


@pytest.fixture
def new_lead(fall2022):
    """The one-time password `make lead` printed for a new lead, "newlead"."""
    return make_lead("newlead")


def make_lead(username):
    """`make lead USERNAME=… SECTION=fall-2022/wednesday`; returns the password it printed."""
    out = io.StringIO()
    call_command("create_lead", username, "--section", "fall-2022/wednesday", stdout=out)
    return next(
        line.split(": ", 1)[1] for line in out.getvalue().splitlines() if "password:" in line
    )


def log_in_as(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def change_password(client, old, new=OWN):
    return client.post(
        "/accounts/password_change/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_first_log_in_with_the_one_time_password_lands_on_the_password_change(client, new_lead):
    one_time = new_lead

    response = log_in_as(client, "newlead", one_time, follow=True)

    assert response.redirect_chain == [
        ("/attendance/", 302),
        ("/accounts/password_change/", 302),
    ]
    content = response.content.decode()
    assert "<h1>Choose your own password</h1>" in content
    assert "You logged in with a one-time password." in content


def test_until_the_password_is_changed_every_other_page_redirects_to_the_change(client, new_lead):
    one_time = new_lead
    user = get_user_model().objects.get(username="newlead")
    log_in_as(client, "newlead", one_time)
    meeting = user.led_sections.get().meetings.get(week__number=1)
    paths = [
        "/",
        "/attendance/",
        f"/attendance/meetings/{meeting.pk}/",
        "/terms/fall-2022/calendar.ics",
        "/admin/",
        "/accounts/password_change/done/",
    ]

    answers = {path: client.get(path) for path in paths}
    posted = client.post(f"/attendance/meetings/{meeting.pk}/", {"action": "save"})

    to_the_change = (302, "/accounts/password_change/")
    assert {path: (r.status_code, r["Location"]) for path, r in answers.items()} == dict.fromkeys(
        paths, to_the_change
    )
    assert (posted.status_code, posted["Location"]) == (302, "/accounts/password_change/")


def test_logging_out_and_in_again_without_changing_still_asks_for_the_change(client, new_lead):
    one_time = new_lead
    log_in_as(client, "newlead", one_time)

    logged_out = client.post("/accounts/logout/")
    again = log_in_as(client, "newlead", one_time, follow=True)

    assert (logged_out.status_code, logged_out["Location"]) == (302, "/")
    assert again.redirect_chain[-1] == ("/accounts/password_change/", 302)


def test_after_the_change_pages_open_and_the_one_time_password_is_spent(client, new_lead):
    one_time = new_lead
    user = get_user_model().objects.get(username="newlead")
    log_in_as(client, "newlead", one_time)
    before = client.get("/attendance/")

    changed = change_password(client, one_time)
    done = client.get(changed["Location"])
    dashboard = client.get("/attendance/")
    client.post("/accounts/logout/")
    with_the_one_time_password = log_in_as(client, "newlead", one_time)
    with_their_own = log_in_as(client, "newlead", OWN, follow=True)

    assert before["Location"] == "/accounts/password_change/"
    assert (changed.status_code, changed["Location"]) == (302, "/accounts/password_change/done/")
    assert "Your new password is set." in done.content.decode()
    assert done.context["shows_attendance_link"]
    assert dashboard.status_code == 200
    assert dashboard.context["user"] == user
    assert with_the_one_time_password.context["form"].errors == {
        "__all__": [
            "Please enter a correct username and password. Note that both fields may be "
            "case-sensitive."
        ]
    }
    assert with_their_own.redirect_chain == [("/attendance/", 302)]
    assert with_their_own.context["user"] == user


def test_a_new_one_time_password_must_be_changed_again(client, new_lead):
    one_time = new_lead
    log_in_as(client, "newlead", one_time)
    change_password(client, one_time)
    client.post("/accounts/logout/")
    second = make_lead("newlead")

    response = log_in_as(client, "newlead", second, follow=True)

    assert response.redirect_chain[-1] == ("/accounts/password_change/", 302)


# --- Password reset only when mail can go ----------------------------------------------------

RESET_PAGES = [
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/",
    "/accounts/reset/done/",
]


def test_without_email_the_login_page_offers_no_reset_and_says_whom_to_ask(client, settings):
    settings.EMAIL_CONFIGURED = False

    content = client.get("/accounts/login/").content.decode()

    assert "/accounts/password_reset/" not in content
    assert "Forgotten your password? Ask an organizer for a new one-time password." in content


def test_without_email_every_reset_page_names_the_terms_organizers(client, settings, fall2022):
    settings.EMAIL_CONFIGURED = False

    pages = [client.get(path) for path in RESET_PAGES]

    for page in pages:
        content = page.content.decode()
        assert page.status_code == 200
        assert "This site cannot send email" in content
        assert "Ask one of the organizers of Fall 2022 for a new one-time password:" in content
        assert [o.get_full_name() for o in page.context["organizers"]] == [
            "Guilhermo Cutrim Costa",
            "Kaivu Hariharan",
            "Eric Michaud",
        ]
        assert "emailed" not in content


def test_without_email_asking_for_a_reset_sends_nothing(client, settings, organizer):
    settings.EMAIL_CONFIGURED = False

    response = client.post("/accounts/password_reset/", {"email": organizer.email}, follow=True)

    assert response.redirect_chain == []
    assert "Ask an organizer of the reading group for a new one-time password." in (
        response.content.decode()
    )
    assert delivered() == []


@pytest.mark.parametrize("count", [1, 3])
def test_the_no_reset_page_queries_do_not_grow_with_the_organizers(
    client, settings, django_assert_num_queries, fall2022, count
):
    settings.EMAIL_CONFIGURED = False
    fall2022.organizers.set(UserFactory.create_batch(count))

    with django_assert_num_queries(2):  # the current term, its organizers
        response = client.get("/accounts/password_reset/")

    assert len(response.context["organizers"]) == count


def test_with_email_the_login_page_links_the_reset(client, settings):
    settings.EMAIL_CONFIGURED = True

    content = client.get("/accounts/login/").content.decode()

    assert '<a href="/accounts/password_reset/">Forgotten your password?</a>' in content


def test_with_email_a_reset_link_is_sent_and_spends_a_one_time_password(client, settings, new_lead):
    settings.EMAIL_CONFIGURED = True
    user = get_user_model().objects.get(username="newlead")
    user.email = "newlead@example.edu"
    user.save()

    done = client.post("/accounts/password_reset/", {"email": "newlead@example.edu"}, follow=True)
    link = next(line for line in delivered()[0].body.splitlines() if "/accounts/reset/" in line)
    form = client.get(link.strip(), follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": OWN, "new_password2": OWN})
    logged_in = log_in_as(client, "newlead", OWN, follow=True)

    assert "we've emailed it a link" in done.content.decode()
    ((message,), row) = delivered(), OutgoingEmail.objects.get()
    assert (message.to, message.subject, row.kind) == (
        ["newlead@example.edu"],
        "Choose a new password",
        "password-reset",
    )
    assert f'<a href="{escape(link.strip())}"' in message.alternatives[0].content
    assert logged_in.redirect_chain == [("/attendance/", 302)]  # not sent on to the password change
