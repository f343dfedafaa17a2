"""The authentication backends load a user's roles with the user (attendance/backends.py): the
same roles, however the user logged in, read afresh on every request."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from sesame.utils import get_query_string

from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's
LINK = 'href="/attendance/">My meetings</a>'
BACKENDS = [
    "attendance.backends.ModelBackend",
    "attendance.backends.SesameBackend",
    # Sessions made before those two name the backends they replace.
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
]


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


def what_they_see(client, term, meeting):
    """(“My meetings” in the header?, the dashboard's status, the roster's status)."""
    page = client.get(term.get_absolute_url()).content.decode()
    dashboard = client.get("/attendance/").status_code
    roster = client.get(f"/attendance/meetings/{meeting.pk}/").status_code
    return (LINK in page, dashboard, roster)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_gives_each_role_the_same_pages(
    backend, term, meeting, lead, other_lead, nobody, organizer, superuser
):
    seen = {}
    for name, user in [
        ("lead", lead),
        ("other lead", other_lead),
        ("nobody", nobody),
        ("organizer", organizer),
        ("superuser", superuser),
    ]:
        client = Client()
        client.force_login(user, backend=backend)
        seen[name] = what_they_see(client, term, meeting)

    assert seen == {
        "lead": (True, 200, 200),
        "other lead": (True, 200, 404),
        "nobody": (False, 403, 403),
        "organizer": (True, 200, 200),
        "superuser": (True, 200, 200),
    }


def test_a_password_login_loads_the_user_with_its_roles_in_one_query(client, term, lead):
    response = client.post("/accounts/login/", {"username": lead.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "attendance.backends.ModelBackend"

    with CaptureQueriesContext(connection) as queries:
        page = client.get(term.get_absolute_url())

    assert LINK in page.content.decode()
    # The user's query answers “organizer?” and “lead?”: no query of their own asks either.
    (user_query,) = [q["sql"] for q in queries if 'FROM "auth_user" u ' in q["sql"]]
    assert '"auth_group"' in user_query
    assert '"sections_section_leads"' in user_query
    assert [q["sql"] for q in queries if '"auth_group"' in q["sql"]] == [user_query]
    assert [q["sql"] for q in queries if q["sql"].startswith('SELECT 1 AS "a"')] == []


def test_a_sign_in_link_loads_the_user_with_its_roles(client, term, lead):
    member = MemberFactory(name="Lead Member", email="leadmember@example.edu", user=lead)

    response = client.post("/signin/link/", {"sesame": get_query_string(lead)[len("?sesame=") :]})

    assert response.url == "/me/"
    assert client.session[BACKEND_SESSION_KEY] == "attendance.backends.SesameBackend"
    assert client.get("/me/").context["user"].pk == member.user_id
    assert LINK in client.get(term.get_absolute_url()).content.decode()


@pytest.mark.parametrize("backend", BACKENDS[:2])
def test_a_lead_removed_from_their_section_loses_its_pages_on_the_next_request(
    backend, term, section, meeting, lead
):
    client = Client()
    client.force_login(lead, backend=backend)
    assert what_they_see(client, term, meeting) == (True, 200, 200)

    section.leads.remove(lead)

    assert what_they_see(client, term, meeting) == (False, 403, 403)


@pytest.mark.parametrize("backend", BACKENDS[:2])
def test_a_user_made_organizer_gets_every_page_on_the_next_request(backend, term, meeting, nobody):
    client = Client()
    client.force_login(nobody, backend=backend)
    assert what_they_see(client, term, meeting) == (False, 403, 403)

    nobody.groups.add(Group.objects.get(name="Organizers"))

    assert what_they_see(client, term, meeting) == (True, 200, 200)


@pytest.mark.parametrize("backend", BACKENDS[:2])
def test_a_deactivated_lead_is_logged_out_on_the_next_request(backend, term, meeting, lead):
    client = Client()
    client.force_login(lead, backend=backend)
    lead.is_active = False
    lead.save()

    response = client.get(f"/attendance/meetings/{meeting.pk}/")

    assert response.url == f"/accounts/login/?next=/attendance/meetings/{meeting.pk}/"
    assert LINK not in client.get(term.get_absolute_url()).content.decode()
