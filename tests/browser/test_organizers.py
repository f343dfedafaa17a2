"""What an organizer sees in a real browser: the admin index's "This term" shortcuts, section
times typed as people type them, pickers that name people, starting the next term (flagged
texts, skipped weeks) and the attendance overview and report. Each page is checked for
console errors and serious axe violations."""

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import (
    axe_violations,
    click_and_wait,
    console_errors,
    log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORGANIZER_PASSWORD = "correct horse battery staple"


def quality(browser):
    """Console errors and serious axe violations of the page the browser shows."""
    return {"console": console_errors(browser), "axe": axe_violations(browser)}


def text_of(browser, selector):
    return [
        " ".join(e.get_attribute("textContent").split())
        for e in browser.find_elements(By.CSS_SELECTOR, selector)
    ]


def test_the_admin_index_leads_with_this_terms_shortcuts(live_server, browser, organizer, lead):
    log_in(browser, live_server.url, "organizer", ORGANIZER_PASSWORD, next_url="/admin/")
    browser.set_window_size(1280, 900)
    console_errors(browser)

    modules = text_of(browser, "#content-main .module > table > caption")
    shortcuts = text_of(browser, "#this-term tr.shortcut")
    leads = text_of(browser, "#this-term .this-term-leads li")
    index_quality = quality(browser)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Weeks"))
    weeks = text_of(browser, "#result_list tbody th a")

    assert modules[:3] == ["This term: Fall 2022", "Syllabus", "Sections and meetings"]
    assert shortcuts == ["Weeks 11", "Sections 2", "Papers 27"]
    assert leads == [
        "Wednesday: Eric Michaud (emichaud)",
        "Friday: Eric Michaud (emichaud), Alex Infanger (ainfanger)",
    ]
    assert index_quality == {"console": [], "axe": []}
    assert len(weeks) == 11
    assert weeks[0] == "Week 1: Outlook for the Science of Deep Learning"
