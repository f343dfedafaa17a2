"""A lead's and an organizer's way around, in a real browser: where logging in leads, the login
page's name, the "Change password" link, a header focus ring that can be seen (3:1 against the
header, WCAG 2.2 non-text contrast) and "My meetings" grouped by term."""

import datetime
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.conftest import (
    LEAD_PASSWORD,
    click,
    click_and_wait,
    log_in,
    wait_until,
)
from tests.factories import build_term

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


def test_the_header_links_the_password_change_on_a_phone(live_server, browser, lead):
    log_in(browser, live_server.url, "emichaud", LEAD_PASSWORD)
    browser.set_window_size(390, 844)

    click(browser, browser.find_element(By.CSS_SELECTOR, ".navbar-toggler"))
    wait_until(
        browser,
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#main-nav.collapse.show")),
        "the phone menu to open",
    )
    links = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#main-nav .nav-link")]
    assert links == ["All terms", "My page", "My meetings", "Change password", "Log out Eric"]
    click_and_wait(
        browser,
        browser.find_element(By.LINK_TEXT, "Change password"),
        url="/accounts/password_change/",
    )

    assert browser.find_element(By.TAG_NAME, "h1").text == "Change your password"


def relative_luminance(rgb):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second):
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def parse_color(css):
    """`rgb(1, 2, 3)` or `rgba(1, 2, 3, 0.25)` as computed styles give them: (r, g, b, alpha)."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    return (*numbers[:3], numbers[3] if len(numbers) > 3 else 1.0)


def over(color, background):
    """`color` painted over the opaque `background`: what the eye sees of a translucent ring."""
    *rgb, alpha = color
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(rgb, background[:3], strict=True))


def focus_ring(browser):
    """The focused element's name, and its focus ring as drawn: the outline when there is one,
    else Bootstrap's box-shadow ring (`rgba(13, 110, 253, 0.25) 0px 0px 0px 4px`), else none;
    as (width in px, colour), with the header's background colour."""
    style = browser.execute_script(
        "const element = document.activeElement, style = getComputedStyle(element);"
        "return {name: element.textContent.trim(), outline: style.outlineStyle,"
        " outlineWidth: style.outlineWidth, outlineColor: style.outlineColor,"
        " shadow: style.boxShadow,"
        " background: getComputedStyle(document.querySelector('header')).backgroundColor};"
    )
    if style["outline"] != "none":
        ring = (float(style["outlineWidth"].removesuffix("px")), style["outlineColor"])
    elif style["shadow"] != "none":
        color = re.match(r"rgba?\([^)]*\)", style["shadow"]).group()
        spread = float(re.findall(r"([\d.]+)px", style["shadow"])[-1])
        ring = (spread, color)
    else:
        ring = (0.0, style["background"])
    return style["name"], ring, style["background"]


def test_the_headers_focus_ring_contrasts_at_least_3_to_1_with_the_header(
    live_server, browser, lead, organizer
):
    rings = {}
    for user, password in ((lead, LEAD_PASSWORD), (organizer, ORGANIZER_PASSWORD)):
        log_in(browser, live_server.url, user.username, password)
        browser.set_window_size(1280, 900)
        browser.switch_to.active_element.send_keys(Keys.TAB)  # the skip link, before the header
        for _ in range(10):  # bounded: a changed header fails here rather than hangs
            browser.switch_to.active_element.send_keys(Keys.TAB)
            if not browser.execute_script("return !!document.activeElement.closest('header')"):
                break
            name, (width, color), background = focus_ring(browser)
            header = parse_color(background)
            ratio = contrast(over(parse_color(color), header), header[:3])
            rings[(user.username, name)] = (width, round(ratio, 2))

    # At least 2 px wide, and 3:1 (WCAG 2.2 "non-text contrast" and "focus appearance").
    assert {key: (width >= 2, ratio >= 3) for key, (width, ratio) in rings.items()} == (
        dict.fromkeys(rings, (True, True))
    ), rings
    assert list(rings) == [
        ("emichaud", "Reading group"),
        ("emichaud", "All terms"),
        ("emichaud", "My page"),
        ("emichaud", "My meetings"),
        ("emichaud", "Change password"),
        ("emichaud", "Log out Eric"),
        ("organizer", "Reading group"),
        ("organizer", "All terms"),
        ("organizer", "My page"),
        ("organizer", "My meetings"),
        ("organizer", "Admin"),
        ("organizer", "Change password"),
        ("organizer", f"Log out {organizer.get_short_name()}"),
    ]


def test_my_meetings_names_each_terms_meetings_and_lists_every_terms_reports(
    live_server, browser, lead
):
    today = datetime.date.today()
    monday = today - datetime.timedelta(days=today.weekday())
    now = build_term(
        weeks=16,
        readings_per_week=0,
        sections=1,
        name="Fall 2026",
        slug="fall-2026",
        first_monday=monday - datetime.timedelta(weeks=12),
    )
    now.sections.update(name="Monday")
    now.sections.get().leads.set([lead])
    log_in(browser, live_server.url, "emichaud", LEAD_PASSWORD)
    browser.set_window_size(390, 844)

    def text(selector):
        return [
            e.get_attribute("textContent").strip()
            for e in browser.find_elements(By.CSS_SELECTOR, selector)
        ]

    headings = text("main > h2, main > h3")
    reports = text(".report-links li > a:first-child")
    past = {
        heading.get_attribute("textContent"): len(
            heading.find_elements(By.XPATH, "following-sibling::ul[1]/li")
        )
        for heading in browser.find_elements(
            By.XPATH, "//h2[.='Past meetings']/following-sibling::h3"
        )
    }

    # Fall 2026's 12 or 13 past meetings (week 13's is past unless it is today), then Fall
    # 2022's: the page holds 20, so Fall 2022 continues on the next page; its reports do not.
    assert headings == [
        "Coming up",
        "Fall 2026",
        "Reports",
        "Fall 2026",
        "Fall 2022",
        "Past meetings",
        "Fall 2026",
        "Fall 2022",
    ]
    assert reports == [
        "Monday section, Fall 2026",
        "Wednesday section, Fall 2022",
        "Friday section, Fall 2022",
    ]
    assert list(past) == ["Fall 2026", "Fall 2022"]
    assert (past["Fall 2026"] in (12, 13), sum(past.values())) == (True, 20)
