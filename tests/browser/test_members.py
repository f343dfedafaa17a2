import re

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import click_and_wait, console_errors, horizontal_overflow
from tests.factories import build_term, this_monday
from tests.mailbox import delivered

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_joins_a_section_confirms_by_email_and_sees_it_on_my_page(
    live_server, browser, settings
):
    settings.EMAIL_CONFIGURED = True
    term = build_term(weeks=3, sections=2, slug="spring", first_monday=this_monday(weeks=-1))
    section = term.sections.order_by("weekday").first()
    browser.delete_all_cookies()
    browser.set_window_size(390, 900)

    browser.get(live_server.url + section.get_absolute_url())
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Join this section"))
    browser.find_element(By.NAME, "name").send_keys("Ada Lovelace")
    browser.find_element(By.NAME, "email").send_keys("ada@example.edu")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Check your email"

    (message,) = delivered()
    (link,) = re.findall(r"^http://\S+/join/confirm/\?token=\S+$", message.body, re.MULTILINE)
    browser.get(link)
    click_and_wait(
        browser,
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"),
        url=live_server.url + "/me/",
    )

    assert browser.find_element(By.CSS_SELECTOR, ".messages .alert").text.startswith(
        f"Welcome to the {section.name} section!"
    )
    cards = browser.find_elements(By.CSS_SELECTOR, ".my-section h3")
    assert [card.text for card in cards] == [f"{section.name} section"]
    assert horizontal_overflow(browser) <= 0
    assert console_errors(browser) == []
