"""Checking in at the door, in Chromium: the lead's QR code decodes (zbarimg, Debian's
zbar-tools) to the check-in URL, and a member on a phone checks in with the code."""

import datetime
import shutil
import subprocess

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from attendance import checkin
from attendance.models import AttendanceRecord
from sections.models import Meeting
from tests.browser.conftest import (
    click_and_wait,
    console_errors,
    horizontal_overflow,
    log_in,
)
from tests.factories import EnrollmentFactory, UserFactory, build_term

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # UserFactory's


@pytest.fixture
def live_meeting(settings, live_server):
    settings.SITE_URL = live_server.url
    term = build_term(weeks=2, sections=1, slug="now")
    meeting = Meeting.objects.filter(section__term=term).order_by("starts_at").first()
    starts_at = timezone.now() - datetime.timedelta(minutes=5)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=1)
    )
    return Meeting.objects.select_related("section__term").get(pk=meeting.pk)


def test_the_leads_qr_code_decodes_to_the_check_in_url(
    live_server, browser, live_meeting, tmp_path
):
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.fail("zbarimg is missing: apt-get install zbar-tools (.ci/run installs it)")
    lead = live_meeting.section.leads.get()
    browser.set_window_size(1280, 900)
    log_in(browser, live_server.url, lead.username, PASSWORD)

    browser.get(f"{live_server.url}/attendance/meetings/{live_meeting.pk}/checkin/")
    png = tmp_path / "qr.png"
    png.write_bytes(browser.find_element(By.CSS_SELECTOR, ".checkin-qr svg").screenshot_as_png)
    decoded = subprocess.run(
        [zbarimg, "-q", str(png)], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()

    prefix = f"QR-Code:{live_server.url}/checkin/"
    assert decoded.startswith(prefix)
    assert decoded.endswith("/")
    code = decoded[len(prefix) : -1]
    assert checkin.code_matches(live_meeting, code, timezone.now())
    assert console_errors(browser) == []


def test_a_member_checks_in_on_a_phone_with_the_code(live_server, browser, live_meeting):
    user = UserFactory(username="ada")
    EnrollmentFactory(section=live_meeting.section, member__name="Ada", member__user=user)
    browser.set_window_size(390, 844)
    log_in(browser, live_server.url, "ada", PASSWORD, next_url="/checkin/")

    code = checkin.current_code(live_meeting, timezone.now())
    browser.find_element(By.NAME, "code").send_keys(code.lower())
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.find_element(By.CSS_SELECTOR, ".checkin-meeting").text.startswith(
        f"{live_meeting.section.name} section, week 1"
    )
    assert horizontal_overflow(browser) <= 0
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))

    assert browser.find_element(By.TAG_NAME, "h1").text == "You are checked in"
    assert browser.find_element(By.CSS_SELECTOR, ".checkin-done").text == (
        "You are checked in: present."
    )
    assert horizontal_overflow(browser) <= 0
    assert console_errors(browser) == []
    assert list(AttendanceRecord.objects.values_list("member__name", "status", "source")) == [
        ("Ada", "present", "self")
    ]
