"""Production settings, headers, login throttling, and a database that does not answer."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SECRET_KEY": "a-long-random-production-key-" + "x7Qp2" * 10,
    "DJANGO_ALLOWED_HOSTS": "readinggroup.example.edu",
    "DJANGO_HTTPS": "1",
    "DJANGO_BEHIND_TLS_PROXY": "1",
}


def run_django(code_or_args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "readinggroup.settings", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_deploy_check_passes_with_production_variables():
    result = run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_without_https():
    env = {**PRODUCTION, "DJANGO_HTTPS": "0"}

    result = run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)

    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W012" in result.stderr  # session cookie not secure


CLOSED_PORT_PAGES = r"""
import django
django.setup()
from django.test import Client
from django.test.utils import override_settings
client = Client(SERVER_NAME="readinggroup.example.edu")
client.raise_request_exception = False
plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
with override_settings(STORAGES={"default": plain, "staticfiles": plain}):  # no collectstatic
    for path in ("/", "/terms/fall-2022/weeks/6/", "/healthz"):
        response = client.get(path)
        print(path, response.status_code, response.content.decode()[:2000].replace("\n", " "))
"""


def test_closed_database_port_gives_503_pages_not_tracebacks():
    result = run_django(
        CLOSED_PORT_PAGES,
        DJANGO_SECRET_KEY="k",
        DJANGO_ALLOWED_HOSTS="readinggroup.example.edu",
        DATABASE_URL="postgres://nobody:nothing@127.0.0.1:9/readinggroup",
        DJANGO_LOG_LEVEL="CRITICAL",
    )

    lines = {
        line.split(" ", 1)[0]: line for line in result.stdout.splitlines() if line.startswith("/")
    }
    assert sorted(lines) == ["/", "/healthz", "/terms/fall-2022/weeks/6/"], result.stderr
    for path in ("/", "/terms/fall-2022/weeks/6/"):
        assert lines[path].startswith(f"{path} 503 "), lines[path]
        assert "Back in a moment" in lines[path]
        assert "Traceback" not in lines[path]
    assert lines["/healthz"] == "/healthz 503 database unavailable"


@pytest.mark.django_db
def test_public_pages_carry_a_strict_content_security_policy(client, fall2022):
    response = client.get("/")

    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_scripts_or_styles():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        if "email" in template.relative_to(ROOT / "templates").parts[:-1]:
            continue  # an email's HTML: mail clients drop style sheets; no page serves it
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=", text):
            offenders.append(template.name)

    assert offenders == []


@pytest.mark.django_db
def test_admin_and_logged_in_pages_are_private(client, admin_user):
    client.force_login(admin_user)

    admin = client.get("/admin/")
    page = client.get("/terms/")

    assert "private" in admin["Cache-Control"]
    assert page["Cache-Control"] == "private, no-cache"


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_account_out_with_a_clear_message(
    client, settings, organizer
):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/accounts/login/", {"username": "organizer", "password": "wrong"})
        assert "Please enter a correct username and password" in response.content.decode()

    locked = client.post("/accounts/login/", {"username": "organizer", "password": "wrong"})
    right_password_too_late = client.post(
        "/accounts/login/",
        {"username": "organizer", "password": "correct horse battery staple"},
    )

    for response in (locked, right_password_too_late):
        assert response.status_code == 429
        assert "Too many failed log-ins" in response.content.decode()


@pytest.mark.django_db
def test_the_right_password_still_works_below_the_limit(client, settings, organizer):
    settings.AXES_ENABLED = True
    client.post("/accounts/login/", {"username": "organizer", "password": "wrong"})

    response = client.post(
        "/accounts/login/",
        {"username": "organizer", "password": "correct horse battery staple"},
    )

    assert response.status_code == 302
    assert client.get("/terms/").context["user"].username == "organizer"


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_gets_a_page_in_the_site_style():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    content = response.content.decode()
    assert "This form has expired" in content
    assert "Nothing was saved" in content
