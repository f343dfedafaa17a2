"""What follows a change made in the admin: meetings synced once per save, events touched."""

import datetime

import pytest

from sections.models import Meeting
from tests.admin_forms import admin_form_data
from tests.factories import build_term

pytestmark = pytest.mark.django_db


def week_prefixes(page):
    """The Weeks inline's form prefix for each week's number, as the term's change page shows."""
    formset = page.context["inline_admin_formsets"][0].formset
    return {form.instance.number: form.prefix for form in formset.initial_forms}


def meeting_days(term):
    meetings = Meeting.objects.for_term(term).in_section_order()
    return sorted(meeting.local_start().date() for meeting in meetings)


def test_saving_a_term_with_15_changed_inline_weeks_syncs_its_meetings_once(
    client, organizer, django_assert_num_queries
):
    # Measured: 217 queries when each save ran the whole sync and touch (16 of them: the term's,
    # then one per week); 99 with one at the end of the save, in its transaction; 102 since the
    # term's reminder hour has a check constraint (validated by a query in a savepoint).
    client.force_login(organizer)
    term = build_term(weeks=15, readings_per_week=0, sections=2)
    url = f"/admin/syllabus/term/{term.pk}/change/"
    page = client.get(url)
    rows = week_prefixes(page)
    changes = {f"{prefix}-title": f"Topic {n}, retitled" for n, prefix in rows.items()}
    data = admin_form_data(page, first_monday="2022-09-19", **changes)
    stamped = dict(Meeting.objects.for_term(term).values_list("pk", "updated_at"))

    with django_assert_num_queries(102):
        response = client.post(url, data)

    assert response.status_code == 302
    assert list(term.weeks.values_list("title", flat=True)) == [
        f"Topic {n}, retitled" for n in range(1, 16)
    ]
    # Every meeting moved a week later with the first Monday, and its event was touched.
    first = datetime.date(2022, 9, 19)
    assert meeting_days(term) == sorted(
        first + datetime.timedelta(weeks=week, days=weekday)
        for week in range(15)
        for weekday in (0, 1)
    )
    assert all(
        updated_at > stamped[pk]
        for pk, updated_at in Meeting.objects.for_term(term).values_list("pk", "updated_at")
    )
