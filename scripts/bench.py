#!/usr/bin/env python
"""`make bench`: throughput and latency of every page, as ratios to a trivial view.

For each scale (generate_demo --scale N) it builds a fresh database, starts gunicorn with
production settings (DEBUG off, 2 sync workers, persistent connections) twice — with the page
cache (local memory) and without it (CACHE_URL=dummy://) — and drives each page with wrk,
alternating with the reference view /robots.txt on the same server, so that the ratio
page/reference is measured under the same machine load. SQL queries per page are counted
in-process on the same database. The tables go to docs/benchmarks.md, followed by the
hand-written docs/benchmark-notes.md (what bounds the numbers).

SQLite by default; with DATABASE_URL set to PostgreSQL, that database is flushed and used.
"""

import argparse
import datetime
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

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
REFERENCE = "/robots.txt"
LEAD_USERNAME = "bench-lead"
LEAD_PASSWORD = "bench-only-password-not-secret"  # a throwaway benchmark database


# (label, path template, server, kind). Server "cached" runs the page cache, "uncached" does not;
# kind "anon" is an anonymous GET, "304" a conditional GET with a matching ETag, "lead" a
# logged-in lead (never cached).
TARGETS = [
    ("schedule /", "/", "cached", "anon"),
    ("term schedule", "/terms/{term}/", "cached", "anon"),
    ("week page", "/terms/{term}/weeks/3/", "cached", "anon"),
    ("section page", "/terms/{term}/sections/wednesday/", "cached", "anon"),
    ("reading list", "/terms/{term}/readings/", "cached", "anon"),
    ("terms archive", "/terms/", "cached", "anon"),
    ("term calendar.ics", "/terms/{term}/calendar.ics", "cached", "anon"),
    ("section calendar.ics", "/terms/{term}/sections/wednesday/calendar.ics", "cached", "anon"),
    ("schedule.json", "/terms/{term}/schedule.json", "cached", "anon"),
    ("readings.bib", "/terms/{term}/readings.bib", "cached", "anon"),
    ("schedule / (304)", "/", "cached", "304"),
    ("week page (304)", "/terms/{term}/weeks/3/", "cached", "304"),
    ("term calendar.ics (304)", "/terms/{term}/calendar.ics", "cached", "304"),
    ("schedule / uncached", "/", "uncached", "anon"),
    ("term schedule uncached", "/terms/{term}/", "uncached", "anon"),
    ("week page uncached", "/terms/{term}/weeks/3/", "uncached", "anon"),
    ("section page uncached", "/terms/{term}/sections/wednesday/", "uncached", "anon"),
    ("reading list uncached", "/terms/{term}/readings/", "uncached", "anon"),
    ("terms archive uncached", "/terms/", "uncached", "anon"),
    ("term calendar.ics uncached", "/terms/{term}/calendar.ics", "uncached", "anon"),
    (
        "section calendar.ics uncached",
        "/terms/{term}/sections/wednesday/calendar.ics",
        "uncached",
        "anon",
    ),
    ("schedule.json uncached", "/terms/{term}/schedule.json", "uncached", "anon"),
    ("readings.bib uncached", "/terms/{term}/readings.bib", "uncached", "anon"),
    ("lead roster", "/attendance/meetings/{meeting}/", "uncached", "lead"),
    ("lead section report", "/attendance/sections/{section}/report/", "uncached", "lead"),
    ("lead dashboard", "/attendance/", "uncached", "lead"),
]

# Targets (ratio to the reference, same run) from the performance issue.
TARGET_RATIOS = {
    "cached": 0.7,
    "304": 0.8,
    "uncached-page": 0.10,
    "uncached-feed": 0.06,
}


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


COUNT_QUERIES = r"""
import json, sys
import django
django.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from syllabus.models import Term

paths = json.loads(sys.argv[1])
from sections.models import Meeting, Section
term = Term.objects.current()
lead = get_user_model().objects.get(username=sys.argv[2])
section = Section.objects.get(term=term, slug="wednesday")
marked = Meeting.objects.filter(section=section, attendance_records__isnull=False)
meeting = marked.latest("starts_at")
names = {"term": term.slug, "section": section.pk, "meeting": meeting.pk}
counts = {}
for label, template, kind in paths:
    client = Client(SERVER_NAME="127.0.0.1")
    if kind == "lead":
        client.force_login(lead)
    path = template.format(**names)
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    counts[label] = len(captured)
print(json.dumps({"names": names, "counts": counts}))
"""


def prepare_database(env, scale, seed):
    if env["DATABASE_URL"].startswith("postgres"):
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "flush", "--noinput", "-v0")
    else:
        manage(env, "migrate", "--noinput", "-v0")
    started = time.perf_counter()
    manage(env, "generate_demo", "--scale", str(scale), "--seed", str(seed))
    generated = time.perf_counter() - started
    create_lead = (
        "from django.contrib.auth import get_user_model;"
        "from sections.models import Section;"
        "from syllabus.models import Term;"
        f"u = get_user_model().objects.create_user({LEAD_USERNAME!r}, password={LEAD_PASSWORD!r});"
        "term = Term.objects.current();"
        "[s.leads.add(u) for s in Section.objects.filter(term=term, slug='wednesday')]"
    )
    manage(env, "shell", "-c", create_lead)
    return generated


def count_queries(env):
    paths = [(label, template, kind) for label, template, server, kind in TARGETS]
    paths = [p for p in paths if "304" not in p[0]]
    out = subprocess.run(
        [PYTHON, "-c", COUNT_QUERIES, json.dumps(paths), LEAD_USERNAME],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


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
    import http.cookiejar

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
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def etag_of(url):
    with urllib.request.urlopen(url) as response:
        return response.headers["ETag"]


def wrk(url, duration, connections, headers=(), script=None):
    """Run wrk on `url` (with a Lua `script` if given); parse its report."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["--script", str(script)]
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


def measure_scale(scale, args, database_url):
    env = production_env(database_url)
    print(f"bench: scale {scale}: generating data", flush=True)
    generated = prepare_database(env, scale, args.seed)
    manage(env, "collectstatic", "--noinput", "-v0")
    info = count_queries(env)
    names = info["names"]
    rows = []
    servers = {
        "cached": Server(env, "", args.workers),
        "uncached": Server(env, "dummy://", args.workers),
    }
    try:
        cookie = None
        for label, template, server_name, kind in TARGETS:
            server = servers[server_name]
            url = server.base + template.format(**names)
            headers = []
            if kind == "304":
                headers.append(f"If-None-Match: {etag_of(url)}")
            if kind == "lead":
                cookie = cookie or login_cookie(servers["uncached"].base)
                headers.append(f"Cookie: {cookie}")
            else:
                urllib.request.urlopen(url).read()  # warm the page cache and the workers
            reference = server.base + REFERENCE
            before = wrk(reference, args.duration, args.connections)
            page = wrk(url, args.duration, args.connections, headers)
            after = wrk(reference, args.duration, args.connections)
            ref_rps = (before["rps"] + after["rps"]) / 2
            rows.append(
                {
                    "label": label,
                    "path": template,
                    "server": server_name,
                    "kind": kind,
                    "scale": scale,
                    # A cached hit and a 304 run no query (tests prove it).
                    "queries": 0 if server_name == "cached" else info["counts"][label],
                    "ref_rps": ref_rps,
                    **page,
                    "ratio": page["rps"] / ref_rps,
                }
            )
            print(
                f"bench: N={scale} {label:28} {page['rps']:8.1f} req/s "
                f"ratio {page['rps'] / ref_rps:.3f} p50 {page['p50']:.2f} ms",
                flush=True,
            )
    finally:
        for server in servers.values():
            server.stop()
    return rows, generated


def target_for(row):
    if row["kind"] == "304":
        return TARGET_RATIOS["304"]
    if row["kind"] == "lead":
        return None
    if row["server"] == "cached":
        return TARGET_RATIOS["cached"]
    if ".ics" in row["path"] or ".json" in row["path"] or ".bib" in row["path"]:
        return TARGET_RATIOS["uncached-feed"]
    if row["label"].startswith(("schedule", "term schedule", "week page")):
        return TARGET_RATIOS["uncached-page"]
    return None


def versions(database_url):
    import django

    info = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} cores",
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": "PostgreSQL" if database_url.startswith("postgres") else "SQLite",
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(
            "\n"
        )[0],
    }
    return info


def write_report(path, all_rows, meta, args, generated):
    by_key = {(r["label"], r["scale"]): r for r in all_rows}
    scales = sorted({r["scale"] for r in all_rows})
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`scripts/bench.py`). Throughput is given as a **ratio to a "
        "trivial view** (`/robots.txt`, same middleware) measured on the same server just before "
        "and after each page, because absolute numbers on these shared machines move 15–20 % "
        "between quiet runs. gunicorn, "
        f"{args.workers} sync workers, DEBUG off, persistent database connections; wrk with "
        f"{args.connections} connections for {args.duration} s per measurement. “cached” is the "
        "anonymous page cache (local memory); “uncached” is the same pages with "
        "`CACHE_URL=dummy://`. Queries are counted per uncached request. The notes after the "
        "tables are copied from [benchmark-notes.md](benchmark-notes.md): edit them there.",
        "",
        f"- Date: {meta['date']}",
        f"- Machine: {meta['machine']}",
        f"- Python {meta['python']}, Django {meta['django']}, {meta['database']}, {meta['wrk']}",
        "- Data: "
        + "; ".join(f"N={s} generated in {generated[s]:.1f} s" for s in scales)
        + " (`generate_demo --scale N`: N groups × 3 terms × 15 weeks × 4 readings, 4 sections)",
        "",
        "| page | N | req/s | p50 ms | p99 ms | ratio | target | met | queries | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in all_rows:
        target = target_for(row)
        met = "" if target is None else ("yes" if row["ratio"] >= target else "**no**")
        lines.append(
            f"| {row['label']} | {row['scale']} | {row['rps']:.0f} | {row['p50']:.2f} | "
            f"{row['p99']:.2f} | {row['ratio']:.3f} | {'' if target is None else target} | "
            f"{met} | {row['queries']} | {row['errors']} |"
        )
    if len(scales) > 1:
        low, high = scales[0], scales[-1]
        lines += [
            "",
            f"## Latency at N={high} against N={low} (target: within 1.5×)",
            "",
            f"| page | p50 N={low} | p50 N={high} | ×p50 | ×p99 | met |",
            "|---|---|---|---|---|---|",
        ]
        for label, *_ in TARGETS:
            a, b = by_key.get((label, low)), by_key.get((label, high))
            if not a or not b:
                continue
            x50, x99 = b["p50"] / a["p50"], b["p99"] / a["p99"]
            lines.append(
                f"| {label} | {a['p50']:.2f} | {b['p50']:.2f} | {x50:.2f} | {x99:.2f} | "
                f"{'yes' if x50 <= 1.5 else '**no**'} |"
            )
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    ensure_wrk()

    all_rows, generated = [], {}
    database_url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="readinggroup-bench-") as tmp:
        for scale in args.scales:
            url = database_url or f"sqlite:///{tmp}/bench-{scale}.sqlite3"
            rows, generated[scale] = measure_scale(scale, args, url)
            all_rows += rows
    write_report(args.out, all_rows, versions(database_url), args, generated)
    print(f"bench: wrote {args.out}")


if __name__ == "__main__":
    main()
