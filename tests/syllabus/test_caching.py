"""Public pages come from the cache for anonymous visitors, and are never stale."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from sections.models import Meeting
from tests.admin_forms import admin_change

pytestmark = pytest.mark.django_db

PUBLIC_URLS = [
    "/",
    "/terms/",
    "/terms/fall-2022/",
    "/terms/fall-2022/weeks/6/",
    "/terms/fall-2022/sections/friday/",
    "/terms/fall-2022/readings/",
    "/terms/fall-2022/readings.bib",
    "/terms/fall-2022/schedule.json",
    "/terms/fall-2022/calendar.ics",
    "/terms/fall-2022/sections/friday/calendar.ics",
    "/terms/fall-2022/sections/friday/meetings/6.ics",
]


@pytest.fixture
def organizer_client(organizer):
    client = Client()
    client.force_login(organizer)
    return client


@pytest.mark.usefixtures("steady_clock")  # the second request must find the first's page
@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_cached_hit_runs_one_query(client, fall2022, django_assert_num_queries, url):
    first = client.get(url)

    with django_assert_num_queries(1):  # the data version
        second = client.get(url)

    assert second.content == first.content
    assert second["ETag"] == first["ETag"]


@pytest.mark.usefixtures("steady_clock")  # the second request must find the first's page
@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_matching_conditional_get_is_a_304_with_one_query(
    client, fall2022, django_assert_num_queries, url
):
    etag = client.get(url)["ETag"]

    with django_assert_num_queries(1):  # the data version
        response = client.get(url, headers={"If-None-Match": etag})

    assert (response.status_code, response.content) == (304, b"")


def test_stale_etag_gets_the_full_page(client, fall2022):
    response = client.get("/terms/fall-2022/", headers={"If-None-Match": '"not-the-etag"'})

    assert response.status_code == 200
    assert "Grokking" in response.content.decode()


def test_public_responses_may_be_stored_but_must_be_revalidated(client, fall2022):
    response = client.get("/terms/fall-2022/")

    assert response["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert response["Vary"] == "Cookie"


def test_logged_in_pages_are_never_served_from_the_shared_cache(client, organizer_client, fall2022):
    anonymous = client.get("/terms/fall-2022/").content.decode()

    logged_in = organizer_client.get("/terms/fall-2022/")

    assert "Log out" not in anonymous
    assert "Log out" in logged_in.content.decode()
    assert logged_in["Cache-Control"] == "private, no-cache"
    assert "Log out" not in client.get("/terms/fall-2022/").content.decode()


def test_week_title_edited_in_the_admin_shows_at_once(client, organizer_client, fall2022):
    week = fall2022.weeks.get(number=6)
    for url in ("/", "/terms/fall-2022/weeks/6/", "/terms/fall-2022/readings/"):
        assert "Grokking" in client.get(url).content.decode()

    response = admin_change(
        organizer_client, f"/admin/syllabus/week/{week.pk}/change/", title="Grokking, revisited"
    )

    assert response.status_code == 302
    for url in ("/", "/terms/fall-2022/weeks/6/", "/terms/fall-2022/readings/"):
        assert "Grokking, revisited" in client.get(url).content.decode(), url


def test_reading_edited_in_the_admin_shows_at_once(client, organizer_client, fall2022):
    reading = fall2022.weeks.get(number=6).readings.get(paper__arxiv_id="2201.02177")
    client.get("/terms/fall-2022/weeks/6/")

    admin_change(
        organizer_client, f"/admin/syllabus/reading/{reading.pk}/change/", note="sections 1–3"
    )

    assert "sections 1–3" in client.get("/terms/fall-2022/weeks/6/").content.decode()


def test_paper_edited_in_the_admin_shows_at_once(client, organizer_client, fall2022):
    reading = fall2022.weeks.get(number=6).readings.get(paper__arxiv_id="2201.02177")
    client.get("/terms/fall-2022/readings/")

    admin_change(
        organizer_client,
        f"/admin/syllabus/paper/{reading.paper_id}/change/",
        title="Grokking (the original paper)",
    )

    content = client.get("/terms/fall-2022/readings/").content.decode()
    assert "Grokking (the original paper)" in content


def test_section_room_edited_in_the_admin_shows_at_once(client, organizer_client, fall2022):
    section = fall2022.sections.get(slug="wednesday")
    client.get("/terms/fall-2022/sections/wednesday/")
    client.get("/")

    admin_change(organizer_client, f"/admin/sections/section/{section.pk}/change/", room="32-123")

    assert "32-123" in client.get("/terms/fall-2022/sections/wednesday/").content.decode()
    assert "32-123" in client.get("/").content.decode()


def test_meeting_cancelled_by_its_lead_shows_at_once(client, organizer_client, fall2022):
    meeting = Meeting.objects.get(section__slug="friday", week__number=9)
    client.get("/terms/fall-2022/weeks/9/")

    organizer_client.post(
        f"/meetings/{meeting.pk}/change/", {"cancel": "1", "reason": "No meeting: Veterans Day"}
    )

    content = client.get("/terms/fall-2022/weeks/9/").content.decode()
    assert "No meeting: Veterans Day" in content
    assert "Cancelled" in content


def test_note_published_by_its_lead_shows_at_once(client, organizer_client, fall2022):
    meeting = Meeting.objects.get(section__slug="wednesday", week__number=6)
    for url in ("/terms/fall-2022/weeks/6/", "/terms/fall-2022/sections/wednesday/"):
        assert "Grokking took a while" not in client.get(url).content.decode()

    organizer_client.post(
        f"/meetings/{meeting.pk}/notes/",
        {"body": "Grokking took a while.", "status": "published", "version": 0},
    )

    for url in ("/terms/fall-2022/weeks/6/", "/terms/fall-2022/sections/wednesday/"):
        assert "Grokking took a while" in client.get(url).content.decode(), url


def test_meeting_moved_shows_at_once_in_the_feed_and_the_json(client, organizer_client, fall2022):
    meeting = Meeting.objects.get(section__slug="wednesday", week__number=6)
    client.get("/terms/fall-2022/calendar.ics")
    client.get("/terms/fall-2022/schedule.json")

    organizer_client.post(
        f"/meetings/{meeting.pk}/change/",
        {"move": "1", "date": "2022-10-20", "start_time": "18:00", "end_time": "20:00",
         "room": "32-123"},
    )  # fmt: skip

    assert b"LOCATION:32-123" in client.get("/terms/fall-2022/calendar.ics").content
    assert '"room": "32-123"' in client.get("/terms/fall-2022/schedule.json").content.decode()


def test_a_slug_longer_than_any_term_is_a_404_not_a_cache_key_error(client, fall2022):
    """Found by tests/sections/test_hostile_input.py: the term's version key took the URL's
    slug as it came, and memcached refuses keys over 250 bytes (locmem warns, which the suite
    makes an error)."""
    client.raise_request_exception = False

    response = client.get("/terms/" + "x" * 300 + "/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_term_that_ends_says_so_from_the_first_hour_after_its_last_sunday(
    client, fall2022, monkeypatch, django_assert_num_queries
):
    """Pages are cached by the data version and the hour (UTC): the hour that begins at local
    midnight after the term's last Sunday (November 27, 2022) gets a page of its own, which
    says the term has ended, with no data changed in between."""
    clock = {"now": datetime.datetime(2022, 11, 28, 4, 30, tzinfo=datetime.UTC)}  # 11:30 pm
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    ended = "This term ended on November 27, 2022."

    sunday_night = client.get("/").content.decode()
    with django_assert_num_queries(1):  # the same hour: the cached page
        cached = client.get("/").content.decode()
    clock["now"] = datetime.datetime(2022, 11, 28, 5, 0, 30, tzinfo=datetime.UTC)  # 12:00 am
    monday = client.get("/").content.decode()

    assert (ended in sunday_night, ended in cached, ended in monday) == (False, False, True)
