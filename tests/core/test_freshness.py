"""Every write to what members see moves the data version on, however it is made; nothing else
does. (Between processes and servers: tests/readinggroup/test_two_servers.py.)"""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from attendance.models import Member
from attendance.services import Entry, record_attendance
from core.freshness import current_version, install_triggers, watched_tables
from sections.models import Meeting
from syllabus.models import Paper, Reading, Week

pytestmark = pytest.mark.django_db

WEEK_6 = "/terms/fall-2022/weeks/6/"


def test_a_queryset_update_shows_at_once(client, fall2022):
    assert "Grokking" in client.get(WEEK_6).content.decode()

    Week.objects.filter(term=fall2022, number=6).update(title="Updated without signals")

    assert "Updated without signals" in client.get(WEEK_6).content.decode()


def test_bulk_created_readings_show_at_once(client, fall2022):
    client.get(WEEK_6)
    paper = Paper.objects.create(title="A bulk-created reading", authors="A. Author", year=2022)

    Reading.objects.bulk_create([Reading(week=fall2022.weeks.get(number=6), paper=paper, order=99)])

    assert "A bulk-created reading" in client.get(WEEK_6).content.decode()


def test_sql_typed_by_hand_shows_at_once(client, fall2022):
    client.get("/terms/fall-2022/calendar.ics")

    with connection.cursor() as cursor:
        cursor.execute("UPDATE syllabus_week SET title = %s WHERE number = 6", ["Typed by hand"])

    assert b"SUMMARY:Week 6: Typed by hand" in client.get("/terms/fall-2022/calendar.ics").content


def test_deleting_rows_shows_at_once(client, fall2022):
    assert "2201.02177" in client.get("/terms/fall-2022/readings/").content.decode()

    Reading.objects.filter(week__term=fall2022, week__number=6).delete()

    assert "2201.02177" not in client.get("/terms/fall-2022/readings/").content.decode()


def test_loaddata_shows_at_once(client, fall2022, tmp_path):
    week = fall2022.weeks.get(number=6)
    client.get(WEEK_6)
    fixture = tmp_path / "week.json"
    fields = {"term": fall2022.pk, "number": 6, "title": "Loaded from a fixture", "tagline": ""}
    fixture.write_text(json.dumps([{"model": "syllabus.week", "pk": week.pk, "fields": fields}]))

    call_command("loaddata", str(fixture), verbosity=0)

    assert "Loaded from a fixture" in client.get(WEEK_6).content.decode()


def test_a_lead_renamed_shows_at_once(client, fall2022):
    client.get("/terms/fall-2022/sections/friday/")

    get_user_model().objects.filter(username="ainfanger").update(first_name="Alexandra")

    assert "Alexandra" in client.get("/terms/fall-2022/sections/friday/").content.decode()


def test_logging_in_keeps_the_cached_pages(client, fall2022):
    version = current_version()

    user = get_user_model().objects.get(username="emichaud")
    user.set_password("a password for this test")
    user.save()
    client.login(username="emichaud", password="a password for this test")  # stamps last_login
    get_user_model().objects.create_user("newcomer")

    assert current_version() == version


def test_recording_attendance_keeps_the_cached_pages(fall2022):
    meeting = Meeting.objects.get(section__slug="friday", week__number=2)
    member = Member.objects.create(name="Dana Scully", email="dana@example.edu")
    meeting.section.enrollments.create(member=member)
    version = current_version()

    record_attendance(
        meeting=meeting,
        entries=[Entry(member.pk, "present", "")],
        recorded_by=None,
        expected_version=0,
    )

    assert current_version() == version


def test_touching_the_feeds_stamp_alone_keeps_the_cached_pages(fall2022):
    version = current_version()

    Meeting.objects.for_term(fall2022).touch()

    assert current_version() == version


def test_every_change_gives_a_new_larger_version(fall2022):
    seen = [current_version()]
    for title in ("One", "Two", "Three"):
        Week.objects.filter(term=fall2022, number=1).update(title=title)
        seen.append(current_version())

    assert seen == sorted(set(seen))


def test_the_version_never_repeats_after_its_row_is_gone(fall2022):
    before = current_version()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_dataversion")
    assert current_version() == 0

    Week.objects.filter(term=fall2022, number=1).update(title="After the row was gone")

    assert current_version() > before


def test_migrate_puts_the_triggers_back_and_moves_the_version_on(fall2022):
    """SQLite drops a table's triggers when a migration rebuilds it; data migrations may write
    while they are gone: the end of every migrate re-creates them and counts as a change."""
    version = current_version()

    install_triggers()

    assert current_version() > version
    Week.objects.filter(term=fall2022, number=1).update(title="Still watched")
    assert current_version() > version


def test_every_table_members_see_is_watched():
    assert watched_tables() == [
        "auth_user",
        "sections_discussionnote",
        "sections_meeting",
        "sections_section",
        "sections_section_leads",
        "syllabus_paper",
        "syllabus_reading",
        "syllabus_term",
        "syllabus_term_organizers",
        "syllabus_week",
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name LIKE 'rgfresh%%'"
            )
        else:
            cursor.execute("SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger'")
        assert sorted(row[0] for row in cursor.fetchall()) == watched_tables()


# --- The cache key: host, scheme and query strings --------------------------------------------


def test_each_host_gets_its_own_absolute_urls(client, fall2022, settings):
    settings.ALLOWED_HOSTS = ["rg.example.edu", "mirror.example.org"]

    first = client.get("/terms/fall-2022/schedule.json", HTTP_HOST="rg.example.edu").json()
    second = client.get("/terms/fall-2022/schedule.json", HTTP_HOST="mirror.example.org").json()

    assert first["term"]["url"] == "http://rg.example.edu/terms/fall-2022/"
    assert second["term"]["url"] == "http://mirror.example.org/terms/fall-2022/"


def test_https_and_http_get_their_own_absolute_urls(client, fall2022):
    plain = client.get("/terms/fall-2022/schedule.json").json()
    secure = client.get("/terms/fall-2022/schedule.json", secure=True).json()

    assert (plain["term"]["url"], secure["term"]["url"]) == (
        "http://testserver/terms/fall-2022/",
        "https://testserver/terms/fall-2022/",
    )


def _entries():
    return len(cache._cache)  # the local-memory cache's own store


def test_query_strings_cannot_fill_the_cache(client, fall2022, django_assert_num_queries):
    client.get("/terms/fall-2022/")
    entries = _entries()

    for n in range(50):
        assert client.get(f"/terms/fall-2022/?utm_source=mail{n}").status_code == 200
        assert client.get(f"/terms/?page=0{n}").status_code == 200
        assert client.get(f"/terms/?page=1&page={n}").status_code == 200

    assert _entries() <= entries + 1  # /terms/ itself, once
    with django_assert_num_queries(1):  # the data version: served from the cache
        client.get("/terms/fall-2022/?utm_source=another")


def test_page_numbers_are_cached_apart(client, fall2022):
    from tests.factories import TermFactory

    for n in range(25):
        TermFactory(slug=f"term-{n:02d}", name=f"Term {n:02d}")

    first = client.get("/terms/").content.decode()
    second = client.get("/terms/?page=2").content.decode()

    assert first != second
    assert client.get("/terms/?page=2").content.decode() == second


@pytest.mark.django_db(transaction=True)
def test_the_version_read_replaces_a_connection_the_server_dropped():
    """The read is the request's health check: a persistent connection that PostgreSQL closed
    (a restart, an idle timeout) is replaced instead of answering a 503."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server to drop the connection")
    current_version()
    pid = connection.connection.get_backend_pid()
    other = connection.copy()
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()

    version = current_version()

    assert isinstance(version, int)
    assert connection.connection.get_backend_pid() != pid


@pytest.mark.usefixtures("steady_clock")  # the second request must find the first's content
def test_a_leads_schedule_takes_its_content_from_the_cache_until_a_change(
    client, fall2022, django_assert_num_queries
):
    """A signed-in page is never in the page cache, but the schedule's content is everyone's:
    a lead's second visit runs none of its queries, and a change shows on the next."""
    client.force_login(get_user_model().objects.get(username="emichaud"))
    first = client.get("/terms/fall-2022/")

    # The session, its user (with the roles the lead's menu needs), the term, the data version.
    with django_assert_num_queries(4):
        second = client.get("/terms/fall-2022/")

    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub(b"", second.content) == token.sub(b"", first.content)
    Week.objects.filter(term=fall2022, number=4).update(title="Changed while the lead looked")
    assert "Changed while the lead looked" in client.get("/terms/fall-2022/").content.decode()
