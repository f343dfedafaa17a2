"""A term's reminder hour: when its members are reminded of a meeting the day before (0–23, in
the term's time zone; notifications/reminders.py sends them)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from sections.services import copy_term
from syllabus.models import Term
from tests.admin_forms import admin_change
from tests.factories import TermFactory, build_term

pytestmark = pytest.mark.django_db


def test_a_term_reminds_at_six_pm_unless_told_otherwise():
    assert TermFactory().reminder_hour == 18


def test_an_hour_past_23_is_refused_next_to_the_field_and_by_the_database():
    term = TermFactory(slug="late")
    term.reminder_hour = 24

    with pytest.raises(ValidationError) as caught:
        term.full_clean()
    assert caught.value.message_dict == {
        "reminder_hour": ["Ensure this value is less than or equal to 23."]
    }
    with pytest.raises(IntegrityError):
        Term.objects.filter(pk=term.pk).update(reminder_hour=24)


def test_organizers_set_it_in_the_term_admin_beside_the_time_zone(client, organizer):
    client.force_login(organizer)
    term = build_term(weeks=1, readings_per_week=0, sections=0)
    url = f"/admin/syllabus/term/{term.pk}/change/"

    page = client.get(url)
    refused = admin_change(client, url, reminder_hour="24")
    saved = admin_change(client, url, reminder_hour="7")

    dates = dict(page.context["adminform"].model_admin.fieldsets)["Dates"]["fields"]
    assert dates == ["first_monday", "time_zone", "reminder_hour"]
    assert page.context["adminform"].form.fields["reminder_hour"].help_text == (
        "Members get a reminder the day before each meeting at this hour, in the term's time zone."
    )
    assert refused.context["adminform"].form.errors == {
        "reminder_hour": ["Ensure this value is less than or equal to 23."]
    }
    assert saved["Location"] == "/admin/syllabus/term/"
    term.refresh_from_db()
    assert term.reminder_hour == 7


def test_the_next_term_keeps_the_reminder_hour():
    term = build_term(weeks=1, readings_per_week=0, sections=0, reminder_hour=9)

    new = copy_term(term=term, name="Spring", slug="spring", first_monday=datetime.date(2023, 2, 6))

    assert new.reminder_hour == 9
