"""A lead pastes a column of people from a spreadsheet, checks the preview, adds them, and finds
them on the roster: on a phone, in Chromium."""

import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By

from attendance.models import Enrollment
from sections.models import Section
from tests.browser.conftest import click_and_wait, log_in
from tests.factories import EnrollmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_pastes_people_previews_and_adds_them_at_390_px(
    live_server, browser, screenshot, fall2022
):
    lead = get_user_model().objects.get(username="emichaud")
    lead.set_password("a long lead password")
    lead.save()
    wednesday = Section.objects.get(term=fall2022, slug="wednesday")
    EnrollmentFactory(section=wednesday, member__name="Ada Lovelace", member__email="ada@mit.edu")
    meeting = wednesday.meetings.get(week__number=2)
    roster = f"{live_server.url}/attendance/meetings/{meeting.pk}/"
    browser.set_window_size(390, 900)
    log_in(
        browser,
        live_server.url,
        "emichaud",
        "a long lead password",
        next_url=roster[len(live_server.url) :],
    )
    click_and_wait(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Add several people"))
    assert browser.find_element(By.CSS_SELECTOR, "header .navbar-brand").text.startswith(
        "The Science of Deep Learning"
    )
    help_text = browser.find_element(By.CSS_SELECTOR, "#id_people_helptext, .form-text").text
    assert "“Ada Lovelace <ada@example.edu>”" in help_text

    browser.find_element(By.NAME, "people").send_keys(
        # Semicolons, not a pasted Tab: typing a Tab would move the focus out of the field.
        "Bea Hopper; bea@mit.edu\nada@mit.edu, Ada Lovelace\nCy Shannon <cy@mit.edu>\njust a name\n"
    )
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=preview]"))
    screenshot("bulk-add-preview", 390)

    def listed(css):
        return [li.text for li in browser.find_elements(By.CSS_SELECTOR, f"{css} li")]

    assert listed(".bulk-added") == ["Bea Hopper bea@mit.edu", "Cy Shannon cy@mit.edu"]
    assert listed(".bulk-already") == ["Ada Lovelace ada@mit.edu"]
    assert listed(".bulk-not-understood") == ["Line 4: just a name · No email address."]
    assert Enrollment.objects.filter(section=wednesday).count() == 1  # a preview saves nothing

    click_and_wait(
        browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"), url=roster
    )

    names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".roster-name")]
    assert [name.split(" ")[0:2] for name in names if "Hopper" in name or "Shannon" in name] == [
        ["Bea", "Hopper"],
        ["Cy", "Shannon"],
    ]
    assert sorted(
        Enrollment.objects.filter(section=wednesday).values_list("member__email", flat=True)
    ) == ["ada@mit.edu", "bea@mit.edu", "cy@mit.edu"]
