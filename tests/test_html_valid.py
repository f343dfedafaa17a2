"""Every public page is valid HTML per the W3C Nu checker."""

import pytest

from tests.html_checker import html_errors

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PUBLIC_PAGES = [
    "/",
    "/terms/",
    "/terms/fall-2022/weeks/6/",
    "/terms/fall-2022/sections/wednesday/",
    "/terms/fall-2022/readings/",
    "/terms/nowhere/",
    "/accounts/login/",
]


def test_public_pages_are_valid_html(client, fall2022, tmp_path):
    pages = {url: client.get(url).content.decode() for url in PUBLIC_PAGES}

    errors = html_errors(pages, tmp_path)

    assert errors == {url: [] for url in PUBLIC_PAGES}
