#!/usr/bin/env python
"""Profile and time uncached renders of the calendar feeds, in one process (docs/performance.md).

    DATABASE_URL=sqlite:////tmp/fixture.sqlite3 .venv/bin/python scripts/profile_feeds.py \
        --feed /terms/fall-2022/calendar.ics --renders 50 --profile

`--feed biggest` picks the term with the most dated meetings. Each render goes through the test
client with the page cache off (CACHE_URL=dummy://), production settings (DEBUG off). Renders
alternate between icalendar's own `to_ical()` ("icalendar") and `sections.calendars.ical_bytes`
("folded once"), so both are timed under the same machine load; the two bodies must be equal.
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
    CACHE_URL="dummy://",
)

import django

django.setup()

from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402

from sections import calendars  # noqa: E402
from syllabus.models import Term  # noqa: E402

SERIALISERS = {
    "icalendar": lambda calendar: calendar.to_ical(),
    "folded once": calendars.ical_bytes,
}


def biggest_term_feed():
    dated = Count("sections__meetings", filter=Q(sections__meetings__starts_at__isnull=False))
    term = Term.objects.annotate(dated=dated).order_by("-dated", "pk").first()
    return f"/terms/{term.slug}/calendar.ics"


def render(client, path, serialiser):
    calendars.ical_bytes = SERIALISERS[serialiser]
    try:
        response = client.get(path)
    finally:
        calendars.ical_bytes = SERIALISERS["folded once"]
    assert response.status_code == 200, (path, response.status_code)
    return response.content


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feed", default="/terms/fall-2022/calendar.ics")
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="print each path's top costs")
    args = parser.parse_args()
    path = biggest_term_feed() if args.feed == "biggest" else args.feed
    client = Client()
    bodies = {name: render(client, path, name) for name in SERIALISERS}  # warm up
    assert bodies["icalendar"] == bodies["folded once"], "the bodies differ"
    body = bodies["icalendar"]
    print(f"{path}: {len(body)} bytes, {body.count(b'BEGIN:VEVENT')} events")
    times = {name: [] for name in SERIALISERS}
    for _ in range(args.renders):
        for name in SERIALISERS:
            started = time.perf_counter()
            render(client, path, name)
            times[name].append(time.perf_counter() - started)
    for name, samples in times.items():
        print(f"{name:>12}: median {statistics.median(samples) * 1000:.1f} ms over {len(samples)}")
    if args.profile:
        for name in SERIALISERS:
            profile = cProfile.Profile()
            profile.runcall(render, client, path, name)
            print(f"\n--- {name}: top costs by own time")
            pstats.Stats(profile).sort_stats("tottime").print_stats(8)
            print(f"--- {name}: what the feed's build costs")
            pstats.Stats(profile).sort_stats("cumulative").print_callees("meetings_calendar")


if __name__ == "__main__":
    main()
