import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By

from attendance.models import AttendanceRecord
from sections.models import Section
from tests.browser.conftest import LEAD_PASSWORD, click, click_and_wait, log_in, wait_until
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


def test_the_roster_alert_links_each_error_and_the_page_opens_on_the_first(
    live_server, browser, lead
):
    wednesday = Section.objects.get(term__slug="fall-2022", slug="wednesday")
    members = [
        EnrollmentFactory(section=wednesday, member__name=f"Member {n:02d}").member
        for n in range(1, 21)
    ]
    meeting = wednesday.meetings.get(week__number=3)
    url = f"{live_server.url}/attendance/meetings/{meeting.pk}/"
    log_in(
        browser, live_server.url, "emichaud", LEAD_PASSWORD, f"/attendance/meetings/{meeting.pk}/"
    )
    browser.set_window_size(390, 844)

    def save():
        button = browser.find_elements(By.CSS_SELECTOR, "button[name=action][value=save]")[-1]
        click_and_wait(browser, button, url=url)

    def alert_links():
        return [
            (link.text, link.get_attribute("href"))
            for link in browser.find_elements(By.CSS_SELECTOR, ".alert-danger a")
        ]

    def focus_in_view():
        """The focused element's id, once it is on screen (autofocus scrolls it there)."""
        return browser.execute_script(
            "const element = document.activeElement, box = element.getBoundingClientRect();"
            "return box.top >= 0 && box.bottom <= innerHeight && element.id;"
        )

    browser.find_element(By.ID, "id_walk_in-name").send_keys("Eve Walker")
    browser.find_element(By.ID, "id_walk_in-email").send_keys("eve at example")
    save()
    assert alert_links() == [
        ("Their email (optional): Enter a valid email address.", f"{url}#id_walk_in-email")
    ]
    focused = wait_until(browser, lambda b: focus_in_view(), "the focus to be on screen")
    assert focused == "id_walk_in-email"

    remark = browser.find_element(By.ID, f"id_remark-{members[14].pk}")
    remark.send_keys("came late")  # a remark without a status
    save()
    status = f"id_status-{members[14].pk}_present"
    assert alert_links() == [
        ("Status of Member 15: Choose a status to save a remark.", f"{url}#{status}"),
        ("Their email (optional): Enter a valid email address.", f"{url}#id_walk_in-email"),
    ]
    focused = wait_until(browser, lambda b: focus_in_view(), "the focus to be on screen")
    assert focused == status
    assert (
        browser.find_element(By.ID, "id_walk_in-email").get_attribute("value") == "eve at example"
    )
    assert AttendanceRecord.objects.filter(meeting=meeting).count() == 0
