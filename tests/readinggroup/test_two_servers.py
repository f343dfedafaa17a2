"""Members never see a stale schedule, whichever process or server made the change.

Two real gunicorn servers (separate processes, two sync workers each, separate ports) on one
database (SQLite file, or a fresh database on the PostgreSQL server the suite runs against),
(a) with the default cache settings (each worker process its own local memory) and (b) sharing
a real Redis. Every page, both feeds and schedule.json are first cached in every worker of both
servers; then a change is made through server A (a lead cancels a meeting, an organizer edits a
week in the admin, a lead publishes a note) or by `manage.py shell` with a queryset `update()`
(no signals), and the very next anonymous requests to server B (and to A) must all show it.
"""

import json

import pytest

from tests.servers import (
    Browser,
    Gunicorn,
    anonymous_get,
    fresh_database,
    prepare_site,
    production_env,
    redis_server,
    shell,
)

pytestmark = pytest.mark.slow

PASSWORD = "two-servers-test-password"
TERM = "/terms/fall-2022/"
WEEK = {n: f"/terms/fall-2022/weeks/{n}/" for n in range(1, 12)}
FRIDAY = "/terms/fall-2022/sections/friday/"
WEDNESDAY = "/terms/fall-2022/sections/wednesday/"
TERM_FEED = "/terms/fall-2022/calendar.ics"
FRIDAY_FEED = "/terms/fall-2022/sections/friday/calendar.ics"
WEDNESDAY_FEED = "/terms/fall-2022/sections/wednesday/calendar.ics"
JSON = "/terms/fall-2022/schedule.json"
EVERY_PAGE = ["/", TERM, WEEK[6], WEEK[9], WEEK[10], FRIDAY, WEDNESDAY, TERM_FEED, FRIDAY_FEED,
              WEDNESDAY_FEED, JSON]  # fmt: skip
REQUESTS_PER_CHECK = 8  # per page and server: enough to reach both workers of each

SET_UP_PEOPLE = f"""
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from sections.models import Meeting
User = get_user_model()
lead = User.objects.get(username="emichaud")
lead.set_password({PASSWORD!r})
lead.save()
organizer = User.objects.create_user("organizer", password={PASSWORD!r}, is_staff=True)
organizer.groups.add(Group.objects.get(name="Organizers"))
meeting = lambda section, week: Meeting.objects.get(section__slug=section, week__number=week).pk
print(json.dumps({{
    "friday_9": meeting("friday", 9),
    "wednesday_6": meeting("wednesday", 6),
    "wednesday_10": meeting("wednesday", 10),
    "week_6": Meeting.objects.get(pk=meeting("wednesday", 6)).week_id,
}}))
"""


@pytest.fixture(params=["local memory", "redis"], scope="module")
def site(request, tmp_path_factory):
    """Two servers on one fresh database, with the cache setting of the parameter."""
    tmp = tmp_path_factory.mktemp("two-servers")
    with fresh_database(tmp) as database_url:
        if request.param == "redis":
            with redis_server(tmp) as cache_url:
                yield from _two_servers(tmp, production_env(database_url, cache_url))
        else:
            yield from _two_servers(tmp, production_env(database_url))


def _two_servers(tmp, env):
    prepare_site(env)
    ids = json.loads(shell(env, SET_UP_PEOPLE).strip().splitlines()[-1])
    a = Gunicorn(env, tmp / "a.log")
    try:
        b = Gunicorn(env, tmp / "b.log")
        try:
            yield {"env": env, "a": a, "b": b, "ids": ids}
        finally:
            b.stop()
    finally:
        a.stop()


def fill_caches(site):
    for server in (site["a"], site["b"]):
        for path in EVERY_PAGE:
            for _ in range(REQUESTS_PER_CHECK):
                anonymous_get(server.base, path)


def stale_answers(server, paths, is_fresh):
    """The next anonymous requests of `paths`: (path, response) pairs that do not pass."""
    stale = []
    for path in paths:
        for _ in range(REQUESTS_PER_CHECK):
            body = anonymous_get(server.base, path)
            if path.endswith(".ics"):  # unfold lines, unescape commas
                body = body.replace("\r\n ", "").replace("\\,", ",")
            if not is_fresh(path, body):
                stale.append((path, body[:200]))
    return stale


def json_meeting(body, section, week):
    (found,) = [
        m
        for s in json.loads(body)["sections"]
        if s["slug"] == section
        for m in s["meetings"]
        if m["week"] == week
    ]
    return found


def test_a_leads_cancel_through_one_server_shows_on_the_other(site):
    fill_caches(site)
    meeting = site["ids"]["friday_9"]
    assert "Veterans Day" not in anonymous_get(site["b"].base, WEEK[9])
    lead = Browser(site["a"].base)
    lead.log_in("emichaud", PASSWORD)

    lead.submit(
        f"/meetings/{meeting}/change/", "reason", cancel="1", reason="No meeting: Veterans Day"
    )

    def fresh(path, body):
        if path == JSON:
            return json_meeting(body, "friday", 9)["status"] == "cancelled"
        if path.endswith(".ics"):
            return "STATUS:CANCELLED" in body if path != WEDNESDAY_FEED else True
        return "No meeting: Veterans Day" in body

    pages = [WEEK[9], FRIDAY, TERM, TERM_FEED, FRIDAY_FEED, JSON]
    assert stale_answers(site["b"], pages, fresh) == []
    assert stale_answers(site["a"], pages, fresh) == []


def test_an_organizers_admin_edit_through_one_server_shows_on_the_other(site):
    fill_caches(site)
    organizer = Browser(site["a"].base)
    organizer.log_in("organizer", PASSWORD)

    url, _ = organizer.submit(
        f"/admin/syllabus/week/{site['ids']['week_6']}/change/", "title", title="Grokking, again"
    )

    assert url.endswith("/admin/syllabus/week/"), url  # saved, back on the list
    pages = ["/", TERM, WEEK[6], WEDNESDAY, FRIDAY, TERM_FEED, FRIDAY_FEED, WEDNESDAY_FEED, JSON]
    assert stale_answers(site["b"], pages, lambda path, body: "Grokking, again" in body) == []


def test_a_note_published_through_one_server_shows_on_the_other(site):
    fill_caches(site)
    lead = Browser(site["a"].base)
    lead.log_in("emichaud", PASSWORD)

    lead.submit(
        f"/meetings/{site['ids']['wednesday_6']}/notes/",
        "body",
        body="We argued about weight decay until nine.",
        status="published",
        save="1",
    )

    pages = [WEEK[6], WEDNESDAY]
    assert stale_answers(site["b"], pages, lambda path, body: "weight decay until" in body) == []


def test_a_write_from_manage_py_shell_shows_on_both_servers(site):
    """A queryset update() sends no signal: only the database can tell the servers."""
    fill_caches(site)
    meeting = site["ids"]["wednesday_10"]

    shell(
        site["env"],
        f"from sections.models import Meeting; "
        f"Meeting.objects.filter(pk={meeting}).update(room_override='32-D463')",
    )

    def fresh(path, body):
        if path == JSON:
            return json_meeting(body, "wednesday", 10)["room"] == "32-D463"
        return "32-D463" in body

    pages = [WEEK[10], WEDNESDAY, TERM, TERM_FEED, WEDNESDAY_FEED, JSON]
    assert stale_answers(site["b"], pages, fresh) == []
    assert stale_answers(site["a"], pages, fresh) == []


def test_a_leads_schedule_shows_a_write_from_manage_py_shell_on_both_servers(site):
    """A lead's schedule takes its content from the cache (it is everyone's content), by the
    same data version as the anonymous pages: never stale, whichever process wrote."""
    leads = {name: Browser(site[name].base) for name in ("a", "b")}
    for lead in leads.values():
        lead.log_in("emichaud", PASSWORD)
        for path in ("/", TERM):
            for _ in range(REQUESTS_PER_CHECK):  # the content cached in both workers
                body = lead.get(path)
                assert "Log out Eric" in body
                assert "From the shell" not in body

    shell(
        site["env"],
        "from syllabus.models import Week; "
        "Week.objects.filter(term__slug='fall-2022', number=4).update(title='From the shell')",
    )

    for name, lead in leads.items():
        for path in ("/", TERM):
            bodies = [lead.get(path) for _ in range(REQUESTS_PER_CHECK)]
            stale = [body[:200] for body in bodies if "From the shell" not in body]
            assert stale == [], (name, path)
            assert all("Log out Eric" in body for body in bodies)
