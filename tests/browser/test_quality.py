"""What a browser sees on every public page: no console errors, no serious accessibility
violations (axe-core, with WCAG 2.2's target size), every link and control a target of 24 × 24
px or spaced as one (WCAG 2.2, 2.5.8), no horizontal scroll on a 375 px phone."""

import pytest

from sections.models import Meeting
from tests.browser.conftest import (
    axe_violations,
    console_errors,
    horizontal_overflow,
    small_targets,
)
from tests.factories import build_term, this_monday, write_note

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = [
    "/",
    "/terms/",
    "/terms/fall-2022/weeks/6/",
    "/terms/fall-2022/sections/friday/",
    "/terms/fall-2022/readings/",
    "/terms/fall-2022/sections/wednesday/join/",
    "/terms/now/",
    "/terms/now/weeks/2/",
    "/terms/now/sections/{section}/",
    "/terms/nowhere/",
    "/accounts/login/",
    "/signin/",
]


def test_public_pages_in_a_real_browser(live_server, browser, fall2022, settings):
    settings.EMAIL_CONFIGURED = True
    now = build_term(weeks=4, sections=2, slug="now", first_monday=this_monday(weeks=-2))
    for meeting in Meeting.objects.for_term(now).filter(week__number__lte=2):
        write_note(meeting, "We read it. [The paper](https://example.org/paper).")
    section = now.sections.order_by("pk").first().slug
    console_errors(browser)  # drop what earlier tests left in the log
    report = {}
    for url in PUBLIC_PAGES:
        url = url.format(section=section)
        for width in (1280, 375):
            browser.set_window_size(width, 900)
            browser.get(live_server.url + url)
            report[(url, width)] = {
                "console": [
                    m
                    for m in console_errors(browser)
                    if "404 (Not Found)" not in m or url != "/terms/nowhere/"
                ],
                "axe": axe_violations(browser),
                "small targets": small_targets(browser),
                "overflow": horizontal_overflow(browser),
            }

    clean = {"console": [], "axe": [], "small targets": [], "overflow": 0}
    assert report == dict.fromkeys(report, clean)
