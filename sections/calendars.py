"""iCalendar (RFC 5545) feeds of meetings, written as the `icalendar` package writes them.

Times are written in the term's time zone (`DTSTART;TZID=America/New_York:20221109T180000`) with
that zone's VTIMEZONE, so calendar programs keep 6 pm at 6 pm across daylight-saving changes.
UIDs depend only on the meeting's primary key, so edits update events instead of duplicating them.

Every stored text goes through `one_line` first: RFC 5545 allows no control characters in a
TEXT value, and icalendar refuses a line break in some properties (X-WR-CALNAME): one stored
line break made every feed of its term a 500. DESCRIPTION is built of such lines, joined by
line breaks that are escaped as `\\n`.

`meetings_calendar` writes the content lines itself, byte for byte what icalendar 7's
`Event.new`, `Calendar.new` and `to_ical()` write for the same events (building icalendar's
property objects and serialising them was most of a term feed's render; issue #16): see
"Writing the content lines" below. tests/sections/test_feeds.py holds them to icalendar's bytes
for any stored text; tests/golden/feeds/ holds whole feeds as they were before.
"""

import datetime
import functools
import re
import zoneinfo
from urllib.parse import quote, urlencode

from icalendar import Calendar, Event, vDuration

from sections.models import Weekday
from syllabus.models import ListedReading, Reading

PRODID = "-//readinggroup//Reading group calendar//EN"
# UIDs must stay the same whatever host name the site is reached by: a fixed domain.
UID_DOMAIN = "readinggroup.calendar"
REFRESH = datetime.timedelta(hours=6)


# C0 and C1 control characters (line breaks, tabs, NUL, escape, DEL and the rest).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@functools.lru_cache(maxsize=4096)
def one_line(text):
    """`text` for a one-line property: each control character (line breaks included) and
    each run of white space (U+2028 and U+2029 too) becomes a single space. Remembered: a
    feed asks it of the same week titles, section names and readings again and again."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", text).split())


def meeting_uid(meeting):
    return f"meeting-{meeting.pk}@{UID_DOMAIN}"


def event_summary(meeting, start):
    """`Week 6: Grokking (Wednesday)`; `Cancelled: Week 6: …` for a cancelled meeting, since
    some calendar programs show an event whatever its STATUS says; and `Week 6: Grokking
    (Wednesday section, moved to Tuesday)` for a meeting moved to another day of the week,
    since sections are often named after their day. `start` is the meeting's local start."""
    title, section = one_line(meeting.week.title), one_line(meeting.section.name)
    cancelled = "Cancelled: " if meeting.is_cancelled else ""
    if start is not None and start.weekday() != meeting.section.weekday:
        section = f"{section} section, moved to {Weekday(start.weekday()).label}"
    return f"{cancelled}Week {meeting.week.number}: {title} ({section})"


def week_description(week, week_url):
    """The lines of an event's description that come from its week, which every section's
    meeting of that week shares: `(tagline lines, reading lines with the week page's)`. The
    readings are the week's `listed_readings` if it has them, else its prefetched readings."""
    tagline = one_line(week.tagline)
    lines = []
    readings = getattr(week, "listed_readings", None)
    if readings is None:  # prefetched by `for_calendar`
        readings = [ListedReading.of(reading) for reading in week.readings.all()]
    if readings:
        lines.append("Readings:")
        for reading in readings:
            optional = " (optional)" if reading.kind == Reading.Kind.OPTIONAL else ""
            link = f" {one_line(reading.primary_url)}" if reading.primary_url else ""
            title, authors = one_line(reading.title), one_line(reading.authors)
            lines.append(f"- {title}, {authors}{optional}{link}")
        lines.append("")
    lines.append(f"Week page: {week_url}")
    return [tagline, ""] if tagline else [], lines


def meeting_lines(meeting):
    """The lines of an event's description that are the meeting's own (cancelled, moved, its
    note), before its week's (`week_description`). Each is from `one_line`: stored text cannot
    add lines or control codes."""
    lines = []
    note = one_line(meeting.public_note)
    if meeting.is_cancelled:
        lines += [f"Cancelled: {note}" if note else "Cancelled.", ""]
    elif meeting.is_moved:
        old_room = one_line(meeting.scheduled_room)
        lines += [f"Moved from {meeting.scheduled_when_display} · {old_room}.", ""]
    if note and not meeting.is_cancelled:
        lines += [note, ""]
    return lines


# --- Writing the content lines ----------------------------------------------------------------
#
# Each property is written as icalendar 7 writes it (`Calendar.new`, `Event.new`, `to_ical()`):
# the same properties in the same order (the component's canonical ones, then the rest sorted
# by name), TEXT values escaped by `ical_text` (icalendar's `_escape_char`), URL as it is,
# DATE-TIME values as `vDatetime` writes them, each line folded by `fold_line`. What depends on
# a time zone (its TZID parameter, its VTIMEZONE) is asked of icalendar itself, once per zone
# (`_zone_form`, `_vtimezone_lines`). tests/sections/test_feeds.py compares the bytes with
# icalendar's for hostile and multi-byte text; tests/golden/feeds/ holds whole feeds.

REFRESH_ICAL = vDuration(REFRESH).to_ical().decode()


@functools.lru_cache(maxsize=4096)
def ical_text(value):
    """A TEXT value, escaped as icalendar's `vText.to_ical()` escapes it (RFC 5545 3.3.11;
    a literal `\\N` is read as a line break, as icalendar reads it)."""
    return (
        value.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def ical_datetime(moment):
    """`20221109T180000`: a DATE-TIME's digits (seconds kept, microseconds dropped), from the
    first 19 characters of its ISO form, `2022-11-09T18:00:00` (the quickest way to them)."""
    return moment.isoformat()[:19].replace("-", "").replace(":", "")


def ical_utc(moment):
    """`20221109T230000Z`: DTSTAMP and LAST-MODIFIED, in UTC as icalendar converts them."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
    return ical_datetime(moment) + "Z"


@functools.lru_cache(maxsize=64)
def _zone_form(time_zone):
    """How icalendar writes DTSTART and DTEND in `time_zone`: `(';TZID=America/New_York', '')`,
    or `('', 'Z')` for UTC and the zones it counts as UTC."""
    moment = datetime.datetime(2000, 1, 1, tzinfo=zoneinfo.ZoneInfo(time_zone))
    event = Event.new(uid="zone", start=moment, stamp=moment)
    line = event.content_line("DTSTART", event["DTSTART"])
    head, _, value = line.rpartition(":")
    return head.removeprefix("DTSTART"), "Z" if value.endswith("Z") else ""


@functools.lru_cache(maxsize=256)
def _vtimezone_lines(time_zones, first_date, last_date):
    """The VTIMEZONE content lines icalendar's `add_missing_timezones(first_date, last_date)`
    adds to a calendar whose events are in `time_zones` (a frozenset of zone names), in the
    order of their TZIDs (icalendar's own order is a set's, which changes with the process's
    hash seed: a member's feed of two zones changed from one server process to the next)."""
    calendar = Calendar()
    for time_zone in time_zones:
        moment = datetime.datetime(2000, 1, 1, tzinfo=zoneinfo.ZoneInfo(time_zone))
        calendar.add_component(Event.new(uid="zone", start=moment, stamp=moment))
    calendar.add_missing_timezones(first_date=first_date, last_date=last_date)
    timezones = sorted(calendar.timezones, key=lambda timezone: timezone.tz_name)
    return tuple(line for timezone in timezones for line in timezone.content_lines() if line)


def meetings_calendar(*, name, uid, term, meetings, request) -> bytes:
    """The .ics text of `meetings` (dated ones; undated meetings have no event yet)."""

    # Most lines are short ASCII, which needs no folding; a long line (a week's DESCRIPTION
    # and URL in every section's event) is folded once per feed. Only lines that hold stored
    # text or a time zone's go through `fold`: the others (BEGIN, DTSTAMP, UID, SEQUENCE,
    # STATUS, …) are short ASCII by their form.
    def fold(line):
        return line if len(line) <= _FOLD_OCTETS and line.isascii() else _folded(line)

    # icalendar writes NAME, X-WR-CALNAME and X-WR-TIMEZONE as it writes a property of a type
    # it does not know: as they are, unescaped.
    name = one_line(name)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        fold(f"PRODID:{ical_text(PRODID)}"),
        fold(f"NAME:{name}"),  # RFC 7986, and X-WR-CALNAME for the calendar programs before it
        fold(f"X-WR-CALNAME:{name}"),
        # RFC 7986 5.7 asks for the value type: `REFRESH-INTERVAL;VALUE=DURATION:PT6H`.
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH_ICAL}",
        fold(f"UID:{ical_text(uid)}"),
        f"X-PUBLISHED-TTL:{REFRESH_ICAL}",
        fold(f"X-WR-TIMEZONE:{one_line(term.time_zone)}"),
    ]
    events = []
    zones = {}  # time zone name → (tzinfo, DTSTART/DTEND parameters, suffix)
    weeks = {}  # week pk → its part of the description, and its URL line
    locations = {}  # (term's place, room) → the LOCATION line
    first_day = last_day = None
    for meeting in meetings:
        if meeting.starts_at is None:
            continue
        section_term = meeting.section.term
        zone = zones.get(section_term.time_zone)
        if zone is None:
            zone = zones[section_term.time_zone] = (
                section_term.tz,
                *_zone_form(section_term.time_zone),
            )
        tz, parameters, suffix = zone
        start = meeting.starts_at.astimezone(tz)
        day = start.date()
        if first_day is None or day < first_day:
            first_day = day
        if last_day is None or day > last_day:
            last_day = day
        week = meeting.week
        week_part = weeks.get(week.pk)
        if week_part is None:
            week_url = request.build_absolute_uri(week.get_absolute_url())
            tagline, rest = week_description(week, week_url)
            week_part = weeks[week.pk] = (
                ical_text("\n".join(tagline + rest)),
                fold(f"URL:{week_url}"),
            )
        week_text, url_line = week_part
        # The week's part is escaped once: escaping each part gives the escaped whole, since
        # the part before it ends with a line break (no `\\N` or CRLF spans the two).
        own_lines = meeting_lines(meeting)
        if own_lines:
            week_text = ical_text("\n".join(own_lines) + "\n") + week_text
        room = meeting.room
        location = locations.get((section_term.place, room))
        if location is None:
            location = locations[section_term.place, room] = fold(
                f"LOCATION:{ical_text(one_line(meeting.location))}"
            )
        updated = ical_utc(meeting.updated_at)
        events += [
            "BEGIN:VEVENT",
            fold(f"SUMMARY:{ical_text(event_summary(meeting, start))}"),
            fold(f"DTSTART{parameters}:{ical_datetime(start)}{suffix}"),
        ]
        if meeting.ends_at is not None:
            end = meeting.ends_at.astimezone(tz)
            events.append(fold(f"DTEND{parameters}:{ical_datetime(end)}{suffix}"))
        events += [
            # With no METHOD, DTSTAMP is when the event was last revised (RFC 5545 3.8.7.2).
            f"DTSTAMP:{updated}",
            f"UID:{meeting_uid(meeting)}",  # a number and a fixed domain: nothing to escape
            f"SEQUENCE:{int(meeting.sequence)}",
            fold(f"DESCRIPTION:{week_text}"),
            f"LAST-MODIFIED:{updated}",
            location,
            "STATUS:CANCELLED" if meeting.is_cancelled else "STATUS:CONFIRMED",
            url_line,
            "END:VEVENT",
        ]
    if zones:
        lines += [
            fold(line)
            for line in _vtimezone_lines(
                frozenset(zones),
                first_day - datetime.timedelta(days=1),
                last_day + datetime.timedelta(days=1),
            )
        ]
    lines += events
    lines += ["END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


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


@functools.lru_cache(maxsize=1024)
def _folded(line):
    """`fold_line(line)` as text, remembered: the long lines of a feed (each week's
    DESCRIPTION and URL, in every section's event) come back in every request for it."""
    return fold_line(line).decode()


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
