import datetime
import re

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from tests.browser.conftest import click_and_wait, console_errors, horizontal_overflow, log_in
from tests.factories import EnrollmentFactory, build_term
from tests.mailbox import delivered

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_says_they_cant_come_and_the_leads_roster_shows_them_excused(
    live_server, browser, settings
):
    settings.EMAIL_CONFIGURED = True
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday() + 7)
    term = build_term(weeks=4, sections=1, slug="now", first_monday=monday)
    section = term.sections.get()
    ada = EnrollmentFactory(section=section, member__name="Ada Lovelace").member
    coming = section.meetings.filter(starts_at__gt=timezone.now()).order_by("starts_at").first()
    lead = section.leads.get()
    lead.set_password("a long lead password")
    lead.save()
    browser.delete_all_cookies()
    browser.set_window_size(390, 900)

    browser.get(live_server.url + "/signin/")
    browser.find_element(By.NAME, "email").send_keys(ada.email)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    (message,) = delivered()
    (link,) = re.findall(r"^http://\S+/signin/link/\?sesame=\S+$", message.body, re.MULTILINE)
    browser.get(link)
    click_and_wait(
        browser,
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"),
        url=live_server.url + "/me/",
    )
    browser.find_element(By.CSS_SELECTOR, ".cant-come-form input[name=reason]").send_keys(
        "At a <b>conference</b>"
    )
    click_and_wait(
        browser,
        browser.find_element(By.CSS_SELECTOR, ".cant-come-form button[type=submit]"),
        url=live_server.url + "/me/",
    )
    assert browser.find_element(By.CSS_SELECTOR, ".my-apology p").text == (
        "You said you can't come (“At a <b>conference</b>”)."
    )
    assert horizontal_overflow(browser) <= 0
    assert console_errors(browser) == []

    log_in(
        browser,
        live_server.url,
        lead.username,
        "a long lead password",
        next_url=f"/attendance/meetings/{coming.pk}/",
    )
    browser.set_window_size(390, 900)
    line = browser.find_element(By.ID, f"member-{ada.pk}")
    assert line.find_element(By.CSS_SELECTOR, ".roster-apology").text == (
        "Can't come: At a <b>conference</b>"
    )
    assert line.find_element(By.CSS_SELECTOR, "input[value=excused]").is_selected()
    assert (
        line.find_element(By.CSS_SELECTOR, ".roster-remark input[type=text]").get_attribute("value")
        == "At a <b>conference</b>"
    )
    assert horizontal_overflow(browser) <= 0
