"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

On a developer machine without Chromium these tests skip with the reason; in CI (CI=true)
a missing browser is a failure, never a skip.

Waiting: the driver has no implicit wait, and no test sleeps. `browser.get()` and
`browser.refresh()` return once the page has loaded; anything else that changes the page — a
click on a link or a submit button, Enter in a form, a script — must be followed by an explicit
wait on a condition: `click_and_wait`, `with navigation(browser, url=...)`, `log_in` or
`wait_until`. Reading `current_url` or finding an element straight after a click races the
navigation: on a loaded machine it still sees the old page, or finds an element of it that
goes stale a moment later.
"""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from selenium.common.exceptions import (
    JavascriptException,
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from core.roles import ORGANIZERS_GROUP
from tests.factories import UserFactory

LEAD_PASSWORD = "a long lead password"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# How long a condition may take before the test fails. Generous: the suite runs on two-core
# machines that several test runs share. Waiting costs nothing when the condition holds.
WAIT_SECONDS = 30


@pytest.fixture
def lead(fall2022):
    """Eric Michaud, the Wednesday section's lead in the demo fixture, with LEAD_PASSWORD."""
    user = get_user_model().objects.get(username="emichaud")
    user.set_password(LEAD_PASSWORD)
    user.save()
    return user


@pytest.fixture
def organizer(db):
    """As the `organizer` fixture, but earlier transactional tests may have flushed the group
    that a migration made."""
    user = UserFactory(username="organizer", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=ORGANIZERS_GROUP)[0])
    return user


@pytest.fixture(scope="session")
def browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(f"Browser tests must run in CI: {reason}")
        pytest.skip(reason)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not reach for the network
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--hide-scrollbars",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)  # explicit waits only (see the module docstring)
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(browser):
    """Save a full-height screenshot at a given width under test-artifacts/ (git ignores it)."""

    def take(name, width):
        ARTIFACTS.mkdir(exist_ok=True)
        browser.set_window_size(width, 900)
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(width, min(height, 8000))
        path = ARTIFACTS / f"{name}-{width}.png"
        assert browser.save_screenshot(str(path)), path
        return path

    return take


# axe-core from the npm registry (scripts/get-axe.sh, which `make test` runs): the copy inside
# axe-selenium-python is axe-core 3.1, older than WCAG 2.2.
AXE_VERSION = "4.10.3"
AXE_FILE = Path(__file__).resolve().parents[2] / ".cache" / f"axe-core-{AXE_VERSION}.min.js"
AXE_JS = None
# Rules axe leaves off by default that every page must pass too: WCAG 2.2's "target size
# (minimum)", 2.5.8: each link and control at least 24 × 24 px, or spaced as if it were (axe
# exempts links inside a line of text, as WCAG does).
AXE_EXTRA_RULES = ["target-size"]


def axe_violations(browser, impacts=("serious", "critical")):
    """Run axe-core on the current page, with AXE_EXTRA_RULES on."""
    global AXE_JS
    if AXE_JS is None:
        if not AXE_FILE.exists():
            reason = f"{AXE_FILE.name} missing (scripts/get-axe.sh fetches it with npm)"
            if os.environ.get("CI"):
                pytest.fail(f"Accessibility checks must run in CI: {reason}")
            pytest.skip(reason)
        AXE_JS = AXE_FILE.read_text()
    browser.execute_script(AXE_JS)
    browser.set_script_timeout(2 * WAIT_SECONDS)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const rules = Object.fromEntries(arguments[0].map(id => [id, {enabled: true}]));"
        "axe.run(document, {rules}).then(r => done(r.violations))"
        ".catch(e => done([{id: String(e)}]));",
        AXE_EXTRA_RULES,
    )
    return sorted(
        f"{v['id']} ({v.get('impact')}): {len(v.get('nodes', []))} nodes"
        for v in result
        if v.get("impact") in impacts or "impact" not in v
    )


# WCAG 2.2's "target size (minimum)" (2.5.8), measured on every link and control: each is at least
# 24 × 24 px, or, smaller, a 24 px circle centred on it reaches no other target (nor another small
# one's circle). Links inside running text (a welcome text, notes, a sentence of help) are
# exempt, as WCAG exempts them. axe's own rule (AXE_EXTRA_RULES) leaves out every inline link:
# this check takes them in, e.g. ".ics" and "PDF" links stacked a line apart.
SMALL_TARGETS_JS = """
const MIN = 24;
const SELECTOR = 'a[href], button, summary, input:not([type=hidden]), select, textarea';
const IN_TEXT = '.term-intro-text, .note-body, .week-summary, .term-organizers, .form-text, '
  + '.invalid-feedback, p:not([class])';
const shown = el => {
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);  // a .btn-check radio: its label is the target
  return box.width > 1 && box.height > 1 && style.visibility !== 'hidden'
    && style.pointerEvents !== 'none' && !el.closest('[aria-hidden=true]');
};
const targets = Array.from(document.querySelectorAll(SELECTOR)).filter(shown).map(el => {
  const r = el.getBoundingClientRect();
  return {el, x: r.left, y: r.top, w: r.width, h: r.height,
          cx: r.left + r.width / 2, cy: r.top + r.height / 2};
});
const small = t => t.w < MIN - 0.01 || t.h < MIN - 0.01;
const reaches = (t, o) => {
  const dx = Math.max(o.x - t.cx, 0, t.cx - (o.x + o.w));
  const dy = Math.max(o.y - t.cy, 0, t.cy - (o.y + o.h));
  return dx * dx + dy * dy < (MIN / 2) ** 2
    || (small(o) && Math.hypot(t.cx - o.cx, t.cy - o.cy) < MIN);
};
const label = t => `${(t.el.innerText || t.el.value || t.el.getAttribute('aria-label') || '')
  .trim().split(/\\s+/).join(' ').slice(0, 40)} (${Math.round(t.w)}×${Math.round(t.h)})`;
return targets
  .filter(t => small(t) && !t.el.closest(IN_TEXT))
  .filter(t => targets.some(o => o !== t && !o.el.contains(t.el) && !t.el.contains(o.el)
    && reaches(t, o)))
  .map(label);
"""


def small_targets(browser):
    """The links and controls of the current page that fail WCAG 2.2's 24 × 24 px target size,
    spacing taken into account (see SMALL_TARGETS_JS), by text and size."""
    return sorted(set(browser.execute_script(SMALL_TARGETS_JS)))


def console_errors(browser):
    """Severe browser console entries since the last call (CSP violations, 404s, JS errors)."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def click(browser, element):
    """Scroll the element into view at once (Bootstrap makes scrolling smooth, i.e. slow), then
    click it. For a click that leaves the page use `click_and_wait`."""
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    element.click()


def wait_until(browser, condition, what, timeout=WAIT_SECONDS):
    """Poll `condition(browser)` (e.g. a selenium `expected_conditions` one) until it returns
    something true, and return that; fail naming `what` was awaited and where the browser is."""
    ignored = (NoSuchElementException, StaleElementReferenceException, JavascriptException)
    try:
        return WebDriverWait(browser, timeout, ignored_exceptions=ignored).until(condition)
    except TimeoutException:
        pytest.fail(f"Waited {timeout} s for {what}; the browser is at {browser.current_url}")


# What ChromeDriver may answer, rather than a proper error, when a command meets a page that a
# navigation is replacing at that moment.
MID_NAVIGATION = (
    "does not belong to the document",
    "Inspected target navigated or closed",
    "Execution context was destroyed",
    "Cannot find context with specified id",
)


def mid_navigation(error):
    return any(text in str(error.msg) for text in MID_NAVIGATION)


def page_loaded(browser):
    try:
        return browser.execute_script("return document.readyState") == "complete"
    except WebDriverException as error:
        if mid_navigation(error):
            return False
        raise


def gone(element):
    """A condition: `element` no longer belongs to the page the browser shows. Selenium's
    `staleness_of` alone is not enough: asked about a node while the next page replaces its
    document, ChromeDriver may answer with an "unknown error" instead of "stale element"."""

    def condition(browser):
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error.msg):
                return True
            if mid_navigation(error):
                return False
            raise
        return False

    return condition


@contextmanager
def navigation(browser, url=None):
    """Wait, after the block (a click, Enter in a form), until the browser has left the page it
    was on and loaded the next one in full; with `url`, until it is at `url` (a URL, or a path
    on the same server).

    The old page's root element going stale is what says the next page has arrived: it works
    for a form that answers on its own URL (an error, a preview) as for a redirect."""
    old_page = browser.find_element(By.TAG_NAME, "html")
    if url is not None:
        url = urljoin(browser.current_url, url)
    yield
    wait_until(browser, gone(old_page), "the browser to leave the page")
    wait_until(browser, page_loaded, "the next page to load")
    if url is not None:
        wait_until(browser, EC.url_to_be(url), f"the browser to reach {url}")


def click_and_wait(browser, element, *, url=None):
    """Click a link or a submit button and wait for the page it leads to (see `navigation`)."""
    with navigation(browser, url=url):
        click(browser, element)


def log_in(browser, base_url, username, password, next_url="/attendance/"):
    """Log in through the real login form, from a fresh session, and wait for the answer (the
    page at `next_url`, or the login form again with its error) to have loaded. With
    `next_url=None` the log-in has no `next`: the site picks the page (`landing_url`)."""
    browser.delete_all_cookies()
    query = "" if next_url is None else f"?next={next_url}"
    browser.get(f"{base_url}/accounts/login/{query}")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))


def horizontal_overflow(browser):
    return browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
