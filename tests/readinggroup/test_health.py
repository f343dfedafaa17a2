import pytest
from django.db import connection

from tests.readinggroup.test_security import PRODUCTION, run_django


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert (response.status_code, response.content, response["Content-Type"]) == (
        200,
        b"ok",
        "text/plain",
    )


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    def refuse(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused")

    # Simulate the database going away: the driver refuses to run any statement.
    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/healthz")

    assert (response.status_code, response.content) == (503, b"database unavailable")


def test_robots_txt_keeps_crawlers_out_of_private_pages(client):
    response = client.get("/robots.txt")

    assert response.content.decode().splitlines() == [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /attendance/",
        "Disallow: /accounts/",
    ]


def test_favicon_ico_points_at_the_site_icon(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (301, "/static/favicon.svg")


HEALTH_OVER_PLAIN_HTTP = r"""
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="readinggroup.example.edu")
for path in ("/healthz", "/"):
    response = client.get(path)
    print(path, response.status_code, response.get("Location") or response.content.decode())
"""


def test_healthz_answers_over_plain_http_when_everything_else_redirects_to_https():
    result = run_django(
        HEALTH_OVER_PLAIN_HTTP,
        **PRODUCTION,
        DATABASE_URL="sqlite://:memory:",
        DJANGO_LOG_LEVEL="CRITICAL",
    )

    assert result.stdout.splitlines() == [
        "/healthz 200 ok",
        "/ 301 https://readinggroup.example.edu/",
    ], result.stderr
