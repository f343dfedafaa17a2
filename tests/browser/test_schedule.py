import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from sections.models import DiscussionNote, Meeting
from tests.browser.conftest import click_and_wait, wait_until
from tests.factories import build_term, this_monday, write_note

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_opens_the_schedule_and_follows_week_6_to_its_readings(
    live_server, browser, screenshot, fall2022
):
    browser.get(live_server.url + "/")

    week6 = browser.find_element(By.ID, "week-6")
    assert "Grokking" in week6.text
    assert "Neural Networks sometimes need a while to think" in week6.text
    for width in (1280, 375):
        assert screenshot("schedule", width).stat().st_size > 10_000

    click_and_wait(browser, week6.find_element(By.LINK_TEXT, "Grokking"))

    assert browser.current_url == live_server.url + "/terms/fall-2022/weeks/6/"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Grokking"
    readings = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".reading-title")]
    assert readings == [
        "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
        "Towards Understanding Grokking: An Effective Theory of Representation Learning",
        "Omnigrok: Grokking Beyond Algorithmic Data",
    ]
    for width in (1280, 375):
        screenshot("week-6", width)


def test_phone_width_has_no_horizontal_scroll_and_a_working_menu(live_server, browser, fall2022):
    browser.set_window_size(375, 800)
    browser.get(live_server.url + "/")

    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    browser.find_element(By.CSS_SELECTOR, ".navbar-toggler").click()
    # The menu slides open: its links take clicks once the animation has finished.
    wait_until(
        browser,
        EC.presence_of_element_located((By.CSS_SELECTOR, "#main-nav.collapse.show")),
        "the menu to open",
    )
    readings_link = wait_until(
        browser, EC.element_to_be_clickable((By.LINK_TEXT, "Readings")), "the Readings link"
    )
    click_and_wait(browser, readings_link, url=live_server.url + "/terms/fall-2022/readings/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Reading list"


def top(browser, selector):
    return browser.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().top", selector
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_the_next_meeting_or_the_end_of_the_term_comes_before_the_welcome_text(
    live_server, browser, fall2022, width
):
    build_term(weeks=3, sections=2, slug="now", first_monday=this_monday())
    browser.set_window_size(width, 900)
    seen = {}

    for path, box in (("/", ".next-meeting"), ("/terms/fall-2022/", ".term-ended")):
        browser.get(live_server.url + path)
        seen[path] = {
            "text": browser.find_element(By.CSS_SELECTOR, box).text.split(":")[0].split(" on ")[0],
            "above the welcome": top(browser, box) < top(browser, ".term-intro-text"),
            "on the first screen": top(browser, box) < 900,
        }

    assert seen == {
        "/": {"text": "Next meeting", "above the welcome": True, "on the first screen": True},
        "/terms/fall-2022/": {
            "text": "This term ended",
            "above the welcome": True,
            "on the first screen": True,
        },
    }


def test_weeks_with_notes_are_marked_the_latest_notes_linked_and_weeks_link_to_each_other(
    live_server, browser
):
    term = build_term(weeks=4, sections=2, slug="now", first_monday=this_monday(weeks=-3))
    first, second = term.sections.order_by("weekday")
    meetings = {(m.section, m.week.number): m for m in Meeting.objects.for_term(term)}
    write_note(meetings[first, 1], "We read the first paper.")
    write_note(meetings[second, 2], "Week 2, *second* section.")
    write_note(meetings[first, 3], "Not ready yet.", status=DiscussionNote.Status.DRAFT)
    week2 = term.weeks.get(number=2)
    browser.set_window_size(390, 900)

    browser.get(live_server.url + "/")
    marked = [
        week.get_attribute("id")
        for week in browser.find_elements(By.CSS_SELECTOR, ".week")
        if week.find_elements(By.CSS_SELECTOR, ".week-notes-badge")
    ]
    notes_links = [
        link.get_attribute("aria-label")
        for link in browser.find_elements(By.CSS_SELECTOR, ".meeting-notes-link")
    ]
    latest = browser.find_element(By.CSS_SELECTOR, ".latest-notes")

    assert marked == ["week-1", "week-2"]
    assert notes_links == [
        f"Discussion notes of the {first.name} meeting of week 1",
        f"Discussion notes of the {second.name} meeting of week 2",
    ]
    assert latest.text == (f"Latest discussion notes: week 2, {week2.title} ({second.name})")
    click_and_wait(
        browser,
        latest.find_element(By.TAG_NAME, "a"),
        url=f"{live_server.url}/terms/now/weeks/2/#section-{second.slug}",
    )
    assert "Week 2, second section." in browser.find_element(By.ID, f"section-{second.slug}").text

    def pager():
        return [
            (link.get_attribute("rel"), link.text)
            for link in browser.find_elements(By.CSS_SELECTOR, ".week-pager a")
        ]

    titles = {week.number: week.title for week in term.weeks.all()}
    assert pager() == [
        ("prev", f"← Week 1: {titles[1]}"),
        ("next", f"Week 3: {titles[3]} →"),
    ]
    click_and_wait(
        browser,
        browser.find_element(By.CSS_SELECTOR, ".week-pager [rel=next]"),
        url=live_server.url + "/terms/now/weeks/3/",
    )
    click_and_wait(
        browser,
        browser.find_element(By.CSS_SELECTOR, ".week-pager [rel=next]"),
        url=live_server.url + "/terms/now/weeks/4/",
    )
    assert pager() == [("prev", f"← Week 3: {titles[3]}")]
