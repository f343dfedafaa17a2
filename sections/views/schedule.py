"""The public pages: home, a term's schedule, a week, a section (cached for anonymous visitors)."""

from functools import cached_property

from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from core.caching import PAGE_TIMEOUT, cache_public_page, fragment_key
from sections.calendars import subscribe_links
from sections.models import Meeting, Section, next_meeting
from syllabus.models import Reading, Term, Week


@cache_public_page
def home(request):
    """`/`: the current term's schedule (the same page as `/terms/<term>/`)."""
    term = Term.objects.current()
    if term is None:
        return render(request, "sections/no_term.html")
    return _render_schedule(request, term, is_current=True)


@cache_public_page
def term_schedule(request, term):
    term = get_object_or_404(Term.objects.visible_to(request.user).with_week_count(), slug=term)
    return _render_schedule(request, term)


def _render_schedule(request, term, *, is_current=False):
    schedule = TermSchedule(request, term, is_current=is_current)
    context = {
        "term": term,
        "schedule": schedule,
        # The content is the same for every visitor: a lead's or an organizer's page (never in
        # the page cache) takes it from the cache, by the data version, and runs none of the
        # schedule's queries (core/caching.py).
        "content_key": fragment_key(request),
        "content_timeout": PAGE_TIMEOUT,
    }
    return render(request, "sections/term_schedule.html", context)


class TermSchedule:
    """What a term's schedule page shows, each part loaded on first use."""

    def __init__(self, request, term, *, is_current):
        self.request, self.term, self.is_current = request, term, is_current

    @cached_property
    def sections(self):
        return list(self.term.sections.with_leads())

    @cached_property
    def weeks(self):
        weeks = Reading.objects.shown_by_week(list(self.term.weeks.all()))
        Meeting.objects.for_term(self.term).shown_by_week(weeks, self.sections)
        for week in weeks:
            week.has_published_notes = any(m.has_published_note for m in week.section_meetings)
        return weeks

    @cached_property
    def latest_notes(self):
        """The meeting of the latest week (last in section order) with published notes."""
        with_notes = [
            m for week in self.weeks for m in week.section_meetings if m.has_published_note
        ]
        return with_notes[-1] if with_notes else None

    @cached_property
    def current_week(self):
        today = self.term.today()
        return next((week for week in self.weeks if week.covers(today)), None)

    @cached_property
    def next_meeting(self):
        return next_meeting(m for week in self.weeks for m in week.section_meetings)

    @cached_property
    def current_term(self):
        """Where a past term's page sends members (None on the current term's own page)."""
        return None if self.is_current else Term.objects.current_after(self.term)

    @cached_property
    def organizers(self):
        return list(self.term.organizers.order_by("pk"))

    @cached_property
    def calendar(self):
        path = reverse("sections:term-calendar", kwargs={"term": self.term.slug})
        return subscribe_links(self.request, path)


@cache_public_page
def week_detail(request, term, number):
    week = get_object_or_404(
        Week.objects.visible_to(request.user).select_related("term").with_readings(),
        term__slug=term,
        number=number,
    )
    Week.objects.attach_neighbours(week)
    meetings = Meeting.objects.for_week_page(week)
    for meeting in meetings:
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
        Section.objects.visible_to(request.user).select_related("term").with_leads(),
        term__slug=term,
        slug=section,
    )
    section.term.load_week_count()  # its end, for "This term ended on …"
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
