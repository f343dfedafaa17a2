import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

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
    response = client.get("/admin/")
    assert "Terms, weeks, papers and sections" in response.content.decode()


def test_create_organizer_again_resets_the_password_without_a_second_account(client):
    call_command("create_organizer", "kaivu", stdout=io.StringIO())
    first = get_user_model().objects.get(username="kaivu").password

    call_command("create_organizer", "kaivu", stdout=io.StringIO())

    users = get_user_model().objects.filter(username="kaivu")
    assert users.count() == 1
    assert users.get().password != first
