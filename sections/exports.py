"""The term's schedule as data: what `/terms/<term>/schedule.json` serves."""

from django.urls import reverse

from sections.calendars import meeting_uid
from sections.models import Meeting

# schedule.json's version, and its schema's name (static/schema/schedule-v1.json, served at
# /schema/schedule-v1.json): see docs/exports.md for what a version keeps.
SCHEDULE_VERSION = 1


def schedule_data(term, *, absolute_url):
    """The term, its weeks with their readings and its sections with their meetings, as a
    dict of JSON types. `absolute_url(path)` makes a link absolute (the request's scheme and
    host: `request.build_absolute_uri`); times are local to the term's time zone, with their
    offset."""
    weeks = list(term.weeks.with_readings())
    sections = list(term.sections.with_leads())
    week_by_pk = {week.pk: week for week in weeks}
    section_by_pk = {section.pk: section for section in sections}
    meetings_by_section = {section.pk: [] for section in sections}
    for meeting in Meeting.objects.for_term(term).order_by("week__number", "pk"):
        meeting.section = section_by_pk[meeting.section_id]
        meeting.week = week_by_pk[meeting.week_id]
        meetings_by_section[meeting.section_id].append(meeting)
    for week in weeks:
        week.term = term
    for section in sections:
        section.term = term

    def local(moment):
        return moment.astimezone(term.tz).isoformat() if moment else None

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
            "calendar": absolute_url(reverse("sections:term-calendar", kwargs={"term": term.slug})),
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
                        "title": reading.paper.title,
                        "authors": reading.paper.authors,
                        "year": reading.paper.year,
                        "kind": reading.kind,
                        "note": reading.note,
                        "url": reading.paper.primary_url,
                        "arxiv_id": reading.paper.arxiv_id,
                        "doi": reading.paper.doi,
                    }
                    for reading in week.readings.all()
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
                "leads": [lead.get_full_name() or lead.username for lead in section.leads.all()],
                "url": absolute_url(section.get_absolute_url()),
                "calendar": absolute_url(
                    reverse(
                        "sections:section-calendar",
                        kwargs={"term": term.slug, "section": section.slug},
                    )
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
