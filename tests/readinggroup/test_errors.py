import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import path

from readinggroup.urls import urlpatterns as site_urlpatterns


def explode(request):
    raise RuntimeError("secret internals: DATABASE password=hunter2")


urlpatterns = [*site_urlpatterns, path("explode/", explode)]


@pytest.mark.django_db
@pytest.mark.urls("tests.readinggroup.test_errors")
def test_server_error_shows_the_site_page_and_no_traceback(client):
    client.raise_request_exception = False

    response = client.get("/explode/")

    content = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in content
    assert "hunter2" not in content
    assert "Traceback" not in content


@pytest.fixture
def database_down(monkeypatch):
    """The driver refuses to run any statement, as when the database server has gone away."""

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    def go_down():
        monkeypatch.setattr(connection, "cursor", refuse)

    return go_down


def assert_is_the_503_page(response):
    content = response.content.decode()
    assert (response.status_code, response["Retry-After"]) == (503, "30")
    assert "<h1>Back in a moment</h1>" in content
    assert "The site cannot reach its database right now." in content
    assert "Something went wrong" not in content


@pytest.mark.django_db
def test_database_down_a_logged_in_users_404_is_the_503_page(client, organizer, database_down):
    client.force_login(organizer)
    client.raise_request_exception = False
    database_down()

    response = client.get("/no-such-page/")

    assert_is_the_503_page(response)


@pytest.mark.django_db
def test_database_down_a_logged_in_users_page_is_the_503_page(client, organizer, database_down):
    # The session is read before any view runs (PasswordChangeRequiredMiddleware).
    client.force_login(organizer)
    client.raise_request_exception = False
    database_down()

    response = client.get("/terms/")

    assert_is_the_503_page(response)


@pytest.mark.django_db
def test_database_down_a_logged_in_users_csrf_failure_is_the_503_page(organizer, database_down):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(organizer)
    database_down()

    response = client.post("/accounts/password_change/", {"old_password": "x"})

    assert_is_the_503_page(response)


@pytest.mark.django_db
@pytest.mark.urls("tests.readinggroup.test_errors")
def test_other_errors_are_still_the_500_page_with_the_database_down(client, database_down):
    client.raise_request_exception = False
    database_down()

    response = client.get("/explode/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
