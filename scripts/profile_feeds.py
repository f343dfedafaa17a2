#!/usr/bin/env python
"""Profile and time uncached renders of the calendar feeds, in one process (docs/performance.md).

    DATABASE_URL=sqlite:////tmp/fixture.sqlite3 .venv/bin/python scripts/profile_feeds.py \
        --feed /terms/fall-2022/calendar.ics --renders 50 --profile

`--feed biggest` picks the term with the most dated meetings. Each render goes through the test
client with the page cache off (CACHE_URL=dummy://), production settings (DEBUG off). The feed
writes its content lines itself (sections.calendars); the script checks first that icalendar
reads the body and writes it back byte for byte, then times the renders (median and best).
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
from icalendar import Calendar  # noqa: E402

from syllabus.models import Term  # noqa: E402


def biggest_term_feed():
    dated = Count("sections__meetings", filter=Q(sections__meetings__starts_at__isnull=False))
    term = Term.objects.annotate(dated=dated).order_by("-dated", "pk").first()
    return f"/terms/{term.slug}/calendar.ics"


def render(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feed", default="/terms/fall-2022/calendar.ics")
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="print the render's top costs")
    args = parser.parse_args()
    path = biggest_term_feed() if args.feed == "biggest" else args.feed
    client = Client()
    body = render(client, path)  # warm up
    assert Calendar.from_ical(body).to_ical() == body, "icalendar writes the feed differently"
    print(f"{path}: {len(body)} bytes, {body.count(b'BEGIN:VEVENT')} events")
    times = []
    for _ in range(args.renders):
        started = time.perf_counter()
        render(client, path)
        times.append(time.perf_counter() - started)
    print(
        f"median {statistics.median(times) * 1000:.2f} ms, best {min(times) * 1000:.2f} ms "
        f"over {len(times)} renders"
    )
    if args.profile:
        profile = cProfile.Profile()
        for _ in range(args.renders):
            profile.runcall(render, client, path)
        print("\n--- top costs by own time")
        pstats.Stats(profile).sort_stats("tottime").print_stats(12)
        print("--- what the feed's build costs")
        pstats.Stats(profile).sort_stats("cumulative").print_callees("meetings_calendar")


if __name__ == "__main__":
    main()
