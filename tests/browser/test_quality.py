"""What a browser sees on every public page: no console errors, no serious accessibility
violations (axe-core), no horizontal scroll on a 375 px phone."""

import pytest

from tests.browser.conftest import axe_violations, console_errors, horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = [
    "/",
    "/terms/",
    "/terms/fall-2022/weeks/6/",
    "/terms/fall-2022/sections/friday/",
    "/terms/fall-2022/readings/",
    "/terms/nowhere/",
    "/accounts/login/",
]


def test_public_pages_in_a_real_browser(live_server, browser, fall2022):
    console_errors(browser)  # drop what earlier tests left in the log
    report = {}
    for url in PUBLIC_PAGES:
        for width in (1280, 375):
            browser.set_window_size(width, 900)
            browser.get(live_server.url + url)
            report[(url, width)] = {
                "console": [
                    m
                    for m in console_errors(browser)
                    if "404 (Not Found)" not in m or url != "/terms/nowhere/"
                ],
                "axe": axe_violations(browser) if width == 1280 else [],
                "overflow": horizontal_overflow(browser),
            }

    assert report == {key: {"console": [], "axe": [], "overflow": 0} for key in report}
