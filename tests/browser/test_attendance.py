import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By

from attendance.models import AttendanceRecord
from sections.models import Section
from tests.browser.conftest import click, click_and_wait
from tests.factories import EnrollmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_marks_three_members_and_a_walk_in_and_sees_them_on_the_report(
    live_server, browser, screenshot, fall2022
):
    lead = get_user_model().objects.get(username="emichaud")
    lead.set_password("a long lead password")
    lead.save()
    wednesday = Section.objects.get(term=fall2022, slug="wednesday")
    ada, bea, cy, _unmarked = (
        EnrollmentFactory(section=wednesday, member__name=name).member
        for name in ("Ada Lovelace", "Bea Hopper", "Cy Shannon", "Dan Turing")
    )
    meeting = wednesday.meetings.get(week__number=1)

    browser.set_window_size(1280, 900)
    browser.delete_all_cookies()
    browser.get(live_server.url + "/attendance/")
    assert browser.current_url == live_server.url + "/accounts/login/?next=/attendance/"
    browser.find_element(By.NAME, "username").send_keys("emichaud")
    browser.find_element(By.NAME, "password").send_keys("a long lead password")
    click_and_wait(
        browser,
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"),
        url=live_server.url + "/attendance/",
    )
    assert browser.find_element(By.TAG_NAME, "h1").text == "My meetings"
    # Week 1 is the oldest of the 22 past meetings: on the second page, newest first.
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Older"))

    link = browser.find_element(
        By.CSS_SELECTOR, f"a.fw-semibold[href='/attendance/meetings/{meeting.pk}/']"
    )
    assert link.text == f"Wednesday section · week 1: {meeting.week.title}"
    click_and_wait(browser, link)
    assert browser.current_url == f"{live_server.url}/attendance/meetings/{meeting.pk}/"
    for member, status in ((ada, "present"), (bea, "late"), (cy, "absent")):
        label = browser.find_element(
            By.XPATH, f"//li[@id='member-{member.pk}']//label[text()='{status.title()}']"
        )
        click(browser, label)
    browser.find_element(By.NAME, "walk_in-name").send_keys("Eve Walker")
    browser.find_element(By.NAME, "walk_in-email").send_keys("eve@example.edu")
    for width in (1280, 375):
        screenshot("roster", width)
    browser.set_window_size(1280, 900)
    click_and_wait(
        browser,
        browser.find_element(By.CSS_SELECTOR, "button[value=save]"),
        url=f"{live_server.url}/attendance/meetings/{meeting.pk}/",
    )

    message = browser.find_element(By.CSS_SELECTOR, ".messages .alert").text
    assert message == "Saved 4 changes to Wednesday, week 1. Eve Walker is on the roster."
    assert sorted(
        AttendanceRecord.objects.filter(meeting=meeting).values_list("member__name", "status")
    ) == [
        ("Ada Lovelace", "present"),
        ("Bea Hopper", "late"),
        ("Cy Shannon", "absent"),
        ("Eve Walker", "present"),
    ]

    click_and_wait(
        browser,
        browser.find_element(By.LINK_TEXT, "Section report"),
        url=f"{live_server.url}/attendance/sections/{wednesday.pk}/report/",
    )
    rows = browser.find_elements(By.CSS_SELECTOR, ".attendance-matrix tbody tr")
    first_week = {
        row.find_element(By.TAG_NAME, "th").text: row.find_elements(By.TAG_NAME, "td")[0].text
        for row in rows
    }
    # A letter on screen, the word for screen readers (visually hidden, still in the text).
    assert first_week == {
        "Ada Lovelace": "P\npresent",
        "Bea Hopper": "L\nlate",
        "Cy Shannon": "A\nabsent",
        "Dan Turing": "not marked",
        "Eve Walker": "P\npresent",
    }
    headcount = browser.find_elements(By.CSS_SELECTOR, ".attendance-matrix .headcount")[0]
    assert headcount.text == "3"
    for width in (1280, 375):
        screenshot("section-report", width)
