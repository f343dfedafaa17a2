"""Forms for meeting changes and new terms.

Plain `Form`s rather than ModelForms: their fields are not the model's (a local date and times
in the term's time zone become UTC `starts_at`/`ends_at`), and the write is a service's job
(`sections.services`), whose ValidationErrors come back keyed by these fields' names.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import pluralize
from django.utils.html import format_html

from sections.models import DiscussionNote
from syllabus.models import (
    MAX_WEEK_NUMBER,
    check_first_monday,
    lay_out_weeks,
    validate_one_line,
)

NOTE_MAX_CHARACTERS = 100_000

# --- Times of day, as people type them ------------------------------------------------------

TIME_FORMAT_HELP = "Type it as 6:30 pm, 6:30pm or 18:30."
# "6:30 pm", "6:30pm", "6 pm", "6:30 p.m.", "18:30", "18:30:00" (the admin's clock button);
# ASCII digits only (int() would read other scripts' digits too).
_CLOCK = re.compile(
    r"(?P<hour>[0-9]{1,2})(?::(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?)?"
    r"(?:\s*(?P<half>[ap])\.?\s*m\.?)?",
    re.IGNORECASE,
)


def parse_clock(text: str) -> datetime.time:
    """A time of day from “6:30 pm”, “6:30pm”, “6 pm”, “18:30” or “18:30:00”; else a
    ValidationError that says how to write it."""
    match = _CLOCK.fullmatch(" ".join(text.split()))
    if match is None:
        raise ValidationError("Enter a time such as 6:30 pm or 18:30.", code="invalid")
    hour = int(match["hour"])
    minute, second = int(match["minute"] or 0), int(match["second"] or 0)
    if match["half"]:
        if not 1 <= hour <= 12:
            raise ValidationError(
                "With am or pm the hour goes from 1 to 12: 6:30 pm, or 18:30 without pm.",
                code="invalid_hour",
            )
        hour = hour % 12 + (12 if match["half"].lower() == "p" else 0)
    elif match["minute"] is None:
        raise ValidationError(
            "Say am or pm (6 pm), or give the minutes (18:00).", code="ambiguous_hour"
        )
    if hour > 23 or minute > 59 or second > 59:
        raise ValidationError(
            "There is no such time of day: write it as 6:30 pm or 18:30.", code="no_such_time"
        )
    return datetime.time(hour, minute, second)


class ClockTimeField(forms.TimeField):
    """A time of day typed as people type them (`parse_clock`); its help text says how, but
    where the browser draws its own time control (`say_format=False`)."""

    def __init__(self, *, help_text="", say_format=True, **kwargs):
        if say_format:
            help_text = f"{help_text} {TIME_FORMAT_HELP}" if help_text else TIME_FORMAT_HELP
        super().__init__(help_text=help_text, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.time):
            return value
        return parse_clock(str(value))


def _helper(submit_name, label, css_class=""):
    helper = FormHelper()
    helper.form_method = "post"
    helper.add_input(Submit(submit_name, label, css_class=css_class))
    return helper


def audience_text(audience, meetings=1):
    """“This will email 23 members.”: what ticking “Email the members” does."""
    if audience == 0:
        return "No member has an email address to use: this will email no one."
    if meetings > 1:
        return (
            f"This will send {audience} email{pluralize(audience)}: one to each member of each "
            "meeting's section."
        )
    return f"This will email {audience} member{pluralize(audience)}."


class NotifyMembersForm(forms.Form):
    """A meeting change form that offers “Email the members” (ticked), telling how many that
    is, when an app emails members about meeting changes: `audience` is their number, from
    `sections.signals.audience_of` (None: no app does, and the form has no such field)."""

    # The lead's page shows three of these forms, each with the checkbox: each names it its own
    # way (checkboxes sharing a name read as one group to assistive technology).
    notify_name = "notify"

    def __init__(self, *args, audience=None, meetings=1, **kwargs):
        super().__init__(*args, **kwargs)
        if audience is not None:
            self.fields["notify"] = forms.BooleanField(
                label="Email the members",
                required=False,
                initial=True,
                help_text=audience_text(audience, meetings),
            )

    def add_prefix(self, field_name):
        if field_name == "notify":
            return self.notify_name
        return super().add_prefix(field_name)


class MeetingMoveForm(NotifyMembersForm):
    notify_name = "move-notify"

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    # <input type="time">: the browser shows the format, and sends 18:30 whatever was typed.
    start_time = ClockTimeField(
        say_format=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = ClockTimeField(
        say_format=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    room = forms.CharField(max_length=100, required=False, validators=[validate_one_line])
    note = forms.CharField(
        label="Public note",
        max_length=300,
        required=False,
        validators=[validate_one_line],
        help_text="Optional, shown to members, e.g. “Moved for the midterm exams”.",
    )

    def __init__(self, *args, meeting, **kwargs):
        start, end = meeting.local_start(), meeting.local_end()
        kwargs.setdefault(
            "initial",
            {
                "date": start.date() if start else None,
                "start_time": start.time() if start else None,
                "end_time": end.time() if end else None,
                "room": meeting.room,
                "note": "" if meeting.is_cancelled else meeting.public_note,
            },
        )
        super().__init__(*args, **kwargs)
        # Help text is HTML (crispy and Django's form templates print it with |safe), and
        # these name stored text: format_html escapes it.
        self.fields["room"].help_text = format_html(
            "Leave empty for the section's room ({}).", meeting.scheduled_room
        )
        self.fields["date"].help_text = format_html(
            "Times are {} time.", meeting.section.term.time_zone
        )
        self.helper = _helper("move", "Move meeting")


class MeetingCancelForm(NotifyMembersForm):
    notify_name = "cancel-notify"
    reason = forms.CharField(
        label="Reason, shown to members",
        max_length=300,
        validators=[validate_one_line],
        help_text="For example “No meeting: Veterans Day”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("cancel", "Cancel meeting", css_class="btn-danger")


class MeetingRestoreForm(NotifyMembersForm):
    """Nothing to fill in but whether to email: a POST button back to the regular time and
    room."""

    notify_name = "restore-notify"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("restore", "Restore regular time and room")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class MondaysField(forms.Field):
    """Calendar weeks, each by its Monday (YYYY-MM-DD), from checkboxes the page draws itself
    (`NextTermForm.layout`); at most a term's number of weeks."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if value in self.empty_values:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > MAX_WEEK_NUMBER:
            raise ValidationError(
                "Skip at most %(max)s weeks.", code="too_many", params={"max": MAX_WEEK_NUMBER}
            )
        days = set()
        for text in values:
            try:
                day = datetime.date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else None
            except ValueError:
                day = None
            if day is None or day.weekday() != 0:
                raise ValidationError(
                    "Weeks to skip are given by their Monday; reload the page and tick them again.",
                    code="not_a_week",
                )
            days.add(day)
        return sorted(days)


@dataclass(frozen=True)
class LayoutRow:
    """A calendar week of the new term: the weeks that start in it (none: a week without a
    meeting) and whether the organizer skips it."""

    monday: datetime.date
    weeks: list
    skipped: bool

    @property
    def sunday(self):
        return self.monday + datetime.timedelta(days=6)

    @property
    def value(self):
        return self.monday.isoformat()


class NextTermForm(forms.Form):
    name = forms.CharField(
        max_length=100, validators=[validate_one_line], help_text="For example “Spring 2023”."
    )
    slug = forms.SlugField(max_length=100, help_text="Used in URLs: spring-2023.")
    first_monday = forms.DateField(
        label="First Monday",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Monday of week 1.",
    )
    skip_weeks = MondaysField(
        label="Weeks without a meeting",
        required=False,
        help_text="Holidays: the week that falls there, and every later one, moves on a week.",
    )

    def __init__(self, *args, term=None, **kwargs):
        """`term`: the term the new one starts from (its weeks are laid out on the page)."""
        super().__init__(*args, **kwargs)
        self.term = term
        self.weeks = list(term.weeks.order_by("number")) if term else []

    def clean_first_monday(self):
        value = self.cleaned_data["first_monday"]
        try:
            check_first_monday(value)
        except ValidationError as error:
            raise ValidationError(error.error_dict["first_monday"]) from None
        return value

    def clean(self):
        cleaned = super().clean()
        first_monday, skipped = cleaned.get("first_monday"), cleaned.get("skip_weeks") or []
        if first_monday and any(day < first_monday for day in skipped):
            self.add_error(
                "skip_weeks",
                ValidationError(
                    "A week to skip is before the first Monday; tick the weeks again.",
                    code="before_first_monday",
                ),
            )
        return cleaned

    def layout(self):
        """The new term's calendar weeks, from the first Monday to the last week's
        (`LayoutRow`s), as the dates picked lay them out; None until a first Monday is."""
        if not self.is_bound or self.errors.get("first_monday"):
            return None
        first_monday = self.cleaned_data.get("first_monday")
        if first_monday is None:
            return None
        skipped = set(self.cleaned_data.get("skip_weeks") or [])
        placed = lay_out_weeks(
            self.weeks,
            from_monday=self.term.first_monday if self.term else None,
            to_monday=first_monday,
            skipped=skipped,
        )
        by_monday = defaultdict(list)
        for week, start in placed:
            by_monday[start - datetime.timedelta(days=start.weekday())].append(week)
        last = max(by_monday, default=first_monday)
        count = (last - first_monday).days // 7 + 1
        mondays = [first_monday + datetime.timedelta(weeks=n) for n in range(count)]
        return [LayoutRow(day, by_monday.get(day, []), day in skipped) for day in mondays]


def check_note_length(body):
    """Notes of a meeting are a few pages: 100,000 characters is some forty of them."""
    if len(body) > NOTE_MAX_CHARACTERS:
        raise ValidationError(
            "These notes are %(length)s characters long; notes take at most %(limit)s. "
            "Shorten them (or link to a longer document).",
            code="too_long",
            params={"length": f"{len(body):,}", "limit": f"{NOTE_MAX_CHARACTERS:,}"},
        )
    return body


class DiscussionNoteForm(forms.ModelForm):
    """The lead's editor. `version` is the revision the text was loaded from: saving checks it,
    so a lead who edited an older version is told instead of overwriting someone else."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    class Meta:
        model = DiscussionNote
        fields = ["body", "status"]
        labels = {"body": "Notes"}
        help_texts = {
            "body": "Markdown: **bold**, *italic*, lists, > quotes, `code`, tables and "
            f"[links](https://example.org). Other HTML is removed. At most "
            f"{NOTE_MAX_CHARACTERS:,} characters.",
            "status": "Drafts are seen only by the meeting's leads and organizers.",
        }
        widgets = {
            "body": forms.Textarea(attrs={"rows": 16}),
            "status": forms.RadioSelect,
        }

    def clean_body(self):
        return check_note_length(self.cleaned_data["body"])
