#!/usr/bin/env python
"""`make checkin-load`: check-ins per second at the door, on gunicorn with production settings.

One section of --members (400) enrolled members, whose meeting's check-in window is open now
(the meeting starts in 5 minutes and lasts 2 hours, so every check-in is "present"). Two
phases, each through real HTTP from --concurrency (32) threads (urllib with a cookie jar per
member), every member once, as their phone would:

1. **Signed in.** Each member has a session (made in the database beforehand, as a sign-in link
   leaves one): GET /checkin/<code>/ with the meeting's current code (computed with
   attendance.checkin.current_code, as the lead's screen shows it), then POST the confirmation
   with the CSRF token and the ticket.
2. **By email** (with --email-members, default as many again; 0 skips it): no session; GET the
   same page, POST the email. The per-client limit of 3 emails per meeting
   (CHECKIN_EMAILS_PER_CLIENT) would refuse all but 3 from 127.0.0.1, so the server runs with
   DJANGO_CHECKIN_EMAILS_PER_CLIENT raised to the number of members. No email is configured,
   so no sign-in link is queued.

Then the database must hold exactly one record per member with source "self" and status
"present", and no duplicate. Prints a table per phase and "OK" or "FAILED" (exit status 1).
SQLite by default (a temporary file); with DATABASE_URL set (`scripts/with-postgres.sh make
checkin-load`) that PostgreSQL database is flushed and used. Not part of `make test`.
"""

import argparse
import datetime
import http.cookiejar
import os
import queue
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
from bench import Server, manage, production_env
from loadtest import NoRedirect, csrf_token, setup_django

DONE = "You are checked in"


# --- Data -------------------------------------------------------------------------------------


def open_meeting(*, now):
    """An unpublished term with one section whose meeting's check-in window is open at `now`:
    the meeting (week 1's, made by sync_meetings) is moved to start 5 minutes after `now` and
    to last 2 hours, so that check-ins are "present", not "late"."""
    from sections.models import Meeting, Section
    from sections.services import sync_meetings
    from syllabus.models import Term, Week

    today = now.date()
    term = Term.objects.create(
        name="Check-in load",
        slug="checkin-load",
        title="Check-in load",
        first_monday=today - datetime.timedelta(days=today.weekday()),
        is_published=False,
    )
    Week.objects.create(term=term, number=1, title="Door", tagline="How fast is the door?")
    section = Section.objects.create(
        term=term,
        name="Door",
        slug="door",
        weekday=today.weekday() % 5,
        start_time=datetime.time(9),
        end_time=datetime.time(10),
        room="D-1",
    )
    sync_meetings(term=term)
    starts_at = now + datetime.timedelta(minutes=5)
    Meeting.objects.filter(section=section).update(
        starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=2)
    )
    return Meeting.objects.select_related("section__term").get(section=section)


def create_members(*, meeting, signed_in, by_email):
    """`signed_in` members with a user and a session each (returns their session keys) and
    `by_email` members without (returns their emails), all enrolled in `meeting`'s section."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from attendance.models import Enrollment, Member
    from attendance.services import user_for_member

    people = Member.objects.bulk_create(
        Member(name=f"Door member {n + 1}", email=f"door{n + 1}@load.example")
        for n in range(signed_in + by_email)
    )
    Enrollment.objects.bulk_create(Enrollment(member=m, section=meeting.section) for m in people)
    sessions = []
    for member in people[:signed_in]:
        user = user_for_member(member=member)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "attendance.backends.SesameBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    return sessions, [m.email for m in people[signed_in:]]


def verify(meeting_pk, expected):
    from django.db.models import Count

    from attendance.models import AttendanceRecord

    records = AttendanceRecord.objects.filter(meeting_id=meeting_pk)
    return {
        "expected": expected,
        "found": records.count(),
        "self present": records.filter(source="self", status="present").count(),
        "duplicates": records.values("member").annotate(n=Count("pk")).filter(n__gt=1).count(),
    }


# --- The phones -------------------------------------------------------------------------------


class Phone:
    """One member's phone: its own cookie jar (with the session cookie when signed in)."""

    def __init__(self, base, session_key=None):
        self.base = base
        jar = http.cookiejar.CookieJar()
        if session_key:
            jar.set_cookie(
                http.cookiejar.Cookie(
                    0, "sessionid", session_key, None, False, "127.0.0.1", False, False,
                    "/", True, False, None, False, None, None, {},
                )
            )  # fmt: skip
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), NoRedirect()
        )

    def request(self, url, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


def check_in_once(base, code_now, session_key=None, email=None):
    """GET the page the QR code opens, POST the confirmation (or the email). Returns the two
    latencies in seconds; raises RuntimeError on anything but a check-in."""
    phone = Phone(base, session_key)
    url = f"{base}/checkin/{code_now()}/"
    started = time.perf_counter()
    status, page = phone.request(url)
    got = time.perf_counter()
    if status != 200:
        raise RuntimeError(f"GET {status}")
    data = {
        "csrfmiddlewaretoken": csrf_token(page),
        "ticket": re.search(r'name="ticket" value="([^"]+)"', page).group(1),
    }
    if email is not None:
        data["email"] = email
    status, page = phone.request(url, data)
    posted = time.perf_counter()
    if status != 200 or DONE not in page:
        raise RuntimeError(f"POST {status}")
    return got - started, posted - got


def run_phase(base, code_now, jobs, concurrency):
    """Every job (a dict of check_in_once's keyword arguments) once, from `concurrency`
    threads, started together."""
    work = queue.Queue()
    for job in jobs:
        work.put(job)
    gets, posts, errors = [], [], []
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)

    def phone_user():
        start.wait()
        while True:
            try:
                job = work.get_nowait()
            except queue.Empty:
                return
            try:
                get, post = check_in_once(base, code_now, **job)
            except Exception as error:  # counted and reported: the run fails
                with lock:
                    errors.append(repr(error))
                continue
            with lock:
                gets.append(get)
                posts.append(post)

    threads = [threading.Thread(target=phone_user) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    both = sorted(g + p for g, p in zip(gets, posts, strict=True))
    return {
        "elapsed": elapsed,
        "check-ins": len(posts),
        "errors": errors,
        "get p50": percentile(gets, 0.5),
        "post p50": percentile(posts, 0.5),
        "post p95": percentile(posts, 0.95),
        "both p50": percentile(both, 0.5),
        "both p95": percentile(both, 0.95),
    }


def percentile(values, fraction):
    values = sorted(values)
    if not values:
        return 0.0
    if fraction == 0.5:
        return statistics.median(values) * 1000
    return values[min(int(len(values) * fraction), len(values) - 1)] * 1000


# --- Report -----------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=400, help="signed-in members")
    parser.add_argument(
        "--email-members", type=int, help="members checking in by email (default: --members)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="phones at once")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    args = parser.parse_args()
    if args.email_members is None:
        args.email_members = args.members

    database_url = os.environ.get("DATABASE_URL", "")
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    with tempfile.TemporaryDirectory(prefix="readinggroup-checkinload-") as tmp:
        env = production_env(database_url or f"sqlite:///{tmp}/checkinload.sqlite3")
        env["DJANGO_CHECKIN_EMAILS_PER_CLIENT"] = str(max(args.email_members, 3))
        print(f"checkin-load: {database}: creating the meeting and members", flush=True)
        manage(env, "migrate", "--noinput", "-v0")
        if database == "PostgreSQL":
            manage(env, "flush", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        setup_django(env)
        from django.db import connection
        from django.utils import timezone

        from attendance import checkin

        meeting = open_meeting(now=timezone.now())
        sessions, emails = create_members(
            meeting=meeting, signed_in=args.members, by_email=args.email_members
        )
        connection.close()  # the server's processes have the database to themselves

        def code_now():
            return checkin.current_code(meeting, timezone.now())

        server = Server(env, "", args.workers)
        try:
            load_before = os.getloadavg()[0]
            print(f"checkin-load: phase 1: {args.members} signed-in members", flush=True)
            signed = run_phase(
                server.base, code_now, [{"session_key": k} for k in sessions], args.concurrency
            )
            by_email = None
            if emails:
                print(f"checkin-load: phase 2: {len(emails)} members by email", flush=True)
                by_email = run_phase(
                    server.base, code_now, [{"email": e} for e in emails], args.concurrency
                )
            load_after = os.getloadavg()[0]
        finally:
            server.stop()
        check = verify(meeting.pk, args.members + args.email_members)

    phases = [(f"signed in, {args.members} members", signed)]
    if by_email:
        phases.append((f"by email, {args.email_members} members", by_email))
    records_ok = (
        check["found"] == check["self present"] == check["expected"] and not check["duplicates"]
    )
    ok = records_ok and not any(phase["errors"] for _label, phase in phases)
    print()
    print(
        f"Check-in load, {database}, gunicorn {args.workers} sync workers, "
        f"{args.concurrency} phones at once, {os.cpu_count()} cores, load average "
        f"{load_before:.1f} before / {load_after:.1f} after, {datetime.date.today()}"
    )
    print()
    print(
        "| phase | check-ins | check-ins/s | requests/s | GET p50 ms | POST p50 ms | POST p95 ms "
        "| check-in p50 ms | check-in p95 ms | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, phase in phases:
        rate = phase["check-ins"] / phase["elapsed"]
        print(
            f"| {label} | {phase['check-ins']} | {rate:.0f} | {2 * rate:.0f} "
            f"| {phase['get p50']:.0f} | {phase['post p50']:.0f} | {phase['post p95']:.0f} "
            f"| {phase['both p50']:.0f} | {phase['both p95']:.0f} | {len(phase['errors'])} |"
        )
    print()
    print(
        f"records: expected {check['expected']}, found {check['found']}, source self and "
        f"present {check['self present']}, duplicated {check['duplicates']}"
    )
    for _label, phase in phases:
        for error in phase["errors"][:10]:
            print(f"error: {error}")
    print()
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
