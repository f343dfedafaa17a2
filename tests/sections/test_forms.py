"""Section times typed as organizers type them: “6:30 pm”, “6:30pm”, “18:30”, in the Section
admin and wherever a meeting's time is typed; anything else is a clear error, never a 500."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from sections.forms import ClockTimeField, MeetingMoveForm, parse_clock
from sections.models import Meeting, Section
from tests.admin_forms import admin_change
from tests.hostile import NASTY_DATES_AND_TIMES, NASTY_STRINGS, hostile_settings

pytestmark = pytest.mark.django_db

T = datetime.time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6:30 pm", T(18, 30)),
        ("6:30pm", T(18, 30)),
        ("6:30 PM", T(18, 30)),
        ("6:30 p.m.", T(18, 30)),
        ("6 pm", T(18, 0)),
        ("6pm", T(18, 0)),
        ("18:30", T(18, 30)),
        ("18:30:00", T(18, 30)),  # what the admin's clock button types
        ("06:05", T(6, 5)),
        (" 7:30  am ", T(7, 30)),
        ("12 pm", T(12, 0)),
        ("12:15 am", T(0, 15)),
        ("0:00", T(0, 0)),
        ("23:59", T(23, 59)),
    ],
)
def test_parse_clock_reads_times_as_people_type_them(text, expected):
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("6", "Say am or pm (6 pm), or give the minutes (18:00)."),
        ("18:30 pm", "With am or pm the hour goes from 1 to 12: 6:30 pm, or 18:30 without pm."),
        ("0:30 am", "With am or pm the hour goes from 1 to 12: 6:30 pm, or 18:30 without pm."),
        ("24:00", "There is no such time of day: write it as 6:30 pm or 18:30."),
        ("6:60 pm", "There is no such time of day: write it as 6:30 pm or 18:30."),
        ("23:59:60", "There is no such time of day: write it as 6:30 pm or 18:30."),
        ("half past six", "Enter a time such as 6:30 pm or 18:30."),
        ("6.30 pm", "Enter a time such as 6:30 pm or 18:30."),
        ("٦:٣٠", "Enter a time such as 6:30 pm or 18:30."),  # Arabic-Indic digits
        ("6:30 pm\x00", "Enter a time such as 6:30 pm or 18:30."),
        ("-1:00", "Enter a time such as 6:30 pm or 18:30."),
    ],
)
def test_parse_clock_says_how_to_write_what_it_cannot_read(text, message):
    with pytest.raises(ValidationError) as raised:
        parse_clock(text)

    assert raised.value.messages == [message]


CLOCK_ERRORS = {
    "Enter a time such as 6:30 pm or 18:30.",
    "Say am or pm (6 pm), or give the minutes (18:00).",
    "With am or pm the hour goes from 1 to 12: 6:30 pm, or 18:30 without pm.",
    "There is no such time of day: write it as 6:30 pm or 18:30.",
}


@hostile_settings(max_examples=300)
@given(
    text=st.one_of(
        st.text(max_size=30),
        st.text("0123456789: apmAPM.\t", max_size=14),
        st.sampled_from(NASTY_STRINGS + NASTY_DATES_AND_TIMES),
    )
)
def test_the_time_field_gives_a_time_or_a_clear_error_for_any_text(text):
    field = ClockTimeField(required=False)

    try:
        value, messages = field.clean(text), []
    except ValidationError as error:
        value, messages = None, error.messages

    assert value is None or isinstance(value, datetime.time)
    if value is not None:  # and it reads back as the same time
        assert parse_clock(value.strftime("%H:%M:%S")) == value
    assert messages == [] or (len(messages) == 1 and messages[0] in CLOCK_ERRORS)


def test_the_time_field_says_the_format_after_the_models_help_text():
    assert ClockTimeField(help_text="Local time in the term's time zone.").help_text == (
        "Local time in the term's time zone. Type it as 6:30 pm, 6:30pm or 18:30."
    )
    assert ClockTimeField(say_format=False).help_text == ""


@pytest.fixture
def wednesday(fall2022):
    return Section.objects.get(term=fall2022, slug="wednesday")


def test_the_section_admin_takes_6_30_pm_and_moves_the_meetings(client, organizer, wednesday):
    client.force_login(organizer)
    url = f"/admin/sections/section/{wednesday.pk}/change/"

    response = admin_change(client, url, start_time="6:30 pm", end_time="8:30pm")

    assert response.status_code == 302
    wednesday.refresh_from_db()
    assert (wednesday.start_time, wednesday.end_time) == (T(18, 30), T(20, 30))
    assert wednesday.meetings.get(week__number=1).when_display == "Wed Sep 14, 6:30–8:30 pm"


def test_the_section_admin_shows_times_as_18_30_and_says_the_format(client, organizer, wednesday):
    client.force_login(organizer)

    html = client.get(f"/admin/sections/section/{wednesday.pk}/change/").content.decode()

    assert 'name="start_time" value="18:00"' in html
    help_text = re.search(r'<div class="help" id="id_start_time_helptext">(.*?)</div>', html, re.S)
    assert " ".join(re.sub(r"<[^>]+>", "", help_text.group(1)).split()) == (
        "Local time in the term's time zone. Type it as 6:30 pm, 6:30pm or 18:30."
    )


def test_the_section_admin_says_what_is_wrong_with_a_time_next_to_it(client, organizer, wednesday):
    client.force_login(organizer)
    url = f"/admin/sections/section/{wednesday.pk}/change/"

    response = admin_change(client, url, start_time="6", end_time="25:00")

    assert response.context["adminform"].form.errors == {
        "start_time": ["Say am or pm (6 pm), or give the minutes (18:00)."],
        "end_time": ["There is no such time of day: write it as 6:30 pm or 18:30."],
    }
    wednesday.refresh_from_db()
    assert wednesday.start_time == T(18, 0)


@hostile_settings(max_examples=25)
@given(start=st.one_of(st.text(max_size=20), st.sampled_from(["6:30 pm", "7pm", "19:00"])))
def test_the_section_admin_never_fails_on_a_typed_start_time(organizer, wednesday, start):
    client = Client(raise_request_exception=False)
    client.force_login(organizer)
    url = f"/admin/sections/section/{wednesday.pk}/change/"

    response = admin_change(client, url, start_time=start, end_time="11:59 pm")

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert list(response.context["adminform"].form.errors) == ["start_time"]


def test_a_meeting_can_be_moved_to_a_time_typed_with_pm(organizer, wednesday):
    meeting = Meeting.objects.get(section=wednesday, week__number=2)
    data = {"date": "2022-09-22", "start_time": "6:30 pm", "end_time": "8pm", "room": ""}

    form = MeetingMoveForm(data, meeting=meeting)

    assert form.is_valid(), form.errors
    assert (form.cleaned_data["start_time"], form.cleaned_data["end_time"]) == (
        T(18, 30),
        T(20, 0),
    )
    assert form.fields["start_time"].help_text == ""
