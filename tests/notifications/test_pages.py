"""Before confirming a meeting change, its leads and organizers see how many members it will
email and may choose not to: on the lead's change page and in the admin's actions."""

import re

import pytest
from django.test import Client

from core import outbox
from core.models import OutgoingEmail
from sections.models import Meeting

pytestmark = pytest.mark.django_db

MEETINGS = "/admin/sections/meeting/"
CANCEL = {"reason": "No meeting: Veterans Day", "cancel": "Cancel meeting"}
MOVE = {
    "date": "2022-11-17",
    "start_time": "18:00",
    "end_time": "20:00",
    "room": "4-237",
    "note": "",
    "move": "Move meeting",
}


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def email_choices(html):
    """Each “Email the members” checkbox on the page: (ticked, the count beside it)."""
    return [
        (" checked" in attributes, help_text)
        for attributes, help_text in re.findall(
            r'<input type="checkbox" name="\w+-notify"([^>]*)>.*?'
            r'<div id="id_\w+-notify_helptext" class="form-text">(.*?)</div>',
            html,
            re.S,
        )
    ]


@pytest.mark.parametrize(
    ("who", "status", "choices"),
    [
        ("anonymous", 302, []),
        ("other lead", 404, []),
        ("lead", 200, [(True, "This will email 2 members.")] * 2),  # move, cancel
        ("organizer", 200, [(True, "This will email 2 members.")] * 2),
    ],
)
def test_only_the_meetings_leads_and_organizers_see_how_many_a_change_emails(
    meeting, lead, organizer, who, status, choices
):
    users = {"lead": lead, "organizer": organizer, "other lead": meeting_other_lead(meeting)}
    url = f"/meetings/{meeting.pk}/change/"

    response = client_for(users.get(who)).get(url)

    assert response.status_code == status
    assert email_choices(response.content.decode()) == choices


def meeting_other_lead(meeting):
    return Meeting.objects.get(week=meeting.week, section__slug="friday").section.leads.get()


def test_the_count_leaves_out_members_without_an_address_or_who_opted_out(meeting, lead):
    outbox.opt_out(email="bea@example.edu", kind="meeting-change")

    response = client_for(lead).get(f"/meetings/{meeting.pk}/change/")

    assert email_choices(response.content.decode()) == [(True, "This will email 1 member.")] * 2


def test_the_lead_cancels_with_email_ticked_and_members_are_emailed(clock, meeting, lead):
    client_for(lead).post(f"/meetings/{meeting.pk}/change/", {**CANCEL, "cancel-notify": "on"})

    assert sorted(OutgoingEmail.objects.values_list("to", "state")) == [
        ("Bea@Example.edu", "pending"),
        ("ada@example.edu", "pending"),
    ]


def test_the_lead_unticks_email_and_nobody_is_emailed(clock, meeting, lead):
    url = f"/meetings/{meeting.pk}/change/"

    client_for(lead).post(url, MOVE)  # an unticked checkbox is not sent at all
    restored = client_for(lead).post(url, {"restore": "Restore"}, follow=True)

    assert not OutgoingEmail.objects.exists()
    assert not Meeting.objects.get(pk=meeting.pk).is_moved
    assert email_choices(restored.content.decode()) == [(True, "This will email 2 members.")] * 2


def test_the_restore_form_offers_the_email_too(clock, meeting, lead):
    url = f"/meetings/{meeting.pk}/change/"
    client_for(lead).post(url, CANCEL)

    page = client_for(lead).get(url).content.decode()
    client_for(lead).post(url, {"restore": "Restore", "restore-notify": "on"})

    assert email_choices(page) == [(True, "This will email 2 members.")]
    assert set(OutgoingEmail.objects.values_list("subject", flat=True)) == {
        "Back on: Wednesday section, Week 10 — Wed Nov 16, 6–8 pm EST, 2-151"
    }


# --- The admin's actions -----------------------------------------------------------------------


def admin_choice(response):
    field = response.context["form"].fields["notify"]
    return field.initial, field.help_text


def test_the_admin_cancel_action_tells_how_many_emails_and_sends_them_if_ticked(
    client, clock, organizer, meeting
):
    client.force_login(organizer)
    week = list(Meeting.objects.filter(week=meeting.week).order_by("section__weekday"))
    selected = {"action": "cancel_meetings", "_selected_action": [m.pk for m in week]}

    form_page = client.post(MEETINGS, selected)
    client.post(
        MEETINGS, {**selected, "apply": "1", "reason": "Veterans Day", "cancel-notify": "on"}
    )

    assert admin_choice(form_page) == (
        True,
        "This will send 3 emails: one to each member of each meeting's section.",
    )
    assert (
        '<input type="checkbox" name="cancel-notify" aria-describedby="id_cancel-notify_helptext" '
        'id="id_cancel-notify" checked>'
    ) in form_page.content.decode()
    assert sorted(OutgoingEmail.objects.values_list("to", flat=True)) == [
        "Bea@Example.edu",
        "ada@example.edu",
        "dee@example.edu",
    ]


def test_the_admin_actions_unticked_email_nobody(client, clock, organizer, meeting):
    client.force_login(organizer)
    one = {"_selected_action": [meeting.pk], "apply": "1"}

    client.post(MEETINGS, {**one, "action": "cancel_meetings", "reason": "Veterans Day"})
    client.post(MEETINGS, {**one, "action": "restore_meetings"})
    client.post(MEETINGS, {**one, "action": "move_meeting", **MOVE})

    assert Meeting.objects.get(pk=meeting.pk).room == "4-237"
    assert not OutgoingEmail.objects.exists()


def test_the_admin_move_and_restore_actions_tell_how_many_and_email_if_ticked(
    client, clock, organizer, meeting
):
    client.force_login(organizer)
    one = {"_selected_action": [meeting.pk]}

    move_page = client.post(MEETINGS, {**one, "action": "move_meeting"})
    client.post(
        MEETINGS, {**one, "action": "move_meeting", "apply": "1", "move-notify": "on", **MOVE}
    )
    clock.advance(minutes=11)
    OutgoingEmail.objects.update(state=OutgoingEmail.State.SENT)  # the worker sent the move
    restore_page = client.post(MEETINGS, {**one, "action": "restore_meetings"})
    client.post(
        MEETINGS, {**one, "action": "restore_meetings", "apply": "1", "restore-notify": "on"}
    )

    assert admin_choice(move_page) == (True, "This will email 2 members.")
    assert admin_choice(restore_page) == (True, "This will email 2 members.")
    assert list(OutgoingEmail.objects.order_by("pk").values_list("state", "subject")) == [
        ("sent", "Moved: Wednesday section, Week 10 — now Thu Nov 17, 6–8 pm EST, 4-237"),
        ("sent", "Moved: Wednesday section, Week 10 — now Thu Nov 17, 6–8 pm EST, 4-237"),
        ("pending", "Moved: Wednesday section, Week 10 — now Wed Nov 16, 6–8 pm EST, 2-151"),
        ("pending", "Moved: Wednesday section, Week 10 — now Wed Nov 16, 6–8 pm EST, 2-151"),
    ]
