"""The term's schedule as data: what `/terms/<term>/schedule.json` serves."""

import orjson
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from core.urlhelpers import reverse_url
from sections.calendars import meeting_uid
from sections.models import SHOWN_COLUMNS, Meeting, Section, ShownMeeting
from syllabus.models import LISTED_READING_COLUMNS, ListedReading, Week

# schedule.json's version, and its schema's name (static/schema/schedule-v1.json, served at
# /schema/schedule-v1.json): see docs/exports.md for what a version keeps.
SCHEDULE_VERSION = 1

WEEK_FIELDS = ["id", "number", "title", "tagline", "starts_on_override"]
SECTION_FIELDS = ["id", "name", "slug", "weekday", "start_time", "end_time", "room"]
LEAD_FIELDS = ["id", "username", "first_name", "last_name"]


def weeks_with_readings(term):
    """The term's weeks in order, each with its `listed_readings`: one query of the weeks
    joined to their readings and papers (a week without readings is one row of nulls), where
    `listed_by_week` would take a second. Ordered as the models are without their first key,
    the term: all the rows share it, and ordering by it would join the terms table."""
    rows = term.weeks.order_by("number", "readings__order", "readings__pk").values_list(
        *WEEK_FIELDS, *(f"readings__{column}" for column in LISTED_READING_COLUMNS)
    )
    weeks, size = {}, len(WEEK_FIELDS)
    for row in rows:
        week = weeks.get(row[0])
        if week is None:
            week = weeks[row[0]] = Week.from_db(rows.db, WEEK_FIELDS, row[:size])
            week.term, week.listed_readings = term, []
        if row[size] is not None:  # the reading's kind: a week without readings has none
            week.listed_readings.append(ListedReading.of_columns(row[0], *row[size:]))
    return list(weeks.values())


def sections_with_leads(term):
    """The term's sections in order, each with its `listed_leads` (by primary key): one
    query of the sections joined to their leads (a section without leads is one row)."""
    rows = term.sections.order_by("weekday", "start_time", "name", "pk", "leads__pk").values_list(
        *SECTION_FIELDS, *(f"leads__{field}" for field in LEAD_FIELDS)
    )
    user_model = get_user_model()
    sections, size = {}, len(SECTION_FIELDS)
    for row in rows:
        section = sections.get(row[0])
        if section is None:
            section = sections[row[0]] = Section.from_db(rows.db, SECTION_FIELDS, row[:size])
            section.term, section.listed_leads = term, []
        if row[size] is not None:
            section.listed_leads.append(user_model.from_db(rows.db, LEAD_FIELDS, row[size:]))
    return list(sections.values())


def iso_date(day):
    return day.isoformat() if day else None


def schedule_data(term, *, absolute_url):
    """The term, its weeks with their readings and its sections with their meetings, as a
    dict of JSON types. `absolute_url(path)` makes a link absolute (the request's scheme and
    host: `request.build_absolute_uri`); times are local to the term's time zone, with their
    offset."""
    weeks = weeks_with_readings(term)
    sections = sections_with_leads(term)
    week_by_pk = {week.pk: week for week in weeks}
    section_by_pk = {section.pk: section for section in sections}
    # Rows rather than model objects, in week order sorted here: ordering by the week's number
    # would join the weeks table.
    rows = (
        Meeting.objects.for_term(term)
        .order_by()
        .values_list("pk", "section_id", "week_id", *SHOWN_COLUMNS)
    )
    meetings_by_section = {section.pk: [] for section in sections}
    for pk, section_id, week_id, *shown in sorted(
        rows, key=lambda row: (week_by_pk[row[2]].number, row[0])
    ):
        meetings_by_section[section_id].append(
            ShownMeeting(pk, section_by_pk[section_id], week_by_pk[week_id], *shown)
        )
    tz = term.tz

    def local(moment):
        return moment.astimezone(tz).isoformat() if moment else None

    return {
        "$schema": absolute_url(
            reverse("json-schema", kwargs={"name": f"schedule-v{SCHEDULE_VERSION}"})
        ),
        "version": SCHEDULE_VERSION,
        "term": {
            "name": term.name,
            "slug": term.slug,
            "title": term.title,
            "institution": term.institution,
            "place": term.place,
            "time_zone": term.time_zone,
            "first_monday": iso_date(term.first_monday),
            "url": absolute_url(term.get_absolute_url()),
            "calendar": absolute_url(reverse_url("sections:term-calendar", term=term.slug)),
        },
        "weeks": [
            {
                "number": week.number,
                "title": week.title,
                "tagline": week.tagline,
                "starts_on": iso_date(week.starts_on),
                "ends_on": iso_date(week.ends_on),
                "url": absolute_url(week.get_absolute_url()),
                "readings": [
                    {
                        "title": reading.title,
                        "authors": reading.authors,
                        "year": reading.year,
                        "kind": reading.kind,
                        "note": reading.note,
                        "url": reading.primary_url,
                        "arxiv_id": reading.arxiv_id,
                        "doi": reading.doi,
                    }
                    for reading in week.listed_readings
                ],
            }
            for week in weeks
        ],
        "sections": [
            {
                "name": section.name,
                "slug": section.slug,
                "weekday": section.get_weekday_display(),
                "start_time": section.start_time.isoformat("minutes"),
                "end_time": section.end_time.isoformat("minutes"),
                "room": section.room,
                "leads": [lead.get_full_name() or lead.username for lead in section.listed_leads],
                "url": absolute_url(section.get_absolute_url()),
                "calendar": absolute_url(
                    reverse_url("sections:section-calendar", term=term.slug, section=section.slug)
                ),
                "meetings": [
                    {
                        "id": meeting.pk,
                        "uid": meeting_uid(meeting),
                        "week": meeting.week.number,
                        "starts_at": local(meeting.starts_at),
                        "ends_at": local(meeting.ends_at),
                        "room": meeting.room,
                        "status": meeting.status,
                        "note": meeting.public_note,
                        "moved": meeting.is_moved,
                        "regular_starts_at": local(meeting.scheduled_starts_at),
                        "regular_room": meeting.scheduled_room,
                        "sequence": meeting.sequence,
                    }
                    for meeting in meetings_by_section[section.pk]
                ],
            }
            for section in sections
        ],
    }


def json_indented(value):
    """`json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)` as UTF-8 bytes,
    written by orjson (json's `indent` runs its pure-Python encoder: a quarter of schedule.json's
    render). Dates and times go to DjangoJSONEncoder as json.dumps sends them; the same text for
    what schedule.json holds (strings, integers, booleans, null, lists, objects, date-times)."""
    return orjson.dumps(value, default=_django_json, option=JSON_OPTIONS)


JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME
_django_json = DjangoJSONEncoder().default
