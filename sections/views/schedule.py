"""The public pages: home, a term's schedule, a week, a section (cached for anonymous visitors)."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from core.caching import cache_public_page
from sections.calendars import subscribe_links
from sections.models import Meeting, Section, next_meeting
from syllabus.models import Term, Week


@cache_public_page
def home(request):
    """`/`: the current term's schedule (the same page as `/terms/<term>/`)."""
    term = Term.objects.current()
    if term is None:
        return render(request, "sections/no_term.html")
    return _render_schedule(request, term, is_current=True)


@cache_public_page
def term_schedule(request, term):
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    return _render_schedule(request, term)


def _render_schedule(request, term, *, is_current=False):
    weeks = list(term.weeks.with_readings())
    term.last_week_number = max((week.number for week in weeks), default=None)
    sections = list(term.sections.with_leads())
    Meeting.objects.for_term(term).with_published_note_flag().attach_to_weeks(weeks, sections)
    latest_notes = None  # the meeting of the latest week (last in section order) with notes
    for week in weeks:
        with_notes = [m for m in week.section_meetings if m.has_published_note]
        week.has_published_notes = bool(with_notes)
        latest_notes = with_notes[-1] if with_notes else latest_notes
    today = term.today()
    context = {
        "term": term,
        "current_term": None if is_current else Term.objects.current_after(term),
        "weeks": weeks,
        "sections": sections,
        "organizers": term.organizers.order_by("pk"),
        "current_week": next((week for week in weeks if week.covers(today)), None),
        "next_meeting": next_meeting(m for week in weeks for m in week.section_meetings),
        "latest_notes": latest_notes,
        "calendar": subscribe_links(
            request, reverse("sections:term-calendar", kwargs={"term": term.slug})
        ),
    }
    return render(request, "sections/term_schedule.html", context)


@cache_public_page
def week_detail(request, term, number):
    week = get_object_or_404(
        Week.objects.with_readings().with_term_length().with_neighbours().select_related("term"),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        number=number,
    )
    week.term.last_week_number = week.term_last_week_number
    meetings = list(
        Meeting.objects.for_week(week)
        .in_section_order()
        .with_notes()
        .prefetch_related("section__leads")
    )
    for meeting in meetings:
        meeting.week = week
        meeting.may_manage = meeting.section.is_managed_by(request.user)
        meeting.shown_note = meeting.note_for(may_manage=meeting.may_manage)
    context = {
        "term": week.term,
        "current_term": Term.objects.current_after(week.term),
        "week": week,
        "meetings": meetings,
        "is_current": week.covers(week.term.today()),
    }
    return render(request, "sections/week_detail.html", context)


@cache_public_page
def section_detail(request, term, section):
    section = get_object_or_404(
        Section.objects.select_related("term").with_leads().with_term_length(),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        slug=section,
    )
    section.term.last_week_number = section.term_last_week_number
    meetings = list(section.meetings.select_related("week").with_notes().order_by("week__number"))
    may_manage = section.is_managed_by(request.user)
    for meeting in meetings:
        # The term (slug, time zone) is loaded once; links and local times need it.
        meeting.section = section
        meeting.week.term = section.term
        meeting.may_manage = may_manage
        meeting.shown_note = meeting.note_for(may_manage=may_manage)
    calendar_path = reverse(
        "sections:section-calendar", kwargs={"term": section.term.slug, "section": section.slug}
    )
    context = {
        "term": section.term,
        "current_term": Term.objects.current_after(section.term),
        "section": section,
        "meetings": meetings,
        "next_meeting": next_meeting(meetings),
        "calendar": subscribe_links(request, calendar_path),
        "can_change": may_manage,
    }
    return render(request, "sections/section_detail.html", context)
