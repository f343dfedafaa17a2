"""What a browser sees on every lead page (logged in through the real login form): no console
errors, no serious or critical accessibility violations (axe-core), no horizontal scroll on a
375 px phone; and the roster form used with the keyboard alone."""

import datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from attendance.models import AttendanceRecord
from sections.models import DiscussionNote, DiscussionNoteRevision, Section
from tests.browser.conftest import (
    LEAD_PASSWORD,
    axe_violations,
    click_and_wait,
    console_errors,
    horizontal_overflow,
    log_in,
    navigation,
    small_targets,
)
from tests.factories import AttendanceRecordFactory, EnrollmentFactory, write_note

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLEAN = {"console": [], "axe": [], "small targets": [], "overflow": 0}


def page_report(browser):
    """Console errors, axe violations and targets under 24 px at 1280 px, then the same and the
    overflow at 375 px (the page reflows on resize, so a page reached by a POST is not sent
    again)."""
    browser.set_window_size(1280, 900)
    report = {
        "console": console_errors(browser),
        "axe": axe_violations(browser),
        "small targets": small_targets(browser),
    }
    browser.set_window_size(375, 900)
    report["axe"] += axe_violations(browser)
    report["small targets"] += small_targets(browser)
    report["overflow"] = horizontal_overflow(browser)
    browser.set_window_size(1280, 900)
    return report


@pytest.fixture
def wednesday(fall2022):
    section = Section.objects.get(term=fall2022, slug="wednesday")
    members = [
        EnrollmentFactory(section=section, member__name=name).member
        for name in ("Ada Lovelace", "Bea Hopper", "Cy Shannon")
    ]
    first = section.meetings.get(week__number=1)
    for member, status in zip(members, ("present", "late", "absent"), strict=True):
        AttendanceRecordFactory(meeting=first, member=member, status=status)
    return section


def test_lead_pages_in_a_real_browser(live_server, browser, lead, organizer, wednesday):
    meeting = wednesday.meetings.get(week__number=2)
    write_note(meeting, "First *draft*.", "## Grokking\n\n- one\n- two", author=lead)
    base = live_server.url
    console_errors(browser)  # drop what earlier tests left in the log
    report = {}

    log_in(browser, base, "emichaud", "not the password")
    assert browser.current_url == base + "/accounts/login/"
    assert browser.find_element(By.CSS_SELECTOR, "main form .alert-danger").text == (
        "Please enter a correct username and password. Note that both fields may be case-sensitive."
    )
    report["login with an error"] = page_report(browser)
    log_in(browser, base, "emichaud", LEAD_PASSWORD)
    assert browser.current_url == base + "/attendance/"
    report["dashboard"] = page_report(browser)

    pages = {
        "roster": f"/attendance/meetings/{meeting.pk}/",
        "roster with records": f"/attendance/meetings/{wednesday.meetings.get(week__number=1).pk}/",
        "section report": f"/attendance/sections/{wednesday.pk}/report/",
        "note edit": f"/meetings/{meeting.pk}/notes/",
        "note history": f"/meetings/{meeting.pk}/notes/history/",
        "meeting change": f"/meetings/{meeting.pk}/change/",
        "password change": "/accounts/password_change/",
    }
    titles = {}
    for name, path in pages.items():
        browser.get(base + path)
        titles[name] = browser.find_element(By.TAG_NAME, "h1").text
        report[name] = page_report(browser)

    browser.get(base + pages["note edit"])
    body = browser.find_element(By.NAME, "body")
    body.clear()
    body.send_keys("## Preview\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> a quote")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[name=preview]"))
    preview = browser.find_element(By.CSS_SELECTOR, ".note-preview .note-body")
    assert preview.find_element(By.TAG_NAME, "h2").text == "Preview"
    report["note preview"] = page_report(browser)

    log_in(
        browser, base, "organizer", "correct horse battery staple", "/attendance/terms/fall-2022/"
    )
    assert browser.current_url == base + "/attendance/terms/fall-2022/"
    titles["term overview"] = browser.find_element(By.TAG_NAME, "h1").text
    report["term overview"] = page_report(browser)

    assert titles == {
        "roster": "Wednesday section · week 2",
        "roster with records": "Wednesday section · week 1",
        "section report": "Attendance: Wednesday section",
        "note edit": f"Discussion notes: {meeting.week.title}",
        "note history": "History of the discussion notes",
        "meeting change": "Change the Wednesday meeting of week 2",
        "password change": "Change your password",
        "term overview": "Attendance: Fall 2022",
    }
    assert report == dict.fromkeys(report, CLEAN)


def focused(browser):
    """What has the keyboard focus: the id of an input, else its tag and text."""
    element = browser.switch_to.active_element
    return element.get_attribute("id") or f"{element.tag_name}:{element.text}"


def press(browser, *keys):
    browser.switch_to.active_element.send_keys(*keys)


def tab(browser):
    press(browser, Keys.TAB)
    return focused(browser)


def focus_ring(browser, input_id):
    """The outline drawn around the toggle button (the label) of a status radio button."""
    return browser.execute_script(
        "const style = getComputedStyle(document.querySelector(`label[for='${arguments[0]}']`));"
        "return style.outlineStyle;",
        input_id,
    )


def test_roster_form_with_the_keyboard_alone(live_server, browser, screenshot, lead, wednesday):
    ada, bea, cy = (e.member for e in wednesday.enrollments.order_by("member__name"))
    meeting = wednesday.meetings.get(week__number=3)
    browser.set_window_size(1280, 900)  # the header's links, not the phone menu's button
    log_in(
        browser, live_server.url, "emichaud", LEAD_PASSWORD, f"/attendance/meetings/{meeting.pk}/"
    )
    assert browser.find_element(By.TAG_NAME, "h1").text == "Wednesday section · week 3"

    # Tab from the top of the page: header, breadcrumb, the form's buttons, then each member's
    # status group and remark in roster order, the walk-in fields and the last Save button.
    order = [tab(browser) for _ in range(23)]
    assert order == [
        "a:Skip to content",
        "a:Reading group",
        "a:All terms",
        "a:My page",
        "a:My meetings",
        "a:Change password",
        "button:Log out Eric",
        "a:My meetings",
        "a:Section report",
        "a:Add several people",
        "button:Save attendance",
        "button:Mark everyone present",
        f"id_status-{ada.pk}_present",
        f"id_remark-{ada.pk}",
        f"id_status-{bea.pk}_present",
        f"id_remark-{bea.pk}",
        f"id_status-{cy.pk}_present",
        f"id_remark-{cy.pk}",
        "id_walk_in-name",
        "id_walk_in-email",
        "id_walk_in-affiliation",
        "id_walk_in-status",
        "button:Save attendance",
    ]

    browser.refresh()
    for _ in range(len(order)):  # bounded: a changed page fails here rather than hangs
        if focused(browser) == f"id_status-{ada.pk}_present":
            break
        press(browser, Keys.TAB)
    assert focused(browser) == f"id_status-{ada.pk}_present"
    press(browser, Keys.SPACE)  # Ada: present
    assert tab(browser) == f"id_remark-{ada.pk}"
    press(browser, "on time")
    assert tab(browser) == f"id_status-{bea.pk}_present"
    press(browser, Keys.ARROW_RIGHT)  # Bea: late
    tab(browser)
    assert tab(browser) == f"id_status-{cy.pk}_present"
    press(browser, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)  # Cy: excused
    assert focused(browser) == f"id_status-{cy.pk}_excused"
    assert focus_ring(browser, f"id_status-{cy.pk}_excused") == "solid"
    assert focus_ring(browser, f"id_status-{bea.pk}_late") == "none"  # checked, not focused
    screenshot("roster-keyboard-focus", 1280)
    for _ in range(6):
        tab(browser)
    assert focused(browser) == "button:Save attendance"
    with navigation(browser, url=f"/attendance/meetings/{meeting.pk}/"):
        press(browser, Keys.ENTER)

    message = browser.find_element(By.CSS_SELECTOR, ".messages .alert").text
    assert message == "Saved 3 changes to Wednesday, week 3."
    assert sorted(
        AttendanceRecord.objects.filter(meeting=meeting).values_list(
            "member__name", "status", "remark", "recorded_by__username"
        )
    ) == [
        ("Ada Lovelace", "present", "on time", "emichaud"),
        ("Bea Hopper", "late", "", "emichaud"),
        ("Cy Shannon", "excused", "", "emichaud"),
    ]


def test_the_notes_pages_say_when_a_version_was_saved_with_one_period(
    live_server, browser, lead, wednesday
):
    meeting = wednesday.meetings.get(week__number=2)
    note = write_note(meeting, "First *draft*.")
    saved = datetime.datetime(2026, 11, 30, 8, 16, tzinfo=datetime.UTC)  # 3:16 am in Boston
    DiscussionNote.objects.filter(pk=note.pk).update(updated_at=saved)
    DiscussionNoteRevision.objects.filter(note=note).update(created_at=saved, author=None)
    log_in(browser, live_server.url, "emichaud", LEAD_PASSWORD, f"/meetings/{meeting.pk}/notes/")

    editor = browser.find_element(By.CSS_SELECTOR, "main h1 + p").text
    browser.get(f"{live_server.url}/meetings/{meeting.pk}/notes/history/")
    history = browser.find_element(By.CSS_SELECTOR, ".note-revision p").text

    assert editor == (
        "Version 1, published, saved Nov 30, 2026, 3:16 am. History and restore · See the week page"
    )
    assert history == "Saved Nov 30, 2026, 3:16 am."
