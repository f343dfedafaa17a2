"""A lead's and an organizer's way around, in a real browser: where logging in leads, the login
page's name, the "Change password" link, a header focus ring that can be seen (3:1 against the
header, WCAG 2.2 non-text contrast) and "My meetings" grouped by term."""

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import LEAD_PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORGANIZER_PASSWORD = "correct horse battery staple"


def brand(browser):
    return browser.find_element(By.CSS_SELECTOR, "header .navbar-brand").text


def test_log_in_leads_a_lead_to_my_meetings_and_an_organizer_to_the_admin(
    live_server, browser, lead, organizer
):
    base = live_server.url
    browser.set_window_size(1280, 900)
    browser.delete_all_cookies()
    browser.get(base + "/accounts/login/")
    login_page = (browser.title, brand(browser))

    log_in(browser, base, "emichaud", LEAD_PASSWORD, next_url=None)
    lead_lands = (browser.current_url, browser.find_element(By.TAG_NAME, "h1").text)
    log_in(browser, base, "organizer", ORGANIZER_PASSWORD, next_url=None)
    organizer_lands = (browser.current_url, browser.title)
    log_in(browser, base, "emichaud", LEAD_PASSWORD, next_url="/terms/fall-2022/readings/")
    lead_with_next = browser.current_url

    # The live server answers at localhost:<port>: that must not name the site.
    assert login_page == ("Log in · Reading group", "Reading group")
    assert lead_lands == (base + "/attendance/", "My meetings")
    assert organizer_lands == (
        base + "/admin/",
        "Terms, weeks, papers and sections | Reading group admin",
    )
    assert lead_with_next == base + "/terms/fall-2022/readings/"
