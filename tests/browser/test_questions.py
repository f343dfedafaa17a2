""" "I've read it" and a question, in a phone-sized browser: the member says both on /me/, the
lead sees the question with the author's name on the roster, and after the meeting the
section's members see it beside the published notes, without the name."""

import datetime
import re

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from sections.models import Meeting
from tests.browser.conftest import (
    click,
    click_and_wait,
    console_errors,
    horizontal_overflow,
    log_in,
)
from tests.factories import EnrollmentFactory, build_term
from tests.mailbox import delivered

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEAD_PASSWORD = "a long lead password"
QUESTION = "Why does <b>grokking</b> happen so late?"


def sign_in_by_link(browser, live_server, email):
    """Ask for a sign-in link on a fresh session, open the one emailed, press its button."""
    browser.delete_all_cookies()
    sent = len(delivered())
    browser.get(live_server.url + "/signin/")
    browser.find_element(By.NAME, "email").send_keys(email)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert len(delivered()) == sent + 1
    (link,) = re.findall(r"^http://\S+/signin/link/\?sesame=\S+$", delivered()[-1].body, re.M)
    browser.get(link)
    click_and_wait(
        browser,
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"),
        url=live_server.url + "/me/",
    )


def phone_ok(browser):
    """Nothing wider than a 390 px phone, nothing in the console."""
    assert horizontal_overflow(browser) <= 0
    assert console_errors(browser) == []


def test_a_members_question_reaches_the_lead_with_a_name_and_the_section_without(
    live_server, browser, settings
):
    settings.EMAIL_CONFIGURED = True
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday() + 7)
    term = build_term(weeks=4, sections=1, slug="now", first_monday=monday)
    section = term.sections.get()
    now = timezone.now()
    # No meeting under way while the test runs (the next one must not have started).
    Meeting.objects.filter(starts_at__lte=now, ends_at__gt=now).update(
        starts_at=now - datetime.timedelta(hours=3), ends_at=now - datetime.timedelta(hours=2)
    )
    coming = section.meetings.filter(starts_at__gt=now).order_by("starts_at").first()
    ada = EnrollmentFactory(section=section, member__name="Ada Lovelace").member
    bea = EnrollmentFactory(section=section, member__name="Bea Hopper").member
    lead = section.leads.get()
    lead.set_password(LEAD_PASSWORD)
    lead.save()
    browser.set_window_size(390, 900)

    # Ada, on her phone: "I've read it", then a question.
    sign_in_by_link(browser, live_server, ada.email)
    card = browser.find_element(By.CSS_SELECTOR, ".next-meeting-card")
    click_and_wait(
        browser,
        card.find_element(By.XPATH, './/button[normalize-space()="I\'ve read it"]'),
        url=live_server.url + "/me/",
    )
    assert browser.find_element(By.CSS_SELECTOR, ".next-meeting-card .i-read-it").text == (
        "You have read it."
    )
    click_and_wait(
        browser,
        browser.find_element(
            By.CSS_SELECTOR, f'.next-meeting-card a[href$="/{coming.pk}/question/"]'
        ),
        url=live_server.url + f"/meetings/{coming.pk}/question/",
    )
    phone_ok(browser)
    browser.find_element(By.NAME, "question").send_keys(QUESTION)
    click_and_wait(
        browser,
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"),
        url=live_server.url + "/me/",
    )
    assert browser.find_element(By.CSS_SELECTOR, ".next-meeting-card .my-question").text == (
        QUESTION
    )
    phone_ok(browser)

    # The lead's roster: the question with Ada's name, and that she has read it.
    log_in(
        browser, live_server.url, lead.username, LEAD_PASSWORD, f"/attendance/meetings/{coming.pk}/"
    )
    browser.set_window_size(390, 900)
    asked = browser.find_element(By.CSS_SELECTOR, ".roster-preparations .question-list li")
    assert asked.text == f"Ada Lovelace: {QUESTION}"
    assert browser.find_element(By.CSS_SELECTOR, ".roster-preparations .readers").text == (
        "Ada Lovelace"
    )
    phone_ok(browser)

    # The meeting takes place; the lead publishes the notes.
    Meeting.objects.filter(pk=coming.pk).update(
        starts_at=now - datetime.timedelta(hours=2), ends_at=now - datetime.timedelta(hours=1)
    )
    browser.get(f"{live_server.url}/meetings/{coming.pk}/notes/")
    browser.find_element(By.NAME, "body").send_keys("We agreed that **weight decay** matters.")
    click(browser, browser.find_element(By.CSS_SELECTOR, "input[name=status][value=published]"))
    click_and_wait(
        browser,
        browser.find_element(By.CSS_SELECTOR, "form.note-form button[name=save]"),
        url=f"{live_server.url}/meetings/{coming.pk}/notes/",
    )
    assert "published" in browser.find_element(By.CSS_SELECTOR, ".messages .alert").text

    # Bea, another member of the section: the question beside the notes, without a name.
    sign_in_by_link(browser, live_server, bea.email)
    click_and_wait(
        browser,
        browser.find_element(
            By.CSS_SELECTOR, f'.recent-questions a[href="/meetings/{coming.pk}/questions/"]'
        ),
        url=f"{live_server.url}/meetings/{coming.pk}/questions/",
    )
    main = browser.find_element(By.TAG_NAME, "main")
    assert main.find_element(By.CSS_SELECTOR, ".note-body strong").text == "weight decay"
    assert [li.text for li in main.find_elements(By.CSS_SELECTOR, ".question-list li")] == [
        QUESTION
    ]
    assert main.find_elements(By.CSS_SELECTOR, ".question-author") == []
    assert "Ada" not in main.text
    phone_ok(browser)
