"""Real servers for tests that cross processes: gunicorn on a fresh database, Redis, and an HTTP
client that logs in and posts forms as a browser does (cookies, CSRF token, every field)."""

import contextlib
import html.parser
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
STARTUP_SECONDS = 60


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, what, seconds=STARTUP_SECONDS):
    """Poll `condition` until it is true; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {seconds} s waiting for {what}.")
        time.sleep(0.05)


def production_env(database_url, cache_url=""):
    """A production server's environment on 127.0.0.1 over plain HTTP (DEBUG off)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "readinggroup.settings",
        "DJANGO_SECRET_KEY": "test-only-not-secret",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
    }


def manage(env, *args):
    """Run `manage.py` in its own process; return what it printed."""
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        pytest.fail(f"manage.py {' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def shell(env, code):
    """Run Python in `manage.py shell` (a separate process, as an organizer's script would)."""
    return manage(env, "shell", "-c", code)


@contextlib.contextmanager
def fresh_database(tmp_path):
    """A new, empty database on the server the suite runs against (SQLite: a file)."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'servers.sqlite3'}"
        return
    import psycopg2

    url = urllib.parse.urlsplit(configured)
    name = f"rg_servers_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(configured)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield urllib.parse.urlunsplit(url._replace(path=f"/{name}"))
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        admin.close()


def prepare_site(env):
    """Migrate, collect static files and load the Fall 2022 fixture, as `make serve` would."""
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "loaddata", "fall2022", "-v0")


class Gunicorn:
    """`make serve`'s server: gunicorn with sync workers on a free loopback port."""

    def __init__(self, env, log_path, workers=2):
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        # Port 0: the system picks a free port at bind time (no race with other test runs);
        # gunicorn says which in its log.
        self.process = subprocess.Popen(
            [GUNICORN, "readinggroup.wsgi", "--workers", str(workers), "--worker-class", "sync",
             "--bind", "127.0.0.1:0", "--log-level", "info"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.port = None
        wait_for(self._listening, f"gunicorn to listen (log: {log_path})")
        self.base = f"http://127.0.0.1:{self.port}"
        wait_for(self._answers, f"gunicorn on port {self.port} (log: {log_path})")

    def _listening(self):
        if self.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {self.process.returncode}: see {self.log_path}")
        found = re.search(
            r"Listening at: http://127\.0\.0\.1:(\d+)", Path(self.log_path).read_text()
        )
        if found:
            self.port = int(found.group(1))
        return found is not None

    def _answers(self):
        if self.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {self.process.returncode}: see {self.log_path}")
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@contextlib.contextmanager
def redis_server(tmp_path):
    """A Redis server of its own on a free loopback port, without persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def answers():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        wait_for(answers, f"redis-server on port {port}", seconds=20)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)


class FormParser(html.parser.HTMLParser):
    """The forms of a page and what a browser would submit from each (no button pressed)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": []})
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "multiple": "multiple" in a, "first": None}
            self._select["chosen"] = []
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a:
                self._select["chosen"].append(value)
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            select, self._select = self._select, None
            chosen = select["chosen"]
            if not chosen and not select["multiple"] and select["first"] is not None:
                chosen = [select["first"]]
            self.forms[-1]["fields"] += [(select["name"], value) for value in chosen]
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._textarea = None
            self.forms[-1]["fields"].append((name, text.removeprefix("\n")))


class Browser:
    """A person at a browser: keeps cookies, sends the CSRF token, posts whole forms."""

    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        request = urllib.request.Request(
            self.base + path, data=data, headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def form(self, path, containing):
        """GET `path` and return the fields of its form that has a field named `containing`."""
        parser = FormParser()
        parser.feed(self.get(path))
        for form in parser.forms:
            if any(name == containing for name, _ in form["fields"]):
                return form["fields"]
        pytest.fail(f"No form with a field {containing!r} on {path}.")

    def submit(self, path, containing, **changes):
        """Post the form of `path` that has a field `containing`, with `changes` applied."""
        fields = [(n, v) for n, v in self.form(path, containing) if n not in changes]
        fields += list(changes.items())
        return self.post(path, fields)

    def log_in(self, username, password):
        url, _ = self.submit("/accounts/login/", "username", username=username, password=password)
        assert "/accounts/login/" not in url, f"{username} could not log in"


def anonymous_get(base, path):
    """An anonymous GET on a new connection (no cookies): what a member or a calendar sees."""
    request = urllib.request.Request(base + path, headers={"Connection": "close"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode()
