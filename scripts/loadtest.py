#!/usr/bin/env python
"""`make loadtest`: the site under load, on gunicorn with production settings.

Phase 1: wrk holds --connections (64) connections for --duration (60) s on the public pages of
generated data (`generate_demo --scale 1`), a Lua script rotating over every schedule, week,
section, reading-list, BibTeX and JSON URL (with --feeds, the calendar feeds too), after
--warmup (10) s of the same load that fills each worker's page cache (reported, not judged).
Target: no error response and no socket error (wrk counts a response slower than 2 s as a
timeout).

Phase 2: --leads (16) section leads, each with their own section and roster of --members
people, log in through the login form and save their roster over and over for --save-duration
(30) s, concurrently, through real HTTP (threads, urllib with a cookie jar): read the roster
page for the CSRF token and the roster version, post a status and a remark for every member
(each save changes every line); on a 409 conflict, post again at the version the conflict
page gives, as a lead pressing Save again does. Then the database must hold exactly one record
per member and meeting, with the status and remark of the last successful save of that
roster, and no duplicate. With --sections below --leads, leads share rosters and conflict.

SQLite by default (a temporary file); with DATABASE_URL set (`scripts/with-postgres.sh make
loadtest`) that PostgreSQL database is flushed and used. Prints a summary and "OK" or
"FAILED"; the exit status is 1 when a target is missed. Not part of `make test`.
"""

import argparse
import datetime
import http.cookiejar
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ROOT, Server, ensure_wrk, manage, prepare_database, production_env, wrk

LEAD_PASSWORD = "loadtest-only-password-not-secret"  # a throwaway database
STATUSES = ["present", "late", "excused", "absent"]


# --- Data -------------------------------------------------------------------------------------


def setup_django(env):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def public_paths(*, feeds):
    """Every public page of every published term, and their calendar feeds if `feeds`."""
    from syllabus.models import Term

    paths = ["/", "/terms/"]
    for term in Term.objects.filter(is_published=True).prefetch_related("weeks", "sections"):
        base = f"/terms/{term.slug}/"
        paths += [base, f"{base}readings/", f"{base}readings.bib", f"{base}schedule.json"]
        paths += [f"{base}weeks/{week.number}/" for week in term.weeks.all()]
        paths += [f"{base}sections/{section.slug}/" for section in term.sections.all()]
        if feeds:
            paths.append(f"{base}calendar.ics")
            paths += [f"{base}sections/{s.slug}/calendar.ics" for s in term.sections.all()]
    return paths


def create_rosters(*, leads, sections, members):
    """An unpublished term with `sections` sections of `members` enrolled people each, and
    `leads` lead accounts, lead i leading section i % sections. Returns one dict per lead."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from attendance.models import Enrollment, Member
    from sections.models import Section
    from sections.services import sync_meetings
    from syllabus.models import Term, Week

    with transaction.atomic():
        term = Term.objects.create(
            name="Load test",
            slug="load-test",
            title="Load test",
            first_monday=datetime.date(2022, 9, 12),
            is_published=False,
        )
        Week.objects.create(term=term, number=1, title="Load", tagline="Does it hold?")
        section_objects = [
            Section.objects.create(
                term=term,
                name=f"Load {index + 1:02d}",
                slug=f"load-{index + 1:02d}",
                weekday=index % 5,
                start_time=datetime.time(9 + index % 8),
                end_time=datetime.time(10 + index % 8),
                room=f"L-{index + 1}",
            )
            for index in range(sections)
        ]
        sync_meetings(term=term)
        password = make_password(LEAD_PASSWORD)  # hashed once: the hasher is slow on purpose
        users = get_user_model().objects.bulk_create(
            get_user_model()(username=f"load-lead-{index + 1:02d}", password=password)
            for index in range(leads)
        )
        rosters = {}
        for index, section in enumerate(section_objects):
            people = Member.objects.bulk_create(
                Member(
                    name=f"Load member {index + 1}.{n + 1}",
                    email=f"m{index + 1}.{n + 1}@load.example",
                )
                for n in range(members)
            )
            Enrollment.objects.bulk_create(Enrollment(member=m, section=section) for m in people)
            rosters[section.pk] = [m.pk for m in people]
        plan = []
        for index, user in enumerate(users):
            section = section_objects[index % sections]
            section.leads.add(user)
            plan.append(
                {
                    "username": user.username,
                    "meeting": section.meetings.get().pk,
                    "members": rosters[section.pk],
                }
            )
    connection.close()
    return plan


def verify(plan, successes):
    """Compare the records in the database with the last successful save of each meeting."""
    from django.db.models import Count

    from attendance.models import AttendanceRecord

    meetings = {lead["meeting"] for lead in plan}
    last = {}
    for meeting, version, entries in successes:
        if version > last.get(meeting, (0, None))[0]:
            last[meeting] = (version, entries)
    expected = {
        (meeting, member): entry
        for meeting, (_version, entries) in last.items()
        for member, entry in entries.items()
    }
    records = AttendanceRecord.objects.filter(meeting__in=meetings)
    found = {
        (r.meeting_id, r.member_id): (r.status, r.remark)
        for r in records.only("meeting", "member", "status", "remark")
    }
    duplicates = records.values("meeting", "member").annotate(n=Count("pk")).filter(n__gt=1).count()
    roster_sizes = {lead["meeting"]: len(lead["members"]) for lead in plan}
    return {
        "meetings": len(meetings),
        "meetings saved": len(last),
        "expected": sum(roster_sizes.values()),
        "found": records.count(),
        "duplicates": duplicates,
        "wrong": sum(1 for key, entry in expected.items() if found.get(key) != entry),
        "unexpected": len(set(found) - set(expected)),
    }


# --- Phase 1: wrk on the public pages ---------------------------------------------------------


def lua_rotation(paths, directory):
    script = Path(directory) / "rotate.lua"
    listed = ",\n".join(f'  "{path}"' for path in paths)
    script.write_text(
        f"local paths = {{\n{listed}\n}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  return wrk.format(nil, paths[(n % #paths) + 1])\n"
        "end\n"
    )
    return script


def socket_error_count(text):
    return sum(int(n) for n in re.findall(r"\d+", text))


# --- Phase 2: leads saving rosters ------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to look at (a save went through), not something to follow."""

    def redirect_request(self, *args, **kwargs):
        return None


class Lead(threading.Thread):
    """One lead: logs in, waits for the others (`start`, a barrier that sets `clock`'s
    deadline), then saves their roster until the deadline."""

    def __init__(self, base, lead, number, start, clock):
        super().__init__(name=lead["username"])
        self.base, self.lead, self.number = base, lead, number
        self.start_line, self.clock = start, clock
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )
        self.roster_url = f"{base}/attendance/meetings/{lead['meeting']}/"
        self.successes, self.conflicts, self.errors, self.latencies = [], 0, [], []

    def request(self, url, data=None):
        """(status, body) of a GET, or of a POST when `data` is given."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def log_in(self):
        url = f"{self.base}/accounts/login/"
        _status, page = self.request(url)
        status, _page = self.request(
            url,
            {
                "csrfmiddlewaretoken": csrf_token(page),
                "username": self.lead["username"],
                "password": LEAD_PASSWORD,
                "next": self.roster_url,
            },
        )
        if status != 302:
            raise RuntimeError(f"login answered {status}")

    def run(self):
        try:
            self.log_in()
        except Exception as error:  # reported and counted: the run fails
            self.errors.append(f"login: {error!r}")
            self.start_line.wait()
            return
        self.start_line.wait()
        try:
            save = 0
            while time.monotonic() < self.clock["deadline"]:
                self.save_once(save)
                save += 1
        except Exception as error:  # reported and counted: the run fails
            self.errors.append(repr(error))

    def save_once(self, save):
        """Read the roster, post new entries; on a 409, post them again at the version the
        conflict page gives (as a lead pressing Save again does) until they go through."""
        status, page = self.request(self.roster_url)
        if status != 200:
            self.errors.append(f"GET roster {status}")
            return
        entries = {
            member: (
                STATUSES[(save + self.number + index) % len(STATUSES)],
                f"{self.lead['username']} save {save}",
            )
            for index, member in enumerate(self.lead["members"])
        }
        while time.monotonic() < self.clock["deadline"]:
            version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
            data = {
                "csrfmiddlewaretoken": csrf_token(page),
                "version": version,
                "action": "save",
                "walk_in-status": "present",
            }
            for member, (member_status, remark) in entries.items():
                data[f"status-{member}"] = member_status
                data[f"remark-{member}"] = remark
            started = time.perf_counter()
            status, page = self.request(self.roster_url, data)
            self.latencies.append(time.perf_counter() - started)
            if status == 302:
                # Every line changed (the remark names this save), so it made version + 1.
                self.successes.append((self.lead["meeting"], version + 1, entries))
                return
            if status != 409:
                self.errors.append(f"POST roster {status}")
                return
            self.conflicts += 1  # someone saved meanwhile: nothing was written; try again


def csrf_token(page):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def run_leads(base, plan, duration):
    """All leads log in (password hashing is slow on purpose, so that is not timed), then save
    for `duration` seconds."""
    clock = {}

    def start_the_clock():
        clock["started"] = time.perf_counter()
        clock["deadline"] = time.monotonic() + duration

    start = threading.Barrier(len(plan), action=start_the_clock)
    threads = [Lead(base, lead, number, start, clock) for number, lead in enumerate(plan)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - clock["started"]
    latencies = sorted(t for thread in threads for t in thread.latencies)
    return {
        "elapsed": elapsed,
        "saves": sum(len(thread.successes) for thread in threads),
        "conflicts": sum(thread.conflicts for thread in threads),
        "errors": [e for thread in threads for e in thread.errors],
        "idle leads": [thread.name for thread in threads if not thread.successes],
        "successes": [s for thread in threads for s in thread.successes],
        "p50": statistics.median(latencies) * 1000 if latencies else 0,
        "p95": latencies[int(len(latencies) * 0.95)] * 1000 if latencies else 0,
    }


# --- Report -----------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="phase 1 seconds")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--warmup", type=int, default=10, help="seconds of the same load first, not judged"
    )
    parser.add_argument(
        "--feeds", action="store_true", help="add the calendar feeds (not cached) to phase 1"
    )
    parser.add_argument("--save-duration", type=int, default=30, help="phase 2 seconds")
    parser.add_argument("--leads", type=int, default=16)
    parser.add_argument("--sections", type=int, help="rosters (default: one per lead)")
    parser.add_argument("--members", type=int, default=20, help="people per roster")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    args = parser.parse_args()
    args.sections = args.sections or args.leads
    ensure_wrk()

    database_url = os.environ.get("DATABASE_URL", "")
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    with tempfile.TemporaryDirectory(prefix="readinggroup-loadtest-") as tmp:
        env = production_env(database_url or f"sqlite:///{tmp}/loadtest.sqlite3")
        print(f"loadtest: {database}: generating data", flush=True)
        prepare_database(env, 1, 1)
        manage(env, "collectstatic", "--noinput", "-v0")
        setup_django(env)
        plan = create_rosters(leads=args.leads, sections=args.sections, members=args.members)
        paths = public_paths(feeds=args.feeds)
        from django.db import connection

        connection.close()  # the server's processes have the database to themselves
        script = lua_rotation(paths, tmp)
        server = Server(env, "", args.workers)
        try:
            print(
                f"loadtest: phase 1: {args.connections} connections for {args.duration} s "
                f"over {len(paths)} public URLs",
                flush=True,
            )
            warmup = None
            if args.warmup:
                warmup = wrk(server.base + "/", args.warmup, args.connections, script=script)
            public = wrk(server.base + "/", args.duration, args.connections, script=script)
            print(
                f"loadtest: phase 2: {args.leads} leads saving {args.sections} rosters of "
                f"{args.members} for {args.save_duration} s",
                flush=True,
            )
            saving = run_leads(server.base, plan, args.save_duration)
        finally:
            server.stop()
        check = verify(plan, saving["successes"])

    socket_errors = socket_error_count(public["socket_errors"])
    public_ok = public["errors"] == 0 and socket_errors == 0
    records_ok = (
        check["found"] == check["expected"]
        and check["meetings saved"] == check["meetings"]
        and check["duplicates"] == check["wrong"] == check["unexpected"] == 0
    )
    saving_ok = not saving["errors"] and records_ok
    print()
    print(
        f"Load test, {database}, gunicorn {args.workers} sync workers, "
        f"{os.cpu_count()} cores, {datetime.date.today()}"
    )
    print()
    print(
        "| phase 1: public pages | requests | req/s | p50 ms | p99 ms | error responses "
        "| socket errors | result |"
    )
    print("|---|---|---|---|---|---|---|---|")
    if warmup:
        print(
            f"| warm-up (caches cold), {args.warmup} s | {warmup['requests']} "
            f"| {warmup['rps']:.0f} | {warmup['p50']:.1f} | {warmup['p99']:.1f} "
            f"| {warmup['errors']} | {socket_error_count(warmup['socket_errors'])} | not judged |"
        )
    print(
        f"| {args.connections} connections, {args.duration} s, {len(paths)} URLs"
        f"{' with feeds' if args.feeds else ''} "
        f"| {public['requests']} | {public['rps']:.0f} | {public['p50']:.1f} "
        f"| {public['p99']:.1f} | {public['errors']} | {socket_errors} "
        f"| {'OK' if public_ok else 'FAILED'} |"
    )
    print()
    print(
        "| phase 2: rosters | saves | saves/s | save p50 ms | save p95 ms | conflicts (409) "
        "| errors | records expected | found | duplicated | wrong | result |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.leads} leads, {args.sections} rosters of {args.members}, "
        f"{args.save_duration} s | {saving['saves']} | {saving['saves'] / saving['elapsed']:.1f} "
        f"| {saving['p50']:.0f} | {saving['p95']:.0f} | {saving['conflicts']} "
        f"| {len(saving['errors'])} | {check['expected']} | {check['found']} "
        f"| {check['duplicates']} | {check['wrong'] + check['unexpected']} "
        f"| {'OK' if saving_ok else 'FAILED'} |"
    )
    if public["socket_errors"]:
        print(f"\nwrk socket errors: {public['socket_errors']}")
    for error in saving["errors"][:10]:
        print(f"lead error: {error}")
    if saving["idle leads"]:
        print(f"leads with no successful save: {', '.join(saving['idle leads'])}")
    print()
    print("OK" if public_ok and saving_ok else "FAILED")
    sys.exit(0 if public_ok and saving_ok else 1)


if __name__ == "__main__":
    main()
