#!/usr/bin/env python
"""Time and profile uncached renders of pages, in one process (docs/performance.md).

    DATABASE_URL=sqlite:////tmp/n50.sqlite3 .venv/bin/python scripts/profile_pages.py \
        --renders 30 --profile / /terms/{term}/weeks/3/

Each render goes through the test client with the cache off (CACHE_URL=dummy://; --cached: on,
in local memory) and production settings (DEBUG off), anonymously or (--lead) as a lead of the
current term's "wednesday" section. `{term}`, `{section}` and `{meeting}` in a path are filled in as
`make bench` fills them. Prints the median and best time per page; --profile adds cProfile's
top costs (by own time) of the renders.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.update(
    DJANGO_SETTINGS_MODULE="readinggroup.settings",
    DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "profile-only-not-secret"),
    DJANGO_DEBUG="0",
    DJANGO_ALLOWED_HOSTS="testserver",
    DJANGO_SECURE_COOKIES="0",
    DJANGO_LOG_LEVEL="WARNING",
    # --cached: the local-memory cache of a default deployment (what a lead's page can use).
    CACHE_URL="" if "--cached" in sys.argv else "dummy://",
)

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from sections.models import Meeting, Section  # noqa: E402
from syllabus.models import Term  # noqa: E402

DEFAULT_PATHS = [
    "/",
    "/terms/{term}/",
    "/terms/{term}/weeks/3/",
    "/terms/{term}/sections/wednesday/",
    "/terms/{term}/calendar.ics",
    "/terms/{term}/schedule.json",
    "/attendance/meetings/{meeting}/",
    "/attendance/sections/{section}/report/",
]


def names():
    term = Term.objects.current()
    section = Section.objects.filter(term=term).order_by("slug").first()
    section = Section.objects.filter(term=term, slug="wednesday").first() or section
    meeting = (
        Meeting.objects.filter(section=section, attendance_records__isnull=False).order_by(
            "-starts_at"
        )
    ).first() or Meeting.objects.filter(section=section).first()
    return {"term": term.slug, "section": section.pk, "meeting": meeting.pk}, section


def lead_client(section):
    user = section.leads.first()
    if user is None:
        user, _ = get_user_model().objects.get_or_create(username="profile-lead")
        section.leads.add(user)
    client = Client()
    client.force_login(user)
    return client


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--lead", action="store_true", help="render as a logged-in lead")
    parser.add_argument("--profile", action="store_true", help="print each page's top costs")
    parser.add_argument("--cached", action="store_true", help="with the cache on (not dummy://)")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    filled, section = names()
    client = lead_client(section) if args.lead else Client()
    for template in args.paths:
        path = template.format(**filled)
        if args.lead or path.startswith("/attendance/"):
            client = lead_client(section)
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        times = []
        profiler = cProfile.Profile() if args.profile else None
        for _ in range(args.renders):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            client.get(path)
            if profiler:
                profiler.disable()
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"{path}: {len(response.content)} bytes, median {statistics.median(times):.2f} ms, "
            f"best {min(times):.2f} ms over {args.renders} renders"
        )
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_stats(args.top * 2)


if __name__ == "__main__":
    main()
