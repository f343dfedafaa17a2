#!/usr/bin/env python
"""`make bench`: throughput and latency of every page, as ratios to a trivial view.

For each data set — a fixture (`--data fall2022`, loaded as `manage.py ensure_demo_data` loads
it) or generated data (`--scale N`: `generate_demo --scale N`); several in one run, by default
the Fall 2022 fixture, N=1 and N=50 — it builds a fresh database, adds a benchmark lead to a
section of the newest term (and, when the data set has no members, a roster for that section
with attendance at its past meetings), and starts gunicorn with production settings (DEBUG off,
2 sync workers, persistent connections) twice: with the real cache configuration (the page
cache in local memory) and without any cache (CACHE_URL=dummy://).

Rows: every public page anonymously from the page cache, three of them as conditional GETs
(304), every public page as a logged-in lead (the page cache never serves logged-in users: this
is how leads and organizers see the site), the lead's own pages (roster, section report,
dashboard), all on the first server; then every public page anonymously on the uncached
server. wrk drives each page alternately with the reference view /robots.txt on the same
server (a reference run just before and just after each page), so that the ratio
page/reference is measured under the same machine load. SQL queries per request are counted
in-process on the same database. The report (docs/benchmarks.md, then the hand-written
docs/benchmark-notes.md) groups the rows by data set; the raw rows go to a JSON file beside it
(docs/benchmarks.json), which a later run can be compared with:

    make bench BENCH_ARGS="--data fall2022 --only 'schedule|week' --duration 2 --out /tmp/b.md"
    make bench BENCH_ARGS="--compare docs/benchmarks.json"   # before, after and the change

To measure the code of an older commit with this script, copy it into a worktree of that commit
and run it there with `--json /tmp/before.json`; then `--compare /tmp/before.json` here.
`--load ROWS.json` writes the report from a saved run without measuring anything.

SQLite by default; with DATABASE_URL set to PostgreSQL, that database is flushed and used.
"""

import argparse
import datetime
import http.cookiejar
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
REFERENCE = "/robots.txt"
LEAD_USERNAME = "bench-lead"
LEAD_PASSWORD = "bench-only-password-not-secret"  # a throwaway benchmark database
ROSTER_SIZE = 30  # members added when a data set has none: a generate_demo section's roster

# Public pages: (label, path template, target ratio of an uncached or a lead's render). The
# targets are the performance issue's (#16); None: no target. `{term}`, `{section_slug}`,
# `{section}` (pk) and `{meeting}` (pk) are filled in per data set.
PAGES = [
    ("schedule /", "/", 0.12),
    ("term schedule", "/terms/{term}/", 0.12),
    ("week page", "/terms/{term}/weeks/3/", 0.20),
    ("section page", "/terms/{term}/sections/{section_slug}/", 0.20),
    ("reading list", "/terms/{term}/readings/", None),
    ("terms archive", "/terms/", None),
    ("term calendar.ics", "/terms/{term}/calendar.ics", 0.12),
    ("section calendar.ics", "/terms/{term}/sections/{section_slug}/calendar.ics", None),
    ("schedule.json", "/terms/{term}/schedule.json", 0.12),
    ("readings.bib", "/terms/{term}/readings.bib", None),
]
CONDITIONAL = ["schedule /", "week page", "term calendar.ics"]  # also measured as 304s
LEAD_PAGES = [
    ("lead roster", "/attendance/meetings/{meeting}/", 0.08),
    ("lead section report", "/attendance/sections/{section}/report/", 0.08),
    ("lead dashboard", "/attendance/", None),
]
CACHED_TARGET = 0.7
NOT_MODIFIED_TARGET = 0.8


class Row(NamedTuple):
    label: str
    path: str
    server: str  # "cached": the real cache configuration; "uncached": CACHE_URL=dummy://
    kind: str  # "anon": anonymous GET; "304": conditional GET with a matching ETag; "lead"
    page: str  # the page's label (the same for its cached, 304, uncached and lead rows)
    target: float | None


def all_rows():
    """Every row, in the order measured: first server, then the uncached one."""
    return [
        *(Row(label, path, "cached", "anon", label, CACHED_TARGET) for label, path, _ in PAGES),
        *(
            Row(f"{label} (304)", path, "cached", "304", label, NOT_MODIFIED_TARGET)
            for label, path, _ in PAGES
            if label in CONDITIONAL
        ),
        *(Row(f"{label} (lead)", path, "cached", "lead", label, t) for label, path, t in PAGES),
        *(Row(label, path, "cached", "lead", label, t) for label, path, t in LEAD_PAGES),
        *(Row(f"{label} uncached", path, "uncached", "anon", label, t) for label, path, t in PAGES),
    ]


ROWS = all_rows()
TARGETS = {row.label: row.target for row in ROWS}


class DataSet(NamedTuple):
    name: str  # "fall2022" or "N=50"
    fixture: str | None
    scale: int | None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args, capture=False):
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=capture,
        text=True,
    )
    return result.stdout if capture else None


def run_django(env, code, *args):
    """Run `code` (which prints one JSON line last) in a Django process; return that JSON."""
    out = subprocess.run(
        [PYTHON, "-c", code, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# The newest published term (Term.objects.current() may be None once every term has ended), its
# "wednesday" section (else its first by slug), a lead for it and, if the data set has no
# members, a roster with attendance at the section's past meetings; the section's latest meeting
# with attendance (else its latest meeting).
SET_UP = r"""
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from attendance.models import AttendanceRecord, Enrollment, Member
from sections.models import Meeting, Section
from syllabus.models import Term

username, password, roster_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
with transaction.atomic():
    term = Term.objects.current() or (
        Term.objects.published().order_by("-first_monday", "-pk").first()
    )
    sections = Section.objects.filter(term=term).order_by("slug")
    section = sections.filter(slug="wednesday").first() or sections.first()
    lead = get_user_model().objects.create_user(username, password=password)
    section.leads.add(lead)
    added = past = 0
    if not Member.objects.exists():
        members = Member.objects.bulk_create(
            Member(name=f"Bench Member {i}", email=f"bench.member.{i}@example.edu")
            for i in range(1, roster_size + 1)
        )
        Enrollment.objects.bulk_create(Enrollment(member=m, section=section) for m in members)
        meetings = Meeting.objects.filter(section=section, starts_at__lt=timezone.now())
        statuses = list(AttendanceRecord.Status)
        AttendanceRecord.objects.bulk_create(
            AttendanceRecord(
                meeting=meeting,
                member=member,
                status=statuses[(i + j) % len(statuses)],
                recorded_by=lead,
                recorded_at=meeting.ends_at,
                roster_version=1,
            )
            for i, meeting in enumerate(meetings)
            for j, member in enumerate(members)
        )
        added, past = len(members), len(meetings)
by_date = Meeting.objects.filter(section=section).order_by("-starts_at", "-pk")
meeting = by_date.filter(attendance_records__isnull=False).first() or by_date.first()
names = {
    "term": term.slug,
    "section": section.pk,
    "section_slug": section.slug,
    "meeting": meeting.pk,
}
print(json.dumps({"names": names, "members_added": added, "meetings_marked": past}))
"""

# Queries per request as each row makes it: cached rows and 304s after a first request has
# filled the page cache, uncached rows after clearing it, a lead's after logging in.
COUNT_QUERIES = r"""
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

rows, names, username = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
lead = get_user_model().objects.get(username=username)
counts = {}
for label, template, server, kind in rows:
    client = Client(SERVER_NAME="127.0.0.1")
    if kind == "lead":
        client.force_login(lead)
    path = template.format(**names)
    cache.clear()
    headers = {}
    if server == "cached" and kind != "lead":
        first = client.get(path)
        if kind == "304":
            headers["If-None-Match"] = first["ETag"]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers=headers)
    assert response.status_code == (304 if kind == "304" else 200), (path, response.status_code)
    counts[label] = len(captured)
print(json.dumps(counts))
"""


def prepare_database(env, dataset, seed):
    """Fill an empty database with `dataset`; return the seconds it took and what was added."""
    manage(env, "migrate", "--noinput", "-v0")
    if env["DATABASE_URL"].startswith("postgres"):
        manage(env, "flush", "--noinput", "-v0")
    started = time.perf_counter()
    if dataset.fixture:
        manage(env, "ensure_demo_data", "--fixture", dataset.fixture, "-v0", capture=True)
    else:
        manage(env, "generate_demo", "--scale", str(dataset.scale), "--seed", str(seed))
    prepared = time.perf_counter() - started
    info = run_django(env, SET_UP, LEAD_USERNAME, LEAD_PASSWORD, str(ROSTER_SIZE))
    return prepared, info


def count_queries(env, rows, names):
    spec = [(row.label, row.path, row.server, row.kind) for row in rows]
    return run_django(env, COUNT_QUERIES, json.dumps(spec), json.dumps(names), LEAD_USERNAME)


class Server:
    def __init__(self, env, cache_url, workers):
        self.port = free_port()
        self.env = {**env, "CACHE_URL": cache_url}
        self.process = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "readinggroup.wsgi",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("bench: gunicorn did not answer /healthz")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def login_cookie(base):
    """Log the benchmark lead in through the real login form; return the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": LEAD_USERNAME, "password": LEAD_PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(base + "/accounts/login/", data=data)
    request.add_header("Referer", base + "/accounts/login/")
    opener.open(request)
    if not any(cookie.name == "sessionid" for cookie in jar):
        raise SystemExit("bench: the benchmark lead could not log in")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def get(url, headers=()):
    """GET `url` (warming the page cache and the workers); return the response's headers."""
    request = urllib.request.Request(url)
    for header in headers:
        name, value = header.split(": ", 1)
        request.add_header(name, value)
    with urllib.request.urlopen(request) as response:
        response.read()
        return response.headers


def wrk(url, duration, connections, headers=()):
    """Run wrk on `url`; parse its report."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {}
    for pct in ("50", "99"):
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        latency[pct] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": requests,
        "rps": rps,
        "p50": latency["50"],
        "p99": latency["99"],
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def production_env(database_url):
    """The environment of a production server on 127.0.0.1 over plain HTTP."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "readinggroup.settings",
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_CONN_MAX_AGE": "600",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
    }


def describe(dataset, prepared, info):
    if dataset.fixture:
        text = f"fixtures/{dataset.fixture}.json loaded in {prepared:.1f} s"
    else:
        text = (
            f"`generate_demo --scale {dataset.scale}` in {prepared:.1f} s ({dataset.scale} × "
            "(3 terms × 15 weeks × 4 readings, 4 sections, 30 members enrolled per section))"
        )
    names = info["names"]
    text += f"; term `{names['term']}`, section `{names['section_slug']}` with `{LEAD_USERNAME}`"
    text += " added as a lead"
    if info["members_added"]:
        text += (
            f"; it had no members: {info['members_added']} added, enrolled in that section, "
            f"with attendance at its {info['meetings_marked']} past meetings"
        )
    return text


def measure(dataset, rows, args, database_url):
    env = production_env(database_url)
    print(f"bench: {dataset.name}: preparing the data", flush=True)
    prepared, info = prepare_database(env, dataset, args.seed)
    manage(env, "collectstatic", "--noinput", "-v0")
    names = info["names"]
    counts = count_queries(env, rows, names)
    cache_urls = {"cached": "", "uncached": "dummy://"}
    servers = {}
    results = []
    try:
        for name in dict.fromkeys(row.server for row in rows):
            servers[name] = Server(env, cache_urls[name], args.workers)
        cookies = {}
        previous = None  # (server, the reference run just made on it)
        for row in rows:
            server = servers[row.server]
            url = server.base + row.path.format(**names)
            headers = []
            if row.kind == "lead":
                if row.server not in cookies:
                    cookies[row.server] = login_cookie(server.base)
                headers.append(f"Cookie: {cookies[row.server]}")
            etag = get(url, headers)["ETag"]  # warm the page cache and the workers
            if row.kind == "304":
                headers.append(f"If-None-Match: {etag}")
            reference = server.base + REFERENCE
            if previous and previous[0] == row.server:
                before = previous[1]
            else:
                before = wrk(reference, args.duration, args.connections)
            page = wrk(url, args.duration, args.connections, headers)
            after = wrk(reference, args.duration, args.connections)
            previous = (row.server, after)
            ref_rps = (before["rps"] + after["rps"]) / 2
            results.append(
                {
                    "dataset": dataset.name,
                    "label": row.label,
                    "page": row.page,
                    "path": row.path,
                    "server": row.server,
                    "kind": row.kind,
                    "queries": counts[row.label],
                    "ref_rps": ref_rps,
                    **page,
                    "ratio": page["rps"] / ref_rps,
                }
            )
            print(
                f"bench: {dataset.name} {row.label:32} {page['rps']:8.1f} req/s "
                f"ratio {page['rps'] / ref_rps:.3f} p50 {page['p50']:.2f} ms",
                flush=True,
            )
    finally:
        for server in servers.values():
            server.stop()
    return results, describe(dataset, prepared, info)


def versions(database_url):
    import django

    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} cores",
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": "PostgreSQL" if database_url.startswith("postgres") else "SQLite",
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(
            "\n"
        )[0],
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
    }


def met(ratio, target):
    if target is None or ratio is None:
        return ""
    return "yes" if ratio >= target else "**no**"


def fmt(ratio):
    return "" if ratio is None else f"{ratio:.3f}"


def change(before, after):
    if before is None or after is None:
        return ""
    return f"{(after / before - 1) * 100:+.0f} %"


def summary_table(rows, old):
    """Page × {anonymous cached, anonymous uncached, lead}, or with `old` page × {before, after}
    × {anonymous uncached, lead}."""

    def ratio(rows_by_label, label):
        row = rows_by_label.get(label)
        return row["ratio"] if row else None

    new = {row["label"]: row for row in rows}
    pages = [(label, f"{label} uncached", f"{label} (lead)", t) for label, _, t in PAGES]
    pages += [(label, None, label, t) for label, _, t in LEAD_PAGES]
    if old is None:
        lines = [
            "| page | cached | uncached | lead | target (uncached, lead) | met |",
            "|---|---|---|---|---|---|",
        ]
    else:
        lines = [
            "| page | uncached before | uncached after | change | lead before | lead after | "
            "change | target | met |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
    for page, uncached, lead, target in pages:
        if not any(label in new for label in (page, uncached, lead)):
            continue
        u, ld = ratio(new, uncached), ratio(new, lead)
        both = [r for r in (u, ld) if r is not None]
        worst = min(both) if both else None
        if old is None:
            cached = ratio(new, page) if uncached else None
            lines.append(
                f"| {page} | {fmt(cached)} | {fmt(u)} | {fmt(ld)} | {target or ''} | "
                f"{met(worst, target)} |"
            )
        else:
            u0, l0 = ratio(old, uncached), ratio(old, lead)
            lines.append(
                f"| {page} | {fmt(u0)} | {fmt(u)} | {change(u0, u)} | {fmt(l0)} | {fmt(ld)} | "
                f"{change(l0, ld)} | {target or ''} | {met(worst, target)} |"
            )
    return lines


def rows_table(rows, old):
    if old is None:
        lines = [
            "| page | req/s | p50 ms | p99 ms | ratio | target | met | queries | errors |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
    else:
        lines = [
            "| page | req/s | p50 ms | p99 ms | ratio before | ratio | change | target | met | "
            "queries before | queries | errors |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
    for row in rows:
        target = TARGETS.get(row["label"])
        cells = [row["label"], f"{row['rps']:.0f}", f"{row['p50']:.2f}", f"{row['p99']:.2f}"]
        if old is None:
            cells += [fmt(row["ratio"])]
        else:
            before = old.get(row["label"])
            ratio_before = before["ratio"] if before else None
            cells += [fmt(ratio_before), fmt(row["ratio"]), change(ratio_before, row["ratio"])]
        cells += ["" if target is None else str(target), met(row["ratio"], target)]
        if old is not None:
            cells.append(str(old[row["label"]]["queries"]) if row["label"] in old else "")
        cells += [str(row["queries"]), str(row["errors"])]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def latency_table(run):
    """p50 and p99 at the largest generated scale against the smallest (target: within 1.5×)."""
    scales = sorted(int(name[2:]) for name in run["datasets"] if re.fullmatch(r"N=\d+", name))
    if len(scales) < 2:
        return []
    low, high = scales[0], scales[-1]
    by_key = {(r["dataset"], r["label"]): r for r in run["rows"]}
    lines = [
        "",
        f"## Latency at N={high} against N={low} (target: within 1.5×)",
        "",
        f"| page | p50 N={low} | p50 N={high} | ×p50 | ×p99 | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        a, b = by_key.get((f"N={low}", row.label)), by_key.get((f"N={high}", row.label))
        if not a or not b:
            continue
        x50, x99 = b["p50"] / a["p50"], b["p99"] / a["p99"]
        lines.append(
            f"| {row.label} | {a['p50']:.2f} | {b['p50']:.2f} | {x50:.2f} | {x99:.2f} | "
            f"{'yes' if x50 <= 1.5 else '**no**'} |"
        )
    return lines


def write_report(path, run, before=None):
    """The markdown report of `run` (a saved or a fresh run), compared with `before` if given."""
    meta, settings = run["meta"], run["settings"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`scripts/bench.py`). Throughput is given as a **ratio to a "
        "trivial view** (`/robots.txt`, same middleware) measured on the same server just before "
        "and after each page, because absolute numbers on these shared machines move 15–20 % "
        "between quiet runs. gunicorn, "
        f"{settings['workers']} sync workers, DEBUG off, persistent database connections; wrk "
        f"with {settings['connections']} connections for {settings['duration']} s per "
        "measurement. “cached” rows and “(304)” rows are anonymous requests to the server with "
        "the real cache configuration (the page cache in local memory), “(lead)” rows and the "
        "lead's pages come from a logged-in lead's session on that same server (the page cache "
        "never serves logged-in users), “uncached” rows are anonymous requests to the same pages "
        "with `CACHE_URL=dummy://`. Queries are counted per request as each row makes it. "
        "Targets are the performance issue's (#16); a page's lead row has the target of its "
        "uncached row. The raw rows are in the JSON file beside this one. The notes after the "
        "tables are copied from [benchmark-notes.md](benchmark-notes.md): edit them there.",
        "",
        f"- Date: {meta['date']}, commit {meta.get('commit') or '?'}",
        f"- Machine: {meta['machine']}",
        f"- Python {meta['python']}, Django {meta['django']}, {meta['database']}, {meta['wrk']}",
    ]
    if before is not None:
        old_meta = before["meta"]
        lines.append(
            f"- Compared with (“before”): the run of {old_meta['date']}, commit "
            f"{old_meta.get('commit') or '?'}, {old_meta['database']}; change = after / before − 1"
        )
    for name, description in run["datasets"].items():
        rows = [row for row in run["rows"] if row["dataset"] == name]
        old = None
        if before is not None:
            old = {row["label"]: row for row in before["rows"] if row["dataset"] == name}
        lines += ["", f"## {name}", "", f"Data: {description}.", ""]
        lines += summary_table(rows, old)
        lines += ["", "All rows:", ""]
        lines += rows_table(rows, old)
    lines += latency_table(run)
    notes = ROOT / "docs" / "benchmark-notes.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    path.write_text("\n".join(lines) + "\n")


def ensure_wrk():
    if not shutil.which("wrk"):
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print("installing wrk (Debian package)", flush=True)
            subprocess.run(
                ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", "wrk"],
                check=False,
            )
        if not shutil.which("wrk"):
            raise SystemExit("wrk is needed: apt-get install wrk")


def datasets_of(args):
    datasets = [DataSet(name, name, None) for name in args.data or []]
    scales = [*(args.scale or []), *(args.scales or [])]
    datasets += [DataSet(f"N={n}", None, n) for n in scales]
    if not datasets:
        datasets = [DataSet("fall2022", "fall2022", None), DataSet("N=1", None, 1)]
        datasets.append(DataSet("N=50", None, 50))
    for dataset in datasets:
        if dataset.fixture and not (ROOT / "fixtures" / f"{dataset.fixture}.json").exists():
            raise SystemExit(f"bench: no fixture fixtures/{dataset.fixture}.json")
        if dataset.scale is not None and dataset.scale < 1:
            raise SystemExit("bench: --scale must be at least 1")
    return list(dict.fromkeys(datasets))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", action="append", metavar="FIXTURE", help="a fixture's data set, e.g. fall2022"
    )
    parser.add_argument(
        "--scale", action="append", type=int, metavar="N", help="generate_demo --scale N data"
    )
    parser.add_argument("--scales", type=int, nargs="+", metavar="N", help="several --scale N")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", metavar="REGEX", help="measure only the rows it matches")
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--json", type=Path, metavar="OUT", help="the raw rows (default: --out's .json)"
    )
    parser.add_argument(
        "--compare", type=Path, metavar="OLD_JSON", help="show before, after and the change"
    )
    parser.add_argument(
        "--load", type=Path, metavar="ROWS_JSON", help="report a saved run instead of measuring"
    )
    args = parser.parse_args()
    before = json.loads(args.compare.read_text()) if args.compare else None

    if args.load:
        run = json.loads(args.load.read_text())
    else:
        rows = [row for row in ROWS if not args.only or re.search(args.only, row.label)]
        if not rows:
            raise SystemExit(f"bench: --only {args.only!r} matches no row")
        datasets = datasets_of(args)
        ensure_wrk()
        database_url = os.environ.get("DATABASE_URL", "")
        run = {
            "meta": versions(database_url),
            "settings": {k: getattr(args, k) for k in ("duration", "connections", "workers")},
            "datasets": {},
            "rows": [],
        }
        with tempfile.TemporaryDirectory(prefix="readinggroup-bench-") as tmp:
            for dataset in datasets:
                url = database_url or f"sqlite:///{tmp}/bench-{len(run['datasets'])}.sqlite3"
                results, description = measure(dataset, rows, args, url)
                run["datasets"][dataset.name] = description
                run["rows"] += results
        json_out = args.json or args.out.with_suffix(".json")
        json_out.write_text(json.dumps(run, indent=1) + "\n")
        print(f"bench: wrote {json_out}")
    write_report(args.out, run, before)
    print(f"bench: wrote {args.out}")


if __name__ == "__main__":
    main()
