"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

On a developer machine without Chromium these tests skip with the reason; in CI (CI=true)
a missing browser is a failure, never a skip.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


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
    driver.implicitly_wait(5)
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


AXE_JS = None


def axe_violations(browser, impacts=("serious", "critical")):
    """Run axe-core (shipped in the axe-selenium-python package) on the current page."""
    global AXE_JS
    if AXE_JS is None:
        import axe_selenium_python

        AXE_JS = (
            Path(axe_selenium_python.__file__).parent / "node_modules/axe-core/axe.min.js"
        ).read_text()
    browser.execute_script(AXE_JS)
    browser.set_script_timeout(30)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations)).catch(e => done([{id: String(e)}]));"
    )
    return sorted(
        f"{v['id']} ({v.get('impact')}): {len(v.get('nodes', []))} nodes"
        for v in result
        if v.get("impact") in impacts or "impact" not in v
    )


def console_errors(browser):
    """Severe browser console entries since the last call (CSP violations, 404s, JS errors)."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def click(browser, element):
    """Scroll the element into view at once (Bootstrap makes scrolling smooth, i.e. slow)."""
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    element.click()


def horizontal_overflow(browser):
    return browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
