"""Public exports may be read from any web page (CORS), from the page cache and as a 304 too."""

import pytest

pytestmark = pytest.mark.django_db

EXPORTS = [
    "/terms/fall-2022/readings.bib",
    "/terms/fall-2022/calendar.ics",
    "/terms/fall-2022/sections/wednesday/calendar.ics",
    "/terms/fall-2022/sections/wednesday/meetings/3.ics",
    "/terms/fall-2022/schedule.json",
]


def allowed_origin(response):
    return response.headers.get("Access-Control-Allow-Origin")


@pytest.mark.usefixtures("steady_clock")  # the second request must find the first's page
@pytest.mark.parametrize("url", EXPORTS)
def test_exports_allow_any_origin_fresh_cached_and_not_modified(
    client, fall2022, django_assert_num_queries, url
):
    first = client.get(url, headers={"Origin": "https://group.example.org"})
    with django_assert_num_queries(1):  # the data version: the page is the cache's
        cached = client.get(url, headers={"Origin": "https://group.example.org"})
    with django_assert_num_queries(1):
        not_modified = client.get(
            url, headers={"Origin": "https://group.example.org", "If-None-Match": first["ETag"]}
        )

    assert [r.status_code for r in (first, cached, not_modified)] == [200, 200, 304]
    assert [allowed_origin(r) for r in (first, cached, not_modified)] == ["*"] * 3


def test_schema_is_served_at_its_stable_address_to_any_origin(client, db):
    response = client.get("/schema/schedule-v1.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    assert allowed_origin(response) == "*"
    assert b'"$schema": "https://json-schema.org/draft/2020-12/schema"' in b"".join(
        response.streaming_content
    )


@pytest.mark.parametrize("url", ["/schema/schedule-v9.json", "/schema/..%2Fcss%2Fsite.json"])
def test_unknown_schema_is_a_404(client, db, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/terms/fall-2022/", "/terms/fall-2022/readings/", "/terms/fall-2022/sections/friday/"],
)
def test_pages_do_not_allow_other_origins(client, fall2022, url):
    response = client.get(url)

    assert (response.status_code, allowed_origin(response)) == (200, None)
