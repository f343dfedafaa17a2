"""Email settings on /me/: a member turns reminders and meeting-change emails off and on for their
own address (stored as the outbox's opt-outs), and the planner then leaves them out."""

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from attendance.forms import EmailSettingsForm
from core.models import EmailOptOut, OutgoingEmail
from notifications import reminders, services
from notifications.reminders import queue_due_reminders, reminder_time
from sections.models import Meeting
from tests.factories import EnrollmentFactory
from tests.hostile import (
    assert_not_server_error,
    extra_fields,
    field_values,
    form_data,
    hostile_settings,
    rolled_back,
)

pytestmark = pytest.mark.django_db

MATRIX = ["anonymous", "member of this section", "member of another section", "lead", "organizer"]
URL = "/me/email/"
REMINDERS_OFF = {"meeting_change": "on"}


def opt_outs():
    return sorted(EmailOptOut.objects.values_list("email", "kind"))


@pytest.mark.parametrize("who", MATRIX)
def test_each_member_sets_their_own_email_settings_and_no_one_elses(client, people, who):
    if people[who]:
        client.force_login(people[who])

    asked = client.get(URL)
    response = client.post(URL, REMINDERS_OFF)

    assert asked.status_code == 405
    if who == "anonymous":
        assert response["Location"] == f"/signin/?next={URL}"
        assert opt_outs() == []
    elif who.startswith("member"):
        assert response["Location"] == "/me/#email-settings"
        own = people["ada" if who == "member of this section" else "bea"]
        assert opt_outs() == [(own.email.lower(), "reminder")]
    else:  # signed in, but no member: nothing to set
        assert response.status_code == 404
        assert opt_outs() == []


def test_my_page_shows_the_settings_as_they_stand_and_says_what_was_saved(client, people):
    client.force_login(people["member of this section"])

    before = client.get("/me/").content.decode()
    saved = client.post(URL, REMINDERS_OFF, follow=True).content.decode()
    back = client.post(URL, {"reminder": "on"}, follow=True).content.decode()

    assert '<h2 class="h4 mt-4" id="email-settings">Email settings</h2>' in before
    assert f'action="{URL}"' in before
    assert checked(before) == {"reminder": True, "meeting_change": True}
    assert (
        "Your email settings are saved: you get no reminders the day before each meeting and "
        "emails when a meeting is cancelled or moved." in saved
    )
    assert checked(saved) == {"reminder": False, "meeting_change": True}
    assert (
        "Your email settings are saved: you get reminders the day before each meeting and no "
        "emails when a meeting is cancelled or moved." in back
    )
    assert checked(back) == {"reminder": True, "meeting_change": False}
    assert opt_outs() == [(people["ada"].email.lower(), "meeting-change")]


def checked(html):
    """Which of the settings' boxes the page shows ticked."""
    boxes = {}
    for name in ("reminder", "meeting_change"):
        start = html.index(f'name="{name}"')
        tag = html[html.rindex("<input", 0, start) : html.index(">", start)]
        boxes[name] = " checked" in tag
    return boxes


def test_a_member_without_an_email_has_no_settings(client, people):
    ada = people["ada"]
    ada.email = ""
    ada.save()
    client.force_login(people["member of this section"])

    page = client.get("/me/").content.decode()
    response = client.post(URL, REMINDERS_OFF)

    assert "Email settings" not in page
    assert 'name="reminder"' not in page
    assert response.status_code == 404
    assert opt_outs() == []


def test_unticking_reminders_stops_them_and_ticking_brings_them_back(client, people, here):
    other = EnrollmentFactory(section=here, member__name="Cy", member__email="cy@example.edu")
    first, second = Meeting.objects.filter(section=here).select_related("section__term")[2:4]
    client.force_login(people["member of this section"])

    client.post(URL, REMINDERS_OFF)
    off = queue_due_reminders(now=reminder_time(first))
    client.post(URL, {"reminder": "on", "meeting_change": "on"})
    on = queue_due_reminders(now=reminder_time(second))

    assert [row.to for row in off] == [other.member.email]
    assert sorted(row.to for row in on) == sorted([people["ada"].email, other.member.email])
    assert OutgoingEmail.objects.count() == 3


@pytest.mark.slow
@hostile_settings()
@given(data=st.data(), extra=extra_fields)
def test_email_settings_answer_hostile_posts_without_an_error(people, data, extra):
    valid = {name: st.sampled_from(["on", "", "false"]) for name in ("reminder", "meeting_change")}
    values = data.draw(field_values(valid, list(valid)))
    client = Client(raise_request_exception=False)
    client.force_login(people["member of this section"])

    with rolled_back():
        response = client.post(URL, form_data(values, extra))
        kinds = {kind for _, kind in opt_outs()}

    assert_not_server_error(response)
    assert response["Location"] == "/me/#email-settings"
    assert kinds <= {"reminder", "meeting-change"}


def test_the_settings_name_the_kinds_notifications_sends():
    assert set(EmailSettingsForm.KINDS.values()) == {reminders.KIND, services.KIND}
