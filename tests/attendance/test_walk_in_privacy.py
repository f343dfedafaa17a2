"""A lead learns nothing about people outside their sections: a walk-in whose email belongs to
another section's member is enrolled under the name the lead typed (#11)."""

import pytest

from attendance.models import Enrollment, Member
from tests.attendance.test_views import roster_post
from tests.factories import EnrollmentFactory, MemberFactory

pytestmark = pytest.mark.django_db


def walk_in(name, email, status="present"):
    return {"walk_in-name": name, "walk_in-email": email, "walk_in-status": status}


def test_walk_in_with_another_sections_members_email_shows_only_what_the_lead_typed(
    client, lead, section, other_section, meeting
):
    secret = EnrollmentFactory(
        section=other_section,
        member__name="Secret Stored Name",
        member__email="kim@example.edu",
        member__affiliation="Hidden Lab",
    ).member
    client.force_login(lead)

    response = client.post(
        f"/attendance/meetings/{meeting.pk}/",
        roster_post(meeting, [], [], **walk_in("Kim W.", "KIM@example.edu")),
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        f"Saved 1 change to {section.name}, week 1. Kim W. is on the roster."
    ]
    assert [line.member.roster_name for line in response.context["form"].lines()] == ["Kim W."]
    content = response.content.decode()
    assert "Secret Stored Name" not in content
    assert "Hidden Lab" not in content
    assert Member.objects.filter(email__iexact="kim@example.edu").count() == 1
    secret.refresh_from_db()
    assert (secret.name, secret.affiliation) == ("Secret Stored Name", "Hidden Lab")
    assert sorted(
        Enrollment.objects.filter(member=secret).values_list("section__name", "display_name")
    ) == sorted([(other_section.name, ""), (section.name, "Kim W.")])
    report = client.get(f"/attendance/sections/{section.pk}/report/")
    assert "Secret Stored Name" not in report.content.decode()


def test_walk_in_of_a_member_the_lead_knows_shows_their_stored_name(client, lead, section, meeting):
    known = EnrollmentFactory(section=section, member__name="Dee Known").member

    client.force_login(lead)
    response = client.post(
        f"/attendance/meetings/{meeting.pk}/",
        roster_post(meeting, [known], [""], **walk_in("Dee", known.email.upper())),
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        f"Saved 1 change to {section.name}, week 1. Dee Known is on the roster."
    ]
    assert Enrollment.objects.get(member=known, section=section).display_name == ""


def test_organizer_adding_a_walk_in_sees_the_stored_name(
    client, organizer, section, other_section, meeting
):
    EnrollmentFactory(section=other_section, member__name="Stored", member__email="s@example.edu")

    client.force_login(organizer)
    response = client.post(
        f"/attendance/meetings/{meeting.pk}/",
        roster_post(meeting, [], [], **walk_in("Typed", "s@example.edu")),
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        f"Saved 1 change to {section.name}, week 1. Stored is on the roster."
    ]


def test_a_member_in_no_section_walking_in_keeps_the_typed_name_for_the_lead(
    client, lead, section, meeting
):
    MemberFactory(name="Unlisted Person", email="u@example.edu")

    client.force_login(lead)
    response = client.post(
        f"/attendance/meetings/{meeting.pk}/",
        roster_post(meeting, [], [], **walk_in("U. P.", "u@example.edu")),
        follow=True,
    )

    assert "Unlisted Person" not in response.content.decode()
    assert [line.member.roster_name for line in response.context["form"].lines()] == ["U. P."]
