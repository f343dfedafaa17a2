"""Hostile input (hypothesis) at the attendance pages: the roster form (statuses, remarks, the
version, the walk-in's fields, people not on the roster) and the ids and slugs in the lead
pages' URLs. Never a 500; an answer that is not a success changes nothing. See
tests/hostile.py for the values thrown."""

from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from attendance.models import AttendanceRecord, Enrollment, Member
from tests.factories import AttendanceRecordFactory, EnrollmentFactory, build_term, this_monday
from tests.hostile import (
    MISSING,
    STORED_HTML,
    assert_form_errors,
    assert_not_server_error,
    extra_fields,
    field_values,
    form_data,
    has_nul,
    hostile_scalar,
    hostile_settings,
    rolled_back,
)
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db


@pytest.fixture
def term(db):
    """As the conftest's `term`, but running now (from last Monday): the join forms are
    offered only while a term runs."""
    return build_term(
        weeks=3, readings_per_week=1, sections=2, slug="running", first_monday=this_monday(weeks=-1)
    )


STATUSES = st.sampled_from(["present", "late", "excused", "absent", ""])


def logged_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def attendance_rows():
    return (
        sorted(
            AttendanceRecord.objects.values_list(
                "meeting", "member", "status", "remark", "roster_version"
            )
        ),
        sorted(Member.objects.values_list("name", "email", "affiliation")),
        sorted(Enrollment.objects.values_list("member", "section")),
    )


@pytest.fixture
def members(section, meeting):
    members = [
        EnrollmentFactory(section=section, member__name=name).member
        for name in ("Ada", "Bea", "Cy")
    ]
    AttendanceRecordFactory(meeting=meeting, member=members[0], status="late", roster_version=1)
    return members


@pytest.mark.slow
@hostile_settings(max_examples=60)
@given(data=st.data(), extra=extra_fields)
def test_roster_answers_hostile_posts_with_form_errors(meeting, lead, members, data, extra):
    valid = {
        "version": st.sampled_from(["1", "0"]),
        "action": st.sampled_from(["save", "all-present"]),
        "walk_in-name": st.sampled_from(["", "Dee Walker"]),
        "walk_in-email": st.sampled_from(["", "dee@example.edu", "ADA@EXAMPLE.EDU"]),
        "walk_in-affiliation": st.sampled_from(["", "Harvard"]),
        "walk_in-status": STATUSES,
    }
    for member in members:
        valid[f"status-{member.pk}"] = STATUSES
        valid[f"remark-{member.pk}"] = st.sampled_from(["", "came late, left early"])
    values = data.draw(field_values(valid, list(valid)))
    client = logged_in(lead)

    with rolled_back():
        before = attendance_rows()
        response = client.post(f"/attendance/meetings/{meeting.pk}/", form_data(values, extra))
        after = attendance_rows()
        saved = dict(
            AttendanceRecord.objects.filter(meeting=meeting, member__in=members).values_list(
                "member", "status"
            )
        )

    assert_not_server_error(response)
    if response.status_code == 302:
        posted = response.wsgi_request.POST
        for member in members:
            if posted.get(f"status-{member.pk}"):
                assert saved[member.pk] == posted[f"status-{member.pk}"]
    else:
        assert after == before
        if response.status_code == 200 and values["action"] != "all-present":
            assert_form_errors(response, "form", "walk_in_form")


LEAD_URLS = [
    "/attendance/meetings/{id}/",
    "/attendance/sections/{id}/report/",
    "/attendance/sections/{id}/report.csv",
    "/attendance/sections/{id}/report.xlsx",
    "/attendance/terms/{slug}/",
]


@pytest.mark.slow
@hostile_settings(max_examples=40)
@given(
    url=st.sampled_from(LEAD_URLS),
    value=hostile_scalar.filter(lambda v: v != ""),
    query=extra_fields,
)
def test_lead_urls_answer_hostile_ids_with_404(term, organizer, url, value, query):
    path = url.format(id=quote(value, safe=""), slug=quote(value, safe=""))
    client = logged_in(organizer)

    with rolled_back():
        response = client.get(path, query)

    assert_not_server_error(response)
    if has_nul(value, query):
        assert response.status_code == 400
    elif "{slug}" in url:
        assert response.status_code == (200 if value == term.slug else 404)
    elif not (value.isascii() and value.isdigit()):
        assert response.status_code == 404


# --- Members' forms: sign-in and joining ---------------------------------------------------------


@pytest.fixture
def _email_configured(settings):
    settings.EMAIL_CONFIGURED = True


@pytest.fixture
def ada(section):
    return EnrollmentFactory(section=section, member__email="ada@example.edu").member


@pytest.mark.slow
@pytest.mark.usefixtures("_email_configured")
@hostile_settings()
@given(data=st.data(), extra=extra_fields)
def test_sign_in_answers_hostile_posts_without_saving_or_mailing_anyone(ada, data, extra):
    from django.core import mail

    valid = {"email": st.sampled_from(["ada@example.edu", "ADA@EXAMPLE.EDU", "eve@example.edu"])}
    values = data.draw(field_values(valid, ["email"]))
    client = Client(raise_request_exception=False)

    with rolled_back():
        mail.outbox = []
        before = attendance_rows()
        response = client.post("/signin/", form_data(values, extra))
        assert_not_server_error(response)
        assert attendance_rows() == before
        if values["email"] in ("ada@example.edu", "ADA@EXAMPLE.EDU"):
            assert [m.to for m in delivered()] == [[ada.email]]
        else:
            assert delivered() == []


@pytest.mark.slow
@pytest.mark.usefixtures("_email_configured")
@hostile_settings()
@given(data=st.data(), extra=extra_fields)
def test_join_answers_hostile_posts_and_enrolls_no_one_unconfirmed(section, data, extra):
    from django.core import mail

    valid = {
        "name": st.sampled_from(["Ada Lovelace", "Bea"]),
        "email": st.sampled_from(["ada@example.edu", "bea@example.edu"]),
        "affiliation": st.sampled_from(["", "MIT"]),
    }
    values = data.draw(field_values(valid, list(valid)))
    client = Client(raise_request_exception=False)
    url = f"/terms/{section.term.slug}/sections/{section.slug}/join/"

    with rolled_back():
        mail.outbox = []
        before = attendance_rows()
        response = client.post(url, form_data(values, extra))
        assert_not_server_error(response)
        assert attendance_rows() == before
        if response.status_code == 200 and "form" in response.context:
            assert_form_errors(response, "form")
            assert delivered() == []
        else:
            assert response.status_code == 200, response.status_code
            assert [m.to for m in delivered()] == [[values["email"]]]


@pytest.mark.slow
@pytest.mark.usefixtures("_email_configured")
@hostile_settings()
@given(data=st.data(), extra=extra_fields)
def test_waiting_list_answers_hostile_posts_and_queues_no_one_unconfirmed(
    section, ada, data, extra
):
    from django.core import mail

    from attendance.models import WaitingListEntry

    section.capacity = 1  # Ada has the one place: the form is the waiting list's
    section.save()
    valid = {
        "name": st.sampled_from(["Bea Lovelace", STORED_HTML]),
        "email": st.sampled_from(["bea@example.edu", "BEA@example.edu"]),
        "affiliation": st.sampled_from(["", "MIT"]),
    }
    values = data.draw(field_values(valid, list(valid)))
    client = Client(raise_request_exception=False)
    url = f"/terms/{section.term.slug}/sections/{section.slug}/join/"

    with rolled_back():
        mail.outbox = []
        before = attendance_rows()
        response = client.post(url, form_data(values, extra))
        assert_not_server_error(response)
        assert attendance_rows() == before
        assert not WaitingListEntry.objects.exists()
        assert STORED_HTML not in response.content.decode()
        if "form" in response.context:
            assert_form_errors(response, "form")
            assert delivered() == []
        else:
            assert response.status_code == 200, response.status_code
            (message,) = delivered()
            assert message.to == [values["email"]]
            assert message.subject.startswith("Confirm joining the waiting list")


@pytest.mark.slow
@hostile_settings()
@given(token=hostile_scalar, action=hostile_scalar)
def test_join_confirmation_answers_hostile_tokens_and_actions_with_400(section, token, action):
    from attendance.models import WaitingListEntry

    client = Client(raise_request_exception=False)

    with rolled_back():
        response = client.post("/join/confirm/", {"token": token, "action": action})
        queued = WaitingListEntry.objects.exists()

    assert_not_server_error(response)
    assert response.status_code == 400
    assert not queued


# --- Members' forms: "I can't come" ---------------------------------------------------------------


@pytest.mark.slow
@hostile_settings()
@given(data=st.data(), extra=extra_fields)
def test_cant_come_answers_hostile_posts_with_form_errors(people, here, data, extra):
    from attendance.models import Apology
    from sections.models import Meeting

    coming = Meeting.objects.filter(section=here, starts_at__gt=timezone.now()).first()
    valid = {
        "reason": st.sampled_from(["", "Ill", " At a <b>conference</b> "]),
        "action": st.sampled_from(["", "undo"]),
    }
    values = data.draw(field_values(valid, list(valid)))
    client = logged_in(people["member of this section"])

    with rolled_back():
        response = client.post(f"/meetings/{coming.pk}/cant-come/", form_data(values, extra))
        apologies = list(Apology.objects.values_list("member", "meeting", "reason"))

    assert_not_server_error(response)
    posted = response.wsgi_request.POST
    if response.status_code == 302:
        undo = posted.get("action") == "undo"
        expected = [] if undo else [(people["ada"].pk, coming.pk, posted.get("reason", "").strip())]
        assert apologies == expected
    else:
        assert apologies == []
        assert_form_errors_at(response, 400)


def assert_form_errors_at(response, status):
    assert response.status_code == status, response.status_code
    assert response.context["form"].errors


@pytest.mark.slow
@hostile_settings()
@given(data=st.data(), extra=extra_fields)
def test_question_answers_hostile_posts_with_form_errors(people, here, data, extra):
    from attendance.models import Preparation
    from sections.models import Meeting

    coming = Meeting.objects.filter(section=here, starts_at__gt=timezone.now()).first()
    valid = {"question": st.sampled_from(["", "Why?", " <script>alert(1)</script>\nand? "])}
    values = data.draw(field_values(valid, list(valid)))
    client = logged_in(people["member of this section"])

    with rolled_back():
        response = client.post(f"/meetings/{coming.pk}/question/", form_data(values, extra))
        saved = list(Preparation.objects.values_list("member", "meeting", "question"))
        me = client.get("/me/") if response.status_code == 302 else None

    assert_not_server_error(response)
    if response.status_code == 302:
        question = response.wsgi_request.POST.get("question", "").strip()
        assert saved == ([(people["ada"].pk, coming.pk, question)] if question else [])
        assert b"<script>alert" not in me.content
    else:
        assert saved == []
        assert_form_errors_at(response, 400)


# --- Members' own data: download and delete; the admin's lists of what they wrote -----------------


@pytest.mark.slow
@hostile_settings()
@given(data=st.data(), extra=extra_fields)
def test_my_data_gives_back_any_question_the_form_took_unchanged(people, here, data, extra):
    import json

    from sections.models import Meeting

    coming = Meeting.objects.filter(section=here, starts_at__gt=timezone.now()).first()
    values = data.draw(field_values({"question": st.sampled_from(["Why?"])}, ["question"]))
    client = logged_in(people["member of this section"])

    with rolled_back():
        asked = client.post(f"/meetings/{coming.pk}/question/", form_data(values, extra))
        downloaded = client.get("/me/data.json", extra)

    assert_not_server_error(asked)
    assert_not_server_error(downloaded)
    if has_nul(extra):
        assert downloaded.status_code == 400
        return
    mine = json.loads(downloaded.content)
    assert (mine["name"], mine["email"]) == ("Ada", people["ada"].email)
    question = asked.wsgi_request.POST.get("question", "").strip()
    if asked.status_code == 302 and question:
        assert [p["question"] for p in mine["preparations"]] == [question]
    else:
        assert mine["preparations"] == []


@pytest.mark.slow
@hostile_settings()
@given(extra=extra_fields)
def test_deleting_my_account_ignores_whatever_else_is_posted(people, here, extra):
    client = logged_in(people["member of this section"])

    with rolled_back():
        response = client.post("/me/delete/", form_data({}, extra))
        members = sorted(Member.objects.values_list("name", "email"))

    assert_not_server_error(response)
    assert response["Location"] == "/"
    assert members == [("Bea", people["bea"].email), ("Former member", "")]


ADMIN_FILTERS = ["q", "meeting__section__id__exact", "meeting__section__term__id__exact", "o"]


@pytest.mark.slow
@hostile_settings()
@given(
    url=st.sampled_from(["/admin/attendance/apology/", "/admin/attendance/preparation/"]),
    query=st.fixed_dictionaries(
        {name: st.one_of(st.just(MISSING), hostile_scalar) for name in ADMIN_FILTERS}
    ),
    extra=extra_fields,
)
def test_member_written_admin_lists_answer_hostile_searches_and_filters(
    organizer, section, url, query, extra
):
    from attendance.models import Apology, Preparation

    member = EnrollmentFactory(section=section, member__name="Ada").member
    meeting = section.meetings.first()
    Apology.objects.get_or_create(member=member, meeting=meeting, defaults={"reason": "Away"})
    Preparation.objects.get_or_create(member=member, meeting=meeting, defaults={"question": "Q"})
    params = {**extra, **{k: v for k, v in query.items() if v is not MISSING}}
    client = logged_in(organizer)

    with rolled_back():
        response = client.get(url, params)

    assert_not_server_error(response)
    if has_nul(params):
        assert response.status_code == 400
    elif response.status_code == 302:  # a filter the admin does not understand
        assert response["Location"].startswith(f"{url}?e=")
    else:
        assert response.status_code == 200
