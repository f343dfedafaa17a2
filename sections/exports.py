"""The term's schedule as data: what `/terms/<term>/schedule.json` serves."""

import orjson
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.urls import reverse

from core.urlhelpers import reverse_url
from sections.calendars import meeting_uid
from sections.models import SHOWN_COLUMNS, Meeting, ShownMeeting
from syllabus.models import Reading

# schedule.json's version, and its schema's name (static/schema/schedule-v1.json, served at
# /schema/schedule-v1.json): see docs/exports.md for what a version keeps.
SCHEDULE_VERSION = 1

LEAD_FIELDS = ["username", "first_name", "last_name"]


def schedule_data(term, *, absolute_url):
    """The term, its weeks with their readings and its sections with their meetings, as a
    dict of JSON types. `absolute_url(path)` makes a link absolute (the request's scheme and
    host: `request.build_absolute_uri`); times are local to the term's time zone, with their
    offset."""
    # In the models' orders without their first key, the term: all the rows share it, and
    # ordering by it would join the terms table.
    weeks = Reading.objects.listed_by_week(list(term.weeks.defer("summary").order_by("number")))
    # A list (`to_attr`) rather than a manager: each `.all()` would clone a queryset.
    leads = get_user_model().objects.only(*LEAD_FIELDS).order_by("pk")
    sections = list(
        term.sections.order_by("weekday", "start_time", "name").prefetch_related(
            Prefetch("leads", leads, to_attr="listed_leads")
        )
    )
    for week in weeks:
        week.term = term
    for section in sections:
        section.term = term
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
            "first_monday": term.first_monday.isoformat() if term.first_monday else None,
            "url": absolute_url(term.get_absolute_url()),
            "calendar": absolute_url(reverse_url("sections:term-calendar", term=term.slug)),
        },
        "weeks": [
            {
                "number": week.number,
                "title": week.title,
                "tagline": week.tagline,
                "starts_on": week.starts_on.isoformat() if week.starts_on else None,
                "ends_on": week.ends_on.isoformat() if week.ends_on else None,
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
