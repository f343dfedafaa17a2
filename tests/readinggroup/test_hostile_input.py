"""Hostile input (hypothesis) at the login form, raw request bodies of every kind at the forms
that write, and the request size limits with their 400 page. See tests/hostile.py."""

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from attendance.models import AttendanceRecord
from sections.models import DiscussionNote, Meeting
from syllabus.models import Paper
from tests.factories import build_term, enroll_members
from tests.hostile import (
    assert_form_errors,
    assert_not_server_error,
    extra_fields,
    field_values,
    form_data,
    hostile_settings,
    rolled_back,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def lead(db):
    term = build_term(weeks=1, readings_per_week=0, sections=1)
    lead = term.sections.get().leads.get()
    lead.set_password(PASSWORD)
    lead.save()
    enroll_members(term.sections.get(), 1)
    return lead


@pytest.mark.slow
@hostile_settings(max_examples=50)
@given(
    values=field_values(
        {
            "username": st.sampled_from(["user0", "USER0", "nobody"]),
            "password": st.sampled_from([PASSWORD, "wrong"]),
            "next": st.sampled_from(["/attendance/", "https://evil.example/", "//evil.example"]),
        },
        ["username", "password", "next"],
    ),
    extra=extra_fields,
)
def test_login_answers_hostile_posts_with_form_errors(settings, lead, values, extra):
    settings.AXES_ENABLED = True  # as in production: the throttle sees every attempt
    client = Client(raise_request_exception=False)

    with rolled_back():
        users = sorted(User.objects.values_list("username", "password", "last_login"))
        response = client.post("/accounts/login/", form_data(values, extra))
        logged_in = Session.objects.exists()
        users_after = sorted(User.objects.values_list("username", "password"))

    assert_not_server_error(response)
    assert users_after == [u[:2] for u in users]
    if response.status_code == 302:
        assert logged_in
        assert response.url in ("/attendance/", "/")  # never to another site
    else:
        assert not logged_in
        if response.status_code == 200:
            assert_form_errors(response, "form")
        else:
            assert response.status_code == 429  # locked out


# --- Raw bodies --------------------------------------------------------------------------------

CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=BoUnDaRy",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "application/json",
    "text/plain; charset=utf-16",
    "application/x-www-form-urlencoded; charset=not-a-charset",
    "",
]

raw_body = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"body=%00&status=published&version=0&save=1",
            b"status-1=present&status-1=late&version=99999999999999999999&action=save",
            b'--BoUnDaRy\r\nContent-Disposition: form-data; name="text"\r\n\r\n\x00\xff\r\n',
            b"--BoUnDaRy--\r\n",
            b'{"body": "x", "status": "draft"}',
            b"%" * 50,
            b"a=" + b"\xff" * 100,
            b"&".join(b"f%d=1" % n for n in range(3000)),  # more fields than allowed
        ]
    ),
)


def written_rows():
    return (
        sorted(AttendanceRecord.objects.values_list("member", "status", "remark")),
        sorted(DiscussionNote.objects.values_list("body", "status", "version")),
        sorted(Meeting.objects.values_list("pk", "status", "starts_at", "public_note")),
        Paper.objects.count(),
    )


@pytest.mark.slow
@hostile_settings(max_examples=40)
@given(
    where=st.sampled_from(["roster", "notes", "change", "import", "login"]),
    content_type=st.sampled_from(CONTENT_TYPES),
    body=raw_body,
)
def test_raw_bodies_of_any_kind_get_form_errors_or_a_400(
    organizer, lead, where, content_type, body
):
    meeting = Meeting.objects.get(section__leads=lead)
    url = {
        "roster": f"/attendance/meetings/{meeting.pk}/",
        "notes": f"/meetings/{meeting.pk}/notes/",
        "change": f"/meetings/{meeting.pk}/change/",
        "import": "/admin/syllabus/paper/import/",
        "login": "/accounts/login/",
    }[where]
    client = Client(raise_request_exception=False)
    client.force_login(organizer)

    with rolled_back():
        before = written_rows()
        response = client.generic("POST", url, body, content_type=content_type)
        after = written_rows()

    assert_not_server_error(response)
    if response.status_code != 302:
        assert after == before


# --- Size limits ---------------------------------------------------------------------------------


def test_too_many_fields_get_the_400_page_saying_so(client, organizer):
    client.force_login(organizer)
    client.raise_request_exception = False
    term = build_term(weeks=1, readings_per_week=0, sections=1)
    meeting = Meeting.objects.get(section__term=term)

    response = client.post(
        f"/attendance/meetings/{meeting.pk}/", {f"remark-{n}": "x" for n in range(2_501)}
    )

    content = response.content.decode()
    assert response.status_code == 400
    assert "Too much sent at once" in content
    assert "over the site's limits (2500 fields, 5 MB), so nothing was saved" in content
    assert '<a class="navbar-brand"' in content  # the site's own header: base.html
    assert AttendanceRecord.objects.count() == 0


def test_a_body_over_5_mib_gets_the_400_page_saying_so(client, organizer):
    client.force_login(organizer)
    client.raise_request_exception = False

    response = client.post(
        "/admin/syllabus/paper/import/",
        "text=" + "x" * (5 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert "Too much sent at once" in response.content.decode()
    assert Paper.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/admin/syllabus/term/?time_zone=%00",  # the admin filtered the database by it
        "/terms/?page=%00",
        "/terms/?%00=1",
        "/admin/syllabus/term/%00/change/",
    ],
)
def test_a_nul_character_in_the_address_is_a_400(client, organizer, url):
    """Found by the hostile-input properties on PostgreSQL, which refuses NUL in text: a list
    filter of the admin (?time_zone=%00) went to the database as it came, a 500."""
    client.force_login(organizer)
    client.raise_request_exception = False

    response = client.get(url)

    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.content.decode()


def test_other_bad_requests_get_the_plain_400_page(client, organizer):
    client.force_login(organizer)
    client.raise_request_exception = False

    response = client.get("/admin/sections/meeting/", {"_to_field": "public_note"})

    content = response.content.decode()
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in content
    assert "Too much sent" not in content


@pytest.mark.slow
def test_a_roster_of_1000_members_fits_the_field_limit(client):
    """2,000 status and remark fields: Django's default limit of 1,000 would refuse them."""
    term = build_term(weeks=1, readings_per_week=0, sections=1)
    meeting = Meeting.objects.get(section__term=term)
    members = enroll_members(meeting.section, 1_000)
    client.force_login(meeting.section.leads.get())
    data = {"version": "0", "action": "save", "walk_in-status": "present"}
    for member in members:
        data[f"status-{member.pk}"] = "present"
        data[f"remark-{member.pk}"] = ""

    response = client.post(f"/attendance/meetings/{meeting.pk}/", data)

    assert response.status_code == 302
    assert AttendanceRecord.objects.filter(meeting=meeting, status="present").count() == 1_000


def test_a_request_for_another_host_gets_the_plain_400_page(client):
    client.raise_request_exception = False

    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.content.decode()
