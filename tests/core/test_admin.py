"""The admin's user pickers (leads, organizers, a member's account) and the columns that list
people name each one “Kaivu Hariharan (khariharan)”, and find them by either name."""

import re

import pytest

from attendance.models import AttendanceRecord
from core.people import person_label
from sections.models import Section
from tests.factories import AttendanceRecordFactory, MemberFactory, UserFactory, write_note

pytestmark = pytest.mark.django_db


def test_person_label_is_the_full_name_and_the_user_name_or_the_user_name_alone():
    named = UserFactory(username="khariharan", first_name="Kaivu", last_name="Hariharan")
    unnamed = UserFactory(username="walkin", first_name="", last_name="")

    assert [person_label(named), person_label(unnamed)] == [
        "Kaivu Hariharan (khariharan)",
        "walkin",
    ]


def autocomplete(client, app_label, model_name, field_name, term):
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


@pytest.mark.parametrize(
    ("app_label", "model_name", "field_name"),
    [("sections", "section", "leads"), ("syllabus", "term", "organizers")],
)
def test_lead_and_organizer_pickers_find_people_by_full_name_or_user_name(
    client, organizer, fall2022, app_label, model_name, field_name
):
    client.force_login(organizer)

    found = {
        term: autocomplete(client, app_label, model_name, field_name, term)
        for term in ["hari", "Kaivu Hariharan", "khariharan", "Eric"]
    }

    assert found == {
        "hari": ["Kaivu Hariharan (khariharan)"],
        "Kaivu Hariharan": ["Kaivu Hariharan (khariharan)"],
        "khariharan": ["Kaivu Hariharan (khariharan)"],
        "Eric": ["Eric Michaud (emichaud)"],
    }


def test_a_members_account_picker_names_people_too(client, admin_user, fall2022):
    client.force_login(admin_user)

    assert autocomplete(client, "attendance", "member", "user", "michaud") == [
        "Eric Michaud (emichaud)"
    ]


def selected_options(html, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r"<option [^>]*selected>([^<]*)</option>", select.group(1))


def test_chosen_leads_and_organizers_are_shown_by_full_name_and_user_name(
    client, organizer, fall2022
):
    friday = Section.objects.get(term=fall2022, slug="friday")
    client.force_login(organizer)

    section_page = client.get(f"/admin/sections/section/{friday.pk}/change/").content.decode()
    term_page = client.get(f"/admin/syllabus/term/{fall2022.pk}/change/").content.decode()

    assert sorted(selected_options(section_page, "leads")) == [
        "Alex Infanger (ainfanger)",
        "Eric Michaud (emichaud)",
    ]
    assert sorted(selected_options(term_page, "organizers")) == [
        "Eric Michaud (emichaud)",
        "Guilhermo Cutrim Costa (gcutrimcosta)",
        "Kaivu Hariharan (khariharan)",
    ]


def test_a_members_chosen_account_is_shown_by_full_name_and_user_name(client, admin_user):
    member = MemberFactory(user=UserFactory(username="ada", first_name="Ada", last_name="L"))
    client.force_login(admin_user)

    page = client.get(f"/admin/attendance/member/{member.pk}/change/").content.decode()

    assert selected_options(page, "user") == ["Ada L (ada)"]


def column(response, name):
    return [
        " ".join(re.sub(r"<[^>]+>", "", cell).split())
        for cell in re.findall(
            rf'<td class="field-{name}">(.*?)</td>', response.content.decode(), re.S
        )
    ]


def test_lists_name_leads_authors_and_recorders_as_the_pickers_do(client, admin_user, fall2022):
    friday = Section.objects.get(term=fall2022, slug="friday")
    meeting = friday.meetings.get(week__number=1)
    lead = friday.leads.get(username="ainfanger")
    note = write_note(meeting, "Notes.", author=lead)
    AttendanceRecordFactory(meeting=meeting, recorded_by=lead)
    client.force_login(admin_user)

    sections = client.get(f"/admin/sections/section/?term__id__exact={fall2022.pk}")
    notes = client.get("/admin/sections/discussionnote/")
    note_page = client.get(f"/admin/sections/discussionnote/{note.pk}/change/")
    records = client.get("/admin/attendance/attendancerecord/")

    assert column(sections, "lead_names") == [
        "Eric Michaud (emichaud)",
        "Eric Michaud (emichaud), Alex Infanger (ainfanger)",
    ]
    assert column(notes, "author_names") == ["Alex Infanger (ainfanger)"]
    assert column(note_page, "author_label") == ["Alex Infanger (ainfanger)"]
    assert column(records, "recorder") == ["Alex Infanger (ainfanger)"]
    assert AttendanceRecord.objects.count() == 1
