import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_create_organizer_prints_a_password_that_logs_in_to_the_admin(client):
    out = io.StringIO()

    call_command("create_organizer", "kaivu", "--email", "kaivu@example.edu", stdout=out)

    password = next(
        line.split(": ", 1)[1] for line in out.getvalue().splitlines() if "password:" in line
    )
    user = get_user_model().objects.get(username="kaivu")
    assert (user.is_staff, list(user.groups.values_list("name", flat=True))) == (
        True,
        ["Organizers"],
    )
    assert client.login(username="kaivu", password=password)
    choose_own_password(client, password)
    response = client.get("/admin/")
    assert "Terms, weeks, papers and sections" in response.content.decode()


def test_create_organizer_again_resets_the_password_without_a_second_account(client):
    call_command("create_organizer", "kaivu", stdout=io.StringIO())
    first = get_user_model().objects.get(username="kaivu").password

    call_command("create_organizer", "kaivu", stdout=io.StringIO())

    users = get_user_model().objects.filter(username="kaivu")
    assert users.count() == 1
    assert users.get().password != first


def choose_own_password(client, one_time):
    """The first log-in with a one-time password must choose the user's own first."""
    new = "a-password-of-my-own-42"
    response = client.post(
        "/accounts/password_change/",
        {"old_password": one_time, "new_password1": new, "new_password2": new},
    )
    assert response.url == "/accounts/password_change/done/"


def one_time_password(out):
    return next(line.split(": ", 1)[1] for line in out.splitlines() if "password:" in line)


def test_create_lead_makes_a_lead_who_can_log_in_and_open_their_roster(client, fall2022):
    out = io.StringIO()

    call_command("create_lead", "newlead", "--section", "fall-2022/wednesday", stdout=out)

    user = get_user_model().objects.get(username="newlead")
    assert [str(s) for s in user.led_sections.all()] == ["Wednesday (Fall 2022)"]
    assert (user.is_staff, user.is_active) == (False, True)
    password = one_time_password(out.getvalue())
    assert client.login(username="newlead", password=password)
    choose_own_password(client, password)
    meeting = user.led_sections.get().meetings.get(week__number=1)
    response = client.get(f"/attendance/meetings/{meeting.pk}/")
    assert response.context["meeting"] == meeting


def test_create_lead_takes_over_a_fixture_lead_and_resets_the_password(fall2022):
    call_command("create_lead", "emichaud", "--section", "fall-2022/friday", stdout=io.StringIO())
    first = get_user_model().objects.get(username="emichaud").password

    call_command("create_lead", "emichaud", "--section", "fall-2022/friday", stdout=io.StringIO())

    user = get_user_model().objects.get(username="emichaud")
    assert user.password != first
    assert user.has_usable_password()
    assert sorted(s.slug for s in user.led_sections.all()) == ["friday", "wednesday"]


def test_create_lead_names_the_known_sections_when_one_is_wrong(fall2022):
    with pytest.raises(CommandError) as caught:
        call_command("create_lead", "x", "--section", "fall-2022/tuesday", stdout=io.StringIO())

    assert str(caught.value) == (
        "No section “fall-2022/tuesday”. Known sections: fall-2022/wednesday, fall-2022/friday."
    )
    assert not get_user_model().objects.filter(username="x").exists()


@pytest.mark.parametrize("args", [[], ["--keepdb", "tests.syllabus"]])
def test_manage_py_test_stops_and_says_to_run_make_test(args):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SECRET_KEY": "test-only-not-secret"}

    result = subprocess.run(
        [sys.executable, "manage.py", "test", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "CommandError: The tests are pytest tests, which `manage.py test` does not run. Run "
        "`make test` (lint, then the whole suite), or `.venv/bin/pytest tests/<path>` for a part "
        "of it.\n"
    )


def test_call_command_test_raises_the_same_message():
    with pytest.raises(CommandError, match=r"Run `make test`"):
        call_command("test")
