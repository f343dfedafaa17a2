"""iCalendar (RFC 5545) feeds of meetings, built with the `icalendar` package.

Times are written in the term's time zone (`DTSTART;TZID=America/New_York:20221109T180000`) with
that zone's VTIMEZONE, so calendar programs keep 6 pm at 6 pm across daylight-saving changes.
UIDs depend only on the meeting's primary key, so edits update events instead of duplicating them.

Every stored text goes through `one_line` first: RFC 5545 allows no control characters in a
TEXT value, and icalendar refuses a line break in some properties (X-WR-CALNAME): one stored
line break made every feed of its term a 500. DESCRIPTION is built of such lines, joined by
line breaks that icalendar escapes as `\\n`.

The text is serialised by `ical_bytes`, not by icalendar's `to_ical()`: the same bytes, but each
content line is folded in one pass over its UTF-8 bytes instead of character by character (that
folding was about half of a term feed's render; docs/performance.md).
"""

import datetime
import re
from urllib.parse import quote, urlencode

from icalendar import Calendar, Event, vDuration

from sections.models import Weekday

PRODID = "-//readinggroup//Reading group calendar//EN"
# UIDs must stay the same whatever host name the site is reached by: a fixed domain.
UID_DOMAIN = "readinggroup.calendar"
REFRESH = datetime.timedelta(hours=6)


# C0 and C1 control characters (line breaks, tabs, NUL, escape, DEL and the rest).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text):
    """`text` for a one-line property: each control character (line breaks included) and
    each run of white space (U+2028 and U+2029 too) becomes a single space."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", text).split())


def meeting_uid(meeting):
    return f"meeting-{meeting.pk}@{UID_DOMAIN}"


def event_summary(meeting):
    """`Week 6: Grokking (Wednesday)`; `Cancelled: Week 6: …` for a cancelled meeting, since
    some calendar programs show an event whatever its STATUS says; and `Week 6: Grokking
    (Wednesday section, moved to Tuesday)` for a meeting moved to another day of the week,
    since sections are often named after their day."""
    title, section = one_line(meeting.week.title), one_line(meeting.section.name)
    cancelled = "Cancelled: " if meeting.is_cancelled else ""
    start = meeting.local_start()
    if start is not None and start.weekday() != meeting.section.weekday:
        section = f"{section} section, moved to {Weekday(start.weekday()).label}"
    return f"{cancelled}Week {meeting.week.number}: {title} ({section})"


def event_description(meeting, week_url):
    """Lines of text, each from `one_line`: stored text cannot add lines or control codes."""
    lines = []
    note, tagline = one_line(meeting.public_note), one_line(meeting.week.tagline)
    if meeting.is_cancelled:
        lines += [f"Cancelled: {note}" if note else "Cancelled.", ""]
    elif meeting.is_moved:
        old_room = one_line(meeting.scheduled_room)
        lines += [f"Moved from {meeting.scheduled_when_display} · {old_room}.", ""]
    if note and not meeting.is_cancelled:
        lines += [note, ""]
    if tagline:
        lines += [tagline, ""]
    readings = list(meeting.week.readings.all())
    if readings:
        lines.append("Readings:")
        for reading in readings:
            paper = reading.paper
            optional = " (optional)" if reading.kind == reading.Kind.OPTIONAL else ""
            link = f" {one_line(paper.primary_url)}" if paper.primary_url else ""
            title, authors = one_line(paper.title), one_line(paper.authors)
            lines.append(f"- {title}, {authors}{optional}{link}")
        lines.append("")
    lines.append(f"Week page: {week_url}")
    return "\n".join(lines)


def meeting_event(meeting, request):
    week_url = request.build_absolute_uri(meeting.week.get_absolute_url())
    return Event.new(
        uid=meeting_uid(meeting),
        start=meeting.local_start(),
        end=meeting.local_end(),
        summary=event_summary(meeting),
        location=one_line(meeting.location),
        description=event_description(meeting, week_url),
        url=week_url,
        status="CANCELLED" if meeting.is_cancelled else "CONFIRMED",
        sequence=meeting.sequence,
        last_modified=meeting.updated_at,
        # With no METHOD, DTSTAMP is when the event was last revised (RFC 5545 3.8.7.2).
        stamp=meeting.updated_at,
    )


def meetings_calendar(*, name, uid, term, meetings, request) -> bytes:
    """The .ics text of `meetings` (dated ones; undated meetings have no event yet)."""
    meetings = [m for m in meetings if m.starts_at is not None]
    calendar = Calendar.new(
        name=one_line(name),  # NAME and X-WR-CALNAME
        uid=uid,
        prodid=PRODID,
        subcomponents=[meeting_event(m, request) for m in meetings],
    )
    # RFC 7986 5.7 asks for the value type: `REFRESH-INTERVAL;VALUE=DURATION:PT6H`.
    calendar.add("REFRESH-INTERVAL", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("X-WR-TIMEZONE", one_line(term.time_zone))
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    if meetings:
        local_days = [m.local_start().date() for m in meetings]
        calendar.add_missing_timezones(
            first_date=min(local_days) - datetime.timedelta(days=1),
            last_date=max(local_days) + datetime.timedelta(days=1),
        )
    return ical_bytes(calendar)


# icalendar folds a content line before it would reach 75 octets: 74 octets a line at most,
# then CRLF and a space before the rest (the space is not counted).
_FOLD_OCTETS = 74


def fold_line(line):
    """The UTF-8 bytes of one content line, folded exactly as icalendar 7's `_foldline` folds
    it: never inside a multi-byte character, and no line ends with a backslash or a caret (they
    start RFC 5545 and RFC 6868 escapes): it starts the next line instead."""
    data = line.encode()
    start, size = 0, len(data)
    if size <= _FOLD_OCTETS:
        return data
    parts = []
    while size - start > _FOLD_OCTETS:
        end = start + _FOLD_OCTETS
        while data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: inside a character
            end -= 1
        if data[end - 1] in b"\\^" and end - 1 > start:
            end -= 1
        parts.append(data[start:end])
        start = end
    parts.append(data[start:])
    return b"\r\n ".join(parts)


def ical_bytes(component):
    """`component.to_ical()`, byte for byte, with each content line folded by `fold_line`."""
    return b"\r\n".join(fold_line(line) for line in component.content_lines() if line) + b"\r\n"


def subscribe_links(request, path):
    """https://, webcal:// and Google Calendar links that subscribe to the feed at `path`."""
    https = request.build_absolute_uri(path)
    webcal = "webcal://" + https.split("://", 1)[1]
    google = "https://calendar.google.com/calendar/render?" + urlencode(
        {"cid": webcal}, quote_via=quote
    )
    return {"https": https, "webcal": webcal, "google": google}
