import pytest
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
