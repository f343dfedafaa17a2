"""Calendar feeds (RFC 5545) and the schedule as JSON.

Conditional GET (ETag from the body, Last-Modified from the data version) is answered by the
page cache (core/caching.py), which every write moves on, however it is made.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from core.caching import cache_public_page
from core.cors import allow_any_origin
from sections.calendars import UID_DOMAIN, meetings_calendar, one_line
from sections.exports import json_indented, schedule_data
from sections.models import Meeting, Section
from syllabus.models import Term

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar_response(body, filename, *, attachment=False):
    response = HttpResponse(body, content_type=CALENDAR_CONTENT_TYPE)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@allow_any_origin
@cache_public_page
def term_calendar(request, term):
    """`/terms/<term>/calendar.ics`: every meeting of every section."""
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    meetings = Meeting.objects.for_term(term).for_term_calendar(term)
    body = meetings_calendar(
        name=f"{one_line(term.title)} ({one_line(term.name)})",
        uid=f"term-{term.pk}@{UID_DOMAIN}",
        term=term,
        meetings=meetings,
        request=request,
    )
    return _calendar_response(body, f"{term.slug}.ics")


@allow_any_origin
@cache_public_page
def section_calendar(request, term, section):
    """`/terms/<term>/sections/<section>/calendar.ics`: one section's meetings."""
    section = get_object_or_404(
        Section.objects.select_related("term"),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        slug=section,
    )
    meetings = section.meetings.for_term_calendar(section.term)
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


@allow_any_origin
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


@allow_any_origin
@cache_public_page
def schedule_json(request, term):
    """`/terms/<term>/schedule.json`: the term, its weeks with readings, sections with meetings."""
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    data = schedule_data(term, absolute_url=request.build_absolute_uri)
    return HttpResponse(json_indented(data), content_type="application/json")
