"""What an organizer sees in a real browser: the admin index's "This term" shortcuts, section
times typed as people type them, pickers that name people, starting the next term (flagged
texts, skipped weeks) and the attendance overview and report. Each page is checked for
console errors and serious axe violations."""

import datetime
import importlib

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Q
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from attendance.models import Enrollment
from sections.models import Section
from syllabus.models import Term
from tests.browser.conftest import (
    axe_violations,
    click,
    click_and_wait,
    console_errors,
    log_in,
    wait_until,
)
from tests.factories import AttendanceRecordFactory, EnrollmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORGANIZER_PASSWORD = "correct horse battery staple"
KAIVU = "Kaivu Hariharan (khariharan)"


def _migration(name):
    return importlib.import_module(name)


def organizer_permissions():
    """The rights the migrations give the Organizers group (as (app label, codename) pairs)."""
    group = _migration("sections.migrations.0002_organizers_group")
    notes = _migration("sections.migrations.0004_discussionnote")
    attendance = _migration("attendance.migrations.0002_organizer_permissions")
    written = _migration("attendance.migrations.0011_organizers_see_apologies_and_preparations")
    waiting = _migration("attendance.migrations.0012_waiting_list")
    pairs = [
        (app, f"{action}_{model}")
        for app, models in group.ORGANIZER_MODELS.items()
        for model in models
        for action in group.ACTIONS
    ]
    pairs += [("auth", "view_user")]
    pairs += [("sections", codename) for codename in notes.ORGANIZER_PERMISSIONS]
    pairs += [
        ("attendance", f"{action}_{model}")
        for model in attendance.ATTENDANCE_MODELS
        for action in attendance.ACTIONS
    ]
    pairs += [("attendance", codename) for codename in written.PERMISSIONS]
    pairs += [("attendance", codename) for codename in waiting.ORGANIZER_PERMISSIONS]
    return pairs


@pytest.fixture
def organizer(organizer):
    """The organizer, with the rights the migrations give the Organizers group: an earlier
    transactional test's flush took them from the group (the browser conftest makes the group
    again, empty)."""
    query = Q()
    for app, codename in organizer_permissions():
        query |= Q(content_type__app_label=app, codename=codename)
    organizer.groups.get().permissions.set(Permission.objects.filter(query))
    return organizer


# Parts of Django's admin pages that fail axe on their own, before any change of ours: the
# vendored Select2 pickers (a combobox without a listbox, an unlabelled search field) and
# tabular inlines (inputs labelled by their column heading only), and the breadcrumbs, whose
# links axe-core 4.10 finds told from their text by colour alone (Django's own stylesheet).
# Left out of the admin's axe runs; everything else on those pages is checked.
DJANGO_ADMIN_OWN = [".select2-container", ".inline-group", ".breadcrumbs"]


def quality(browser, exclude=()):
    """Console errors and serious axe violations of the page the browser shows, outside the
    elements `exclude` selects. The console is read first: axe-core 4 itself writes inline styles
    while it measures, which the strict CSP reports."""
    console = console_errors(browser)
    if exclude:
        axe_violations(browser)  # loads axe-core into the page
        browser.set_script_timeout(60)
        result = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run({exclude: arguments[0].map(s => [s])})"
            ".then(r => done(r.violations.map(v => ({...v, nodes: v.nodes.map(n => n.html)}))))"
            ".catch(e => done([{id: String(e)}]));",
            list(exclude),
        )
        axe = sorted(
            f"{v['id']} ({v.get('impact')}): {len(v.get('nodes', []))} nodes"
            for v in result
            if v.get("impact") in ("serious", "critical") or "impact" not in v
        )
    else:
        axe = axe_violations(browser)
    return {"console": console, "axe": axe}


def text_of(browser, selector):
    return [
        " ".join(e.get_attribute("textContent").split())
        for e in browser.find_elements(By.CSS_SELECTOR, selector)
    ]


def test_the_admin_index_leads_with_this_terms_shortcuts(live_server, browser, organizer, lead):
    log_in(browser, live_server.url, "organizer", ORGANIZER_PASSWORD, next_url="/admin/")
    browser.set_window_size(1280, 900)
    console_errors(browser)

    modules = text_of(browser, "#content-main .module > table > caption")
    shortcuts = text_of(browser, "#this-term tr.shortcut")
    leads = text_of(browser, "#this-term .this-term-leads li")
    index_quality = quality(browser)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Weeks"))
    weeks = text_of(browser, "#result_list tbody th a")

    assert modules[:3] == ["This term: Fall 2022", "Syllabus", "Sections and meetings"]
    assert shortcuts == ["Weeks 11", "Sections 2", "Papers 27"]
    assert leads == [
        "Wednesday: Eric Michaud (emichaud)",
        "Friday: Eric Michaud (emichaud), Alex Infanger (ainfanger)",
    ]
    assert index_quality == {"console": [], "axe": []}
    assert len(weeks) == 11
    assert weeks[0] == "Week 1: Outlook for the Science of Deep Learning"


def test_the_leads_picker_finds_and_names_people_by_full_name_and_user_name(
    live_server, browser, organizer, lead
):
    wednesday = Section.objects.get(term__slug="fall-2022", slug="wednesday")
    log_in(browser, live_server.url, "organizer", ORGANIZER_PASSWORD, next_url="/admin/")
    browser.get(f"{live_server.url}/admin/sections/section/{wednesday.pk}/change/")
    browser.set_window_size(1280, 900)
    console_errors(browser)
    picker = wait_until(
        browser,
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".field-leads .select2-selection")),
        "the leads picker",
    )
    chosen = text_of(browser, ".field-leads .select2-selection__choice")
    page_quality = quality(browser, exclude=DJANGO_ADMIN_OWN)

    click(browser, picker)
    search = wait_until(
        browser,
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".select2-search__field")),
        "the leads picker to open",
    )
    search.send_keys("hari")

    # Opened, the picker lists everyone; the search's answer then leaves one person. While a
    # search runs, its one "Searching…" line is no answer.
    def answered(browser):
        if browser.find_elements(By.CSS_SELECTOR, ".select2-results__option.loading-results"):
            return False
        found = text_of(browser, ".select2-results__option")
        return len(found) == 1 and found

    offered = wait_until(browser, answered, "the search to leave one person")
    kaivu = (By.XPATH, f"//li[contains(@class, 'select2-results__option')][.='{KAIVU}']")
    # Select2 may draw its results again: find the option afresh for each try at clicking it.
    wait_until(browser, lambda b: click(b, b.find_element(*kaivu)) or True, "a click on Kaivu")
    click_and_wait(browser, browser.find_element(By.NAME, "_save"), url="/admin/sections/section/")
    leads = text_of(browser, "#result_list td.field-lead_names")

    assert chosen == ["×Eric Michaud (emichaud)"]
    assert offered == [KAIVU]
    assert page_quality == {"console": [], "axe": []}
    assert leads == [  # Wednesday, then Friday
        f"Eric Michaud (emichaud), {KAIVU}",
        "Eric Michaud (emichaud), Alex Infanger (ainfanger)",
    ]


def type_into(browser, name, text):
    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(text)


def test_section_times_are_typed_as_6_30_pm_with_the_format_said(
    live_server, browser, organizer, lead
):
    wednesday = Section.objects.get(term__slug="fall-2022", slug="wednesday")
    change = f"/admin/sections/section/{wednesday.pk}/change/"
    log_in(browser, live_server.url, "organizer", ORGANIZER_PASSWORD, next_url=change)
    browser.set_window_size(1280, 900)
    console_errors(browser)
    help_text = text_of(browser, "#id_start_time_helptext")

    type_into(browser, "start_time", "6")
    type_into(browser, "end_time", "8:30 pm")
    click_and_wait(browser, browser.find_element(By.NAME, "_continue"))
    errors = text_of(browser, ".field-start_time .errorlist li")
    error_quality = quality(browser, exclude=DJANGO_ADMIN_OWN)
    type_into(browser, "start_time", "6:30 pm")
    type_into(browser, "end_time", "8:30pm")
    click_and_wait(browser, browser.find_element(By.NAME, "_continue"))
    saved = text_of(browser, ".messagelist li")
    shown = (
        browser.find_element(By.NAME, "start_time").get_attribute("value"),
        browser.find_element(By.NAME, "end_time").get_attribute("value"),
    )
    browser.get(f"{live_server.url}/terms/fall-2022/sections/wednesday/")

    assert help_text == ["Local time in the term's time zone. Type it as 6:30 pm, 6:30pm or 18:30."]
    assert errors == ["Say am or pm (6 pm), or give the minutes (18:00)."]
    assert error_quality == {"console": [], "axe": []}
    assert saved[0].startswith("The section “Wednesday (Fall 2022)” was changed successfully.")
    assert shown == ("18:30", "20:30")
    assert "Wednesdays, 6:30–8:30 pm" in browser.find_element(By.TAG_NAME, "main").text


def test_the_attendance_overview_and_report_tell_not_taken_and_count_rates_from_joining(
    live_server, browser, organizer, lead
):
    wednesday = Section.objects.get(term__slug="fall-2022", slug="wednesday")
    week = {m.week.number: m for m in wednesday.meetings.select_related("week")}
    for name, joined, statuses in [("Ada", 1, "PPAP"), ("Cy", 3, "..AP")]:
        enrollment = EnrollmentFactory(section=wednesday, member__name=name)
        Enrollment.objects.filter(pk=enrollment.pk).update(
            created_at=week[joined].starts_at - datetime.timedelta(days=1)
        )
        for number, letter in enumerate(statuses, start=1):
            if letter != ".":
                status = {"P": "present", "A": "absent"}[letter]
                AttendanceRecordFactory(
                    meeting=week[number], member=enrollment.member, status=status
                )
    log_in(
        browser,
        live_server.url,
        "organizer",
        ORGANIZER_PASSWORD,
        next_url="/attendance/terms/fall-2022/",
    )
    browser.set_window_size(1280, 900)
    console_errors(browser)

    rows = {
        row.find_element(By.TAG_NAME, "th").text: [
            cell.text for cell in row.find_elements(By.TAG_NAME, "td")
        ][:5]
        for row in browser.find_elements(By.CSS_SELECTOR, ".headcount-table tbody tr")
    }
    caption = text_of(browser, ".headcount-table caption")
    overview_quality = quality(browser)
    browser.get(f"{live_server.url}/attendance/sections/{wednesday.pk}/report/")
    rates = {
        row.find_element(By.TAG_NAME, "th").text: row.find_element(
            By.CSS_SELECTOR, ".member-rate"
        ).text
        for row in browser.find_elements(By.CSS_SELECTOR, ".attendance-matrix tbody tr")
    }
    legend = browser.find_element(By.XPATH, "//p[contains(., 'Rate:')]").text
    report_quality = quality(browser)

    assert rows == {
        "Wednesday": ["1", "1", "0", "2", "not taken"],
        "Friday": ["not taken"] * 5,
    }
    assert caption[0].endswith("“not taken”: nobody took the roll; “to come”: not over yet.")
    assert overview_quality == {"console": [], "axe": []}
    assert rates == {"Ada": "75%", "Cy": "50%"}  # Cy joined in week 3: 1 of 2, not 1 of 4
    assert legend.endswith("since the member enrolled (or first came, if that was earlier).")
    assert report_quality == {"console": [], "axe": []}


def test_starting_the_next_term_lays_out_the_dates_skips_a_holiday_and_flags_old_texts(
    live_server, browser, organizer, lead
):
    fall = Term.objects.get(slug="fall-2022")
    log_in(
        browser, live_server.url, "organizer", ORGANIZER_PASSWORD, next_url="/admin/syllabus/term/"
    )
    browser.set_window_size(1280, 900)
    click(
        browser,
        browser.find_element(By.CSS_SELECTOR, f"input[name=_selected_action][value='{fall.pk}']"),
    )
    Select(browser.find_element(By.NAME, "action")).select_by_value("start_next_term")
    click_and_wait(browser, browser.find_element(By.NAME, "index"))
    console_errors(browser)
    before_layout = text_of(browser, ".next-term-dates p.help")
    type_into(browser, "name", "Spring 2023")
    type_into(browser, "slug", "spring-2023")
    browser.execute_script("document.querySelector('[name=first_monday]').value = '2023-02-06'")
    click_and_wait(browser, browser.find_element(By.NAME, "layout"))
    click(browser, browser.find_element(By.CSS_SELECTOR, "label[for='skip-2023-03-20']"))
    click_and_wait(browser, browser.find_element(By.NAME, "layout"))
    rows = text_of(browser, ".next-term-layout tbody tr")
    form_quality = quality(browser, exclude=DJANGO_ADMIN_OWN)
    click_and_wait(browser, browser.find_element(By.NAME, "apply"))
    notices = text_of(browser, ".messagelist li")
    flagged = text_of(browser, "#named-texts li")
    change_quality = quality(browser, exclude=DJANGO_ADMIN_OWN)
    browser.get(f"{live_server.url}/terms/spring-2023/")
    schedule = browser.find_element(By.TAG_NAME, "main").text

    assert before_layout[0].startswith("Pick the first Monday, then “Lay out the dates”")
    assert rows[5:8] == [
        "Mon Mar 13 – Sun Mar 19, 2023 Week 6: Grokking Skip the week of Mar 13",
        "Mon Mar 20 – Sun Mar 26, 2023 No meeting Skip the week of Mar 20",
        "Mon Mar 27 – Sun Apr 2, 2023 Week 7: Adversarial Examples Skip the week of Mar 27",
    ]
    assert len(rows) == 12  # 11 weeks and the holiday
    assert form_quality == {"console": [], "axe": []}
    assert notices[:2] == [
        "Started Spring 2023 from Fall 2022: its weeks, readings, sections and meetings are "
        "copied. It is not published yet.",
        "1 copied text still names Fall 2022: they are listed above the form. Edit them before "
        "you publish the term.",
    ]
    assert flagged == [
        "Intro: “…of Deep Learning Reading Group! This fall at MIT (2022), we will be reading…”"
    ]
    assert change_quality == {"console": [], "axe": []}
    assert "Week 6 · Mar 13–Mar 19" in schedule
    assert "Week 7 · Mar 27–Apr 2" in schedule
