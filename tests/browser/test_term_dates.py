"""What a member sees of a term's dates: every page of a past term says it ended and leads on
to the current term; the schedule of a term still to come says when it starts."""

import datetime

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import click_and_wait
from tests.factories import build_term, this_monday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def long_date(day):
    return f"{day:%A, %B} {day.day}, {day.year}"


def texts(browser, selector):
    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, selector)]


def test_every_page_of_a_past_term_says_it_ended_and_leads_to_the_current_term(
    live_server, browser, fall2022
):
    build_term(weeks=4, sections=1, slug="now", name="Winter", first_monday=this_monday())
    ended = "This term ended on November 27, 2022. The current term is Winter."
    seen = {}

    for path in (
        "/terms/fall-2022/",
        "/terms/fall-2022/weeks/6/",
        "/terms/fall-2022/sections/wednesday/",
        "/terms/fall-2022/readings/",
    ):
        browser.get(live_server.url + path)
        seen[path] = texts(browser, "main .term-dates")

    assert seen == {path: [ended] for path in seen}
    browser.get(live_server.url + "/terms/fall-2022/")
    assert "2 sections met each week." in texts(browser, "#sections-title ~ p")
    click_and_wait(
        browser,
        browser.find_element(By.LINK_TEXT, "Winter"),
        url=live_server.url + "/terms/now/",
    )
    assert texts(browser, "main .term-dates") == []


def test_a_past_terms_section_offers_no_joining_and_its_join_page_says_why(
    live_server, browser, fall2022, settings
):
    settings.EMAIL_CONFIGURED = True
    build_term(weeks=4, sections=1, slug="now", name="Winter", first_monday=this_monday())

    browser.get(live_server.url + "/terms/fall-2022/sections/wednesday/")
    offers = texts(browser, "main .join-link")
    browser.get(live_server.url + "/terms/fall-2022/sections/wednesday/join/")

    assert offers == []
    assert texts(browser, "main .join-refused") == [
        "Fall 2022 ended on November 27, 2022: its sections take no new members. "
        "Join a section of Winter instead."
    ]
    assert browser.find_elements(By.CSS_SELECTOR, "main form") == []
    click_and_wait(
        browser, browser.find_element(By.LINK_TEXT, "Winter"), url=live_server.url + "/terms/now/"
    )


def test_the_schedule_of_a_term_to_come_says_when_it_starts(live_server, browser, fall2022):
    starts = this_monday() + datetime.timedelta(weeks=3)
    build_term(weeks=4, sections=1, slug="next", name="Spring", first_monday=starts)

    browser.get(live_server.url + "/")
    home = texts(browser, "main .term-dates")
    browser.get(live_server.url + "/terms/fall-2022/weeks/6/")
    past = texts(browser, "main .term-dates")

    assert home == [f"This term starts on {long_date(starts)}."]
    assert past == [
        "This term ended on November 27, 2022. The next term, Spring, starts on "
        f"{starts:%B} {starts.day}, {starts.year}."
    ]
