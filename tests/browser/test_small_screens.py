"""A phone (390 px) shows a section's meetings and a section's attendance report whole: one card
per row, nothing wider than the screen, nothing cut off."""

import pytest
from selenium.webdriver.common.by import By

from sections.models import Section
from tests.browser.conftest import LEAD_PASSWORD, log_in
from tests.factories import AttendanceRecordFactory, EnrollmentFactory, write_note

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = 390

# Each element's right edge beyond the page's width, in px (0 when it fits), and whether it is
# cut off by a scrolling box around it.
BEYOND = """
const width = document.documentElement.clientWidth;
return Array.from(document.querySelectorAll(arguments[0])).map(element => {
  const box = element.getBoundingClientRect();
  let clipped = false;
  for (let up = element.parentElement; up; up = up.parentElement) {
    if (up.scrollWidth > up.clientWidth && getComputedStyle(up).overflowX !== 'visible') {
      clipped = true;
    }
  }
  return [Math.max(0, Math.round(box.right - width)), clipped];
});
"""


def beyond(browser, selector):
    """Per element matching `selector`: (px beyond the screen's right edge, cut off by a
    scrolling box)."""
    return [tuple(item) for item in browser.execute_script(BEYOND, selector)]


@pytest.fixture
def wednesday(fall2022, lead):
    section = Section.objects.get(term=fall2022, slug="wednesday")
    members = [
        EnrollmentFactory(section=section, member__name=name).member
        for name in ("Ada Lovelace", "Bea Hopper", "Cy Shannon")
    ]
    for meeting in section.meetings.all():
        for member in members:
            AttendanceRecordFactory(meeting=meeting, member=member, status="present")
    write_note(section.meetings.get(week__number=6), "Grokking took a while.", author=lead)
    return section


def test_a_sections_meetings_fit_a_phone_screen_as_cards(live_server, browser, wednesday):
    browser.delete_all_cookies()
    browser.set_window_size(PHONE, 900)

    browser.get(live_server.url + wednesday.get_absolute_url())
    rows = browser.find_elements(
        By.CSS_SELECTOR, ".meetings-table tbody tr:not(.meeting-notes-row)"
    )
    first = rows[0]

    assert len(rows) == 11
    assert (
        beyond(browser, ".meetings-table .meeting-when, .meetings-table .meeting-ics")
        == [(0, False)] * 22
    )
    cells = first.find_elements(By.TAG_NAME, "td")
    assert [cell.text for cell in cells] == [
        "1",  # shown as "Week 1" (CSS: the header row is hidden)
        "Outlook for the Science of Deep Learning",
        "Wed Sep 14, 6–8 pm · 2-151",
        ".ics",
    ]
    assert (
        browser.execute_script(
            "return getComputedStyle(arguments[0], '::before').content", cells[0]
        )
        == '"Week "'
    )
    lefts = {cell.rect["x"] for cell in cells}
    tops = [cell.rect["y"] for cell in cells]
    assert (len(lefts), tops == sorted(set(tops))) == (1, True)  # one above the other


def test_a_sections_attendance_report_fits_a_phone_screen_as_cards(live_server, browser, wednesday):
    log_in(
        browser,
        live_server.url,
        "emichaud",
        LEAD_PASSWORD,
        f"/attendance/sections/{wednesday.pk}/report/",
    )
    browser.set_window_size(PHONE, 900)

    ada = browser.find_element(By.CSS_SELECTOR, ".attendance-matrix tbody tr")
    cells = ada.find_elements(By.CSS_SELECTOR, "td")

    assert beyond(browser, ".attendance-matrix caption, .attendance-matrix td") == [(0, False)] * (
        1 + 3 * 16 + 11 + 1
    )
    assert ada.find_element(By.TAG_NAME, "th").text == "Ada Lovelace"
    assert [
        browser.execute_script("return getComputedStyle(arguments[0], '::before').content", cell)
        for cell in cells
    ] == [f'"W{n} "' for n in range(1, 12)] + [
        f'"{label} "' for label in ("Present", "Late", "Excused", "Absent", "Rate")
    ]
