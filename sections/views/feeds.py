"""Calendar feeds (RFC 5545) and the schedule as JSON.

Conditional GET (ETag from the body, Last-Modified from the data version) is answered by the
page cache (core/caching.py), which every write moves on, however it is made.
"""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from core.caching import cache_public_page
from sections.calendars import UID_DOMAIN, meetings_calendar, one_line
from sections.models import Meeting, Section
from syllabus.models import Term

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar_response(body, filename, *, attachment=False):
    response = HttpResponse(body, content_type=CALENDAR_CONTENT_TYPE)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@cache_public_page
def term_calendar(request, term):
    """`/terms/<term>/calendar.ics`: every meeting of every section."""
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    meetings = Meeting.objects.for_term(term).for_calendar().order_by("starts_at", "pk")
    body = meetings_calendar(
        name=f"{one_line(term.title)} ({one_line(term.name)})",
        uid=f"term-{term.pk}@{UID_DOMAIN}",
        term=term,
        meetings=meetings,
        request=request,
    )
    return _calendar_response(body, f"{term.slug}.ics")


@cache_public_page
def section_calendar(request, term, section):
    """`/terms/<term>/sections/<section>/calendar.ics`: one section's meetings."""
    section = get_object_or_404(
        Section.objects.select_related("term"),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        slug=section,
    )
    meetings = section.meetings.for_calendar().order_by("starts_at", "pk")
    body = meetings_calendar(
        name=(
            f"{one_line(section.term.title)} "
            f"({one_line(section.term.name)}, {one_line(section.name)})"
        ),
        uid=f"section-{section.pk}@{UID_DOMAIN}",
        term=section.term,
        meetings=meetings,
        request=request,
    )
    return _calendar_response(body, f"{section.term.slug}-{section.slug}.ics")


@cache_public_page
def meeting_calendar(request, term, section, number):
    """`/terms/<term>/sections/<section>/meetings/<n>.ics`: one meeting, to add by hand."""
    meeting = (
        Meeting.objects.for_calendar()
        .filter(
            section__term__in=Term.objects.visible_to(request.user),
            section__term__slug=term,
            section__slug=section,
            week__number=number,
        )
        .first()
    )
    if meeting is None or meeting.starts_at is None:
        raise Http404("No such meeting.")
    body = meetings_calendar(
        name=(
            f"{one_line(meeting.section.term.name)}: {one_line(meeting.section.name)}, "
            f"week {meeting.week.number}"
        ),
        uid=f"meeting-file-{meeting.pk}@{UID_DOMAIN}",
        term=meeting.section.term,
        meetings=[meeting],
        request=request,
    )
    filename = f"{meeting.section.term.slug}-{meeting.section.slug}-week-{meeting.week.number}.ics"
    return _calendar_response(body, filename, attachment=True)


@cache_public_page
def schedule_json(request, term):
    """`/terms/<term>/schedule.json`: the term, its weeks with readings, sections with meetings."""
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
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

    def url(path):
        return request.build_absolute_uri(path)

    def local(moment):
        return moment.astimezone(term.tz).isoformat() if moment else None

    data = {
        "term": {
            "name": term.name,
            "slug": term.slug,
            "title": term.title,
            "institution": term.institution,
            "time_zone": term.time_zone,
            "first_monday": term.first_monday.isoformat() if term.first_monday else None,
            "url": url(term.get_absolute_url()),
            "calendar": url(reverse("sections:term-calendar", kwargs={"term": term.slug})),
        },
        "weeks": [
            {
                "number": week.number,
                "title": week.title,
                "tagline": week.tagline,
                "starts_on": week.starts_on.isoformat() if week.starts_on else None,
                "ends_on": week.ends_on.isoformat() if week.ends_on else None,
                "url": url(week.get_absolute_url()),
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
                "url": url(section.get_absolute_url()),
                "calendar": url(
                    reverse(
                        "sections:section-calendar",
                        kwargs={"term": term.slug, "section": section.slug},
                    )
                ),
                "meetings": [
                    {
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
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
