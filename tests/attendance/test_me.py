"""/me/: a member's sections, next meeting, own attendance and calendar; leaving and moving."""

import pytest
from django.utils import timezone
from icalendar import Calendar

from attendance.models import Apology, Enrollment, Preparation
from sections.models import Meeting
from sections.services import cancel_meeting
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    build_term,
)

pytestmark = pytest.mark.django_db


MATRIX = ["anonymous", "member of this section", "member of another section", "lead", "organizer"]


@pytest.mark.parametrize("who", MATRIX)
def test_my_page_shows_each_person_their_own_part(client, people, here, there, who):
    if people[who]:
        client.force_login(people[who])

    response = client.get("/me/")

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == "/signin/?next=/me/"
        return
    html = response.content.decode()
    shown = {
        "member of this section": ([here], people["ada"]),
        "member of another section": ([there], people["bea"]),
    }.get(who)
    if shown is None:
        assert response.context["member"] is None
        assert "You are signed in, but not as a member of any section." in html
    else:
        assert (list(response.context["sections"]), response.context["member"]) == shown
        other = people["bea"] if who == "member of this section" else people["ada"]
        assert other.email not in html
        assert other.name not in html.replace("<title>", "")


@pytest.mark.parametrize("who", MATRIX)
def test_only_the_member_may_leave_their_section(client, people, here, who):
    if people[who]:
        client.force_login(people[who])
    url = f"/me/sections/{here.pk}/leave/"

    asked, left = client.get(url), client.post(url)

    if who == "anonymous":
        assert (asked.status_code, left.status_code) == (302, 302)
        assert left["Location"].startswith("/signin/")
    elif who == "member of this section":
        assert asked.status_code == 200
        assert f"Leave the {here.name} section?" in asked.content.decode()
        assert left["Location"] == "/me/"
    else:
        assert (asked.status_code, left.status_code) == (404, 404)
    still_in = Enrollment.objects.filter(section=here, member=people["ada"]).exists()
    assert still_in == (who != "member of this section")


def test_a_member_moves_to_another_section_and_keeps_their_attendance(client, people, here, there):
    client.force_login(people["member of this section"])
    meeting = Meeting.objects.get(section=here, week__number=1)
    AttendanceRecordFactory(meeting=meeting, member=people["ada"])

    response = client.post(f"/me/sections/{here.pk}/move/", {"section": there.pk})

    assert response["Location"] == "/me/"
    assert list(
        Enrollment.objects.filter(member=people["ada"]).values_list("section", flat=True)
    ) == [there.pk]
    assert people["ada"].attendance_records.count() == 1


def test_moving_to_a_full_section_or_a_bad_choice_says_why_next_to_the_field(
    client, people, here, there
):
    client.force_login(people["member of this section"])
    there.capacity = 1
    there.save()

    full = client.post(f"/me/sections/{here.pk}/move/", {"section": there.pk})
    bad = client.post(f"/me/sections/{here.pk}/move/", {"section": "x"})

    assert full.context["form"].errors == {"section": [f"The {there.name} section is full."]}
    assert bad.context["form"].errors == {"section": ["Choose one of the sections listed."]}
    assert Enrollment.objects.get(member=people["ada"]).section == here


def test_my_page_shows_the_next_meeting_its_change_readings_and_my_attendance(client, people, here):
    client.force_login(people["member of this section"])
    past = Meeting.objects.get(section=here, week__number=1)
    AttendanceRecordFactory(meeting=past, member=people["ada"], status="late")
    AttendanceRecordFactory(meeting=past, member=people["bea"], status="absent")
    coming = list(
        Meeting.objects.filter(section=here, ends_at__gt=timezone.now()).order_by("starts_at")
    )
    cancel_meeting(meeting=coming[0], reason="Snow day", by=here.leads.get())

    response = client.get("/me/")

    assert response.context["upcoming"] == coming[:2]
    html = response.content.decode()
    assert "Snow day" in html
    assert "Cancelled" in html
    for reading in coming[1].week.readings.all():
        assert reading.paper.title in html
    assert [(r.meeting, r.status) for r in response.context["records"]] == [(past, "late")]


def test_the_calendar_feed_has_only_my_sections_and_carries_cancellations(client, people, here):
    coming = Meeting.objects.filter(section=here, ends_at__gt=timezone.now()).first()
    cancel_meeting(meeting=coming, reason="Ill", by=here.leads.get())
    ada = people["ada"]

    response = client.get(f"/me/calendar/{ada.calendar_secret}.ics")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert {str(e["UID"]) for e in events} == {
        f"meeting-{m.pk}@readinggroup.calendar" for m in here.meetings.all()
    }
    assert {
        str(e["STATUS"]) for e in events if str(e["UID"]).startswith(f"meeting-{coming.pk}@")
    } == {"CANCELLED"}
    assert client.get("/me/calendar/wrong.ics").status_code == 404


def test_resetting_the_calendar_address_retires_the_old_one(client, people):
    ada = people["ada"]
    old = ada.calendar_secret
    client.force_login(people["member of this section"])

    response = client.post("/me/calendar/reset/")

    ada.refresh_from_db()
    assert response["Location"] == "/me/"
    assert ada.calendar_secret != old
    assert client.get(f"/me/calendar/{old}.ics").status_code == 404
    assert client.get(f"/me/calendar/{ada.calendar_secret}.ics").status_code == 200
    assert client.get("/me/calendar/reset/").status_code == 405


@pytest.mark.parametrize("terms", [1, 3])
def test_my_page_runs_a_fixed_number_of_queries_whatever_the_history(
    client, people, here, terms, django_assert_num_queries
):
    ada = people["ada"]
    for n in range(terms - 1):
        old = build_term(weeks=4, sections=1, slug=f"old-{n}")
        section = old.sections.get()
        EnrollmentFactory(section=section, member=ada)
        for meeting in section.meetings.all():
            AttendanceRecordFactory(meeting=meeting, member=ada)
    client.force_login(people["member of this section"])

    with django_assert_num_queries(13):
        response = client.get("/me/")

    assert list(response.context["sections"]) == [here]


@pytest.mark.parametrize("terms", [1, 3])
def test_my_calendar_runs_a_fixed_number_of_queries(
    client, people, terms, django_assert_num_queries
):
    ada = people["ada"]
    for n in range(terms - 1):
        section = build_term(weeks=4, sections=1, slug=f"old-{n}").sections.get()
        EnrollmentFactory(section=section, member=ada)

    with django_assert_num_queries(3):
        response = client.get(f"/me/calendar/{ada.calendar_secret}.ics")
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 4 * terms


def test_my_page_offers_cant_come_and_read_for_every_coming_meeting_of_my_sections(
    client, people, here, there
):
    ada = people["ada"]
    EnrollmentFactory(section=there, member=ada)
    old = build_term(weeks=2, sections=1, slug="old").sections.get()
    EnrollmentFactory(section=old, member=ada)
    now = timezone.now()
    coming = list(
        Meeting.objects.filter(section__in=[here, there], ends_at__gt=now).order_by(
            "starts_at", "pk"
        )
    )
    cancelled = coming[-1]
    cancel_meeting(meeting=cancelled, reason="Holiday", by=cancelled.section.leads.get())
    client.force_login(people["member of this section"])

    response = client.get("/me/")

    html = response.content.decode()
    offered = [m for m in coming if m != cancelled]
    assert response.context["upcoming"] == offered[:1]
    assert response.context["later"] == offered[1:]
    for meeting in [m for m in offered if m.starts_at > now]:
        assert f'action="/meetings/{meeting.pk}/cant-come/"' in html
        assert f'action="/meetings/{meeting.pk}/read/"' in html
        assert f'href="/meetings/{meeting.pk}/question/"' in html
    shut = [cancelled, *Meeting.objects.filter(section__in=[here, there, old], starts_at__lt=now)]
    for meeting in shut:
        assert f"/meetings/{meeting.pk}/cant-come/" not in html
        assert f"/meetings/{meeting.pk}/read/" not in html


def test_a_later_meeting_shows_what_i_said_about_it(client, people, here):
    later = list(Meeting.objects.filter(section=here, starts_at__gt=timezone.now()))[-1]
    client.force_login(people["member of this section"])

    client.post(f"/meetings/{later.pk}/cant-come/", {"reason": "Away"})
    client.post(f"/meetings/{later.pk}/read/")
    client.post(f"/meetings/{later.pk}/question/", {"question": "<i>Why?</i>"})
    html = client.get("/me/").content.decode()

    item = html.split(f'id="later-meeting-{later.pk}"', 1)[1].split("</li>", 1)[0]
    assert "<details open>" in item
    assert (
        '<span class="badge text-bg-secondary">Can\'t come</span> '
        '<span class="badge text-bg-success">Read</span> '
        '<span class="badge text-bg-info">Question</span>' in item
    )
    assert '(“<span class="apology-reason">Away</span>”)' in item
    assert '<span class="my-question">&lt;i&gt;Why?&lt;/i&gt;</span>' in item


@pytest.mark.parametrize(("sections", "terms"), [(1, 1), (2, 3)])
def test_my_page_with_every_coming_meeting_keeps_its_query_count(
    client, people, here, there, sections, terms, django_assert_num_queries
):
    ada = people["ada"]
    if sections == 2:
        EnrollmentFactory(section=there, member=ada)
    for n in range(terms - 1):
        section = build_term(weeks=4, sections=1, slug=f"old-{n}").sections.get()
        EnrollmentFactory(section=section, member=ada)
    mine = [here, there][:sections]
    for meeting in Meeting.objects.filter(section__in=mine, starts_at__gt=timezone.now()):
        Apology.objects.create(member=ada, meeting=meeting, reason="Away")
        Preparation.objects.create(member=ada, meeting=meeting, question="Why?")
    client.force_login(people["member of this section"])

    with django_assert_num_queries(13):
        response = client.get("/me/")

    meetings = Meeting.objects.filter(section__in=mine)
    shown = len(response.context["upcoming"]) + len(response.context["later"])
    assert shown == meetings.filter(ends_at__gt=timezone.now()).count()
    assert response.content.decode().count("I can come after all") == Apology.objects.count()
