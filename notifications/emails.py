"""The meeting-change email: subject, plain text and HTML, rendered once for all of a section's
members (it names no member, so one text serves them all and a rewrite is one UPDATE).

Times are in the term's time zone with the zone spelled out (“6:00–8:00 pm EST
(America/New_York)”); the link to the week is absolute (`SITE_URL`). Templates:
templates/notifications/email/meeting_change.{txt,html}; the HTML escapes every stored name.
"""

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import Truncator

from sections.calendars import one_line
from sections.models import MeetingState, format_time_range

SUBJECT_MAX_LENGTH = 255  # OutgoingEmail.subject


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Row:
    """One line of the email: `old` → `new`; `new` is None when it no longer applies (the date
    and room of a meeting now cancelled)."""

    label: str
    old: str
    new: str | None

    @property
    def changed(self):
        return self.new is not None and self.old != self.new


def _clock(value):
    return f"{value.hour % 12 or 12}:{value.minute:02d}"


def _meridiem(value):
    return "am" if value.hour < 12 else "pm"


class Moment:
    """A meeting state's date and times, local to the term's time zone."""

    def __init__(self, state: MeetingState, tz, zone_name):
        self.start = state.starts_at.astimezone(tz) if state.starts_at else None
        self.end = state.ends_at.astimezone(tz) if state.ends_at else None
        self.zone_name = zone_name

    @property
    def date(self):
        """“Thu Nov 17”, as the site's pages write it."""
        if self.start is None:
            return "date to be set"
        return f"{self.start:%a %b} {self.start.day}"

    @property
    def time(self):
        """“6:00–8:00 pm EST (America/New_York)”."""
        if self.start is None or self.end is None:
            return "time to be set"
        start, end = self.start, self.end
        if _meridiem(start) == _meridiem(end):
            span = f"{_clock(start)}–{_clock(end)} {_meridiem(end)}"
        else:
            span = f"{_clock(start)} {_meridiem(start)}–{_clock(end)} {_meridiem(end)}"
        return f"{span} {start.tzname()} ({self.zone_name})"

    @property
    def short(self):
        """“Thu Nov 17, 6–8 pm EST”, for the subject."""
        if self.start is None or self.end is None:
            return self.date
        span = format_time_range(self.start.time(), self.end.time())
        return f"{self.date}, {span} {self.start.tzname()}"


def headline(before: MeetingState, after: MeetingState) -> str:
    if after.is_cancelled:
        return "Cancelled"
    if before.is_cancelled:
        return "Back on"
    if (before.starts_at, before.ends_at, before.room) != (
        after.starts_at,
        after.ends_at,
        after.room,
    ):
        return "Moved"
    return "Changed"


def footer(term, unsubscribes_from):
    """What the shared email layout (templates/email/base.html) puts at the foot: the group's
    name and, as one text goes to the whole section, the members' email settings rather than a
    personal link (each message's List-Unsubscribe header carries its own one-click link)."""
    return {
        "group_name": term.title,
        "unsubscribe_url": settings.SITE_URL + reverse("members:me") + "#email-settings",
        "unsubscribes_from": unsubscribes_from,
    }


def render_meeting_change(*, meeting, before: MeetingState, after: MeetingState) -> RenderedEmail:
    """The email telling `meeting`'s section that it went from `before` to `after`."""
    section = meeting.section
    term = section.term
    week = meeting.week
    week.term = term  # for its URL
    old, new = (Moment(state, term.tz, term.time_zone) for state in (before, after))
    if after.is_cancelled:  # where it no longer happens does not matter
        rows = [
            Row("Status", "cancelled" if before.is_cancelled else "scheduled", "cancelled"),
            Row("Date", old.date, None),
            Row("Time", old.time, None),
            Row("Room", before.room, None),
        ]
    else:
        rows = [
            Row("Date", old.date, new.date),
            Row("Time", old.time, new.time),
            Row("Room", before.room, after.room),
        ]
        if before.is_cancelled:
            rows.insert(0, Row("Status", "cancelled", "scheduled"))
    title = headline(before, after)
    where = f"{section.name} section, Week {week.number}"
    if after.is_cancelled:
        subject = f"{title}: {where} — {old.short}"
    else:
        subject = (
            f"{title}: {where} — {'now ' if title == 'Moved' else ''}{new.short}, {after.room}"
        )
    context = {
        "headline": title,
        "group": term.title,
        "term": term,
        "section": section,
        "week": week,
        "rows": rows,
        "note_label": "Reason" if after.is_cancelled else "Note",
        "note": after.public_note,
        "url": settings.SITE_URL.rstrip("/") + week.get_absolute_url() + f"#section-{section.slug}",
    }
    subject = Truncator(one_line(subject)).chars(SUBJECT_MAX_LENGTH)
    context["subject"] = subject
    context.update(footer(term, "emails when a meeting is cancelled or moved"))
    return RenderedEmail(
        subject=subject,
        text=render_to_string("notifications/email/meeting_change.txt", context),
        html=render_to_string("notifications/email/meeting_change.html", context),
    )
