from django.shortcuts import get_object_or_404, render

from sections.models import Meeting, Section
from syllabus.caching import cache_public_page, current_term, term_from_url
from syllabus.models import Term, Week


@cache_public_page(current_term)
def home(request):
    """`/`: the current term's schedule (the same page as `/terms/<term>/`)."""
    term = request.current_term if hasattr(request, "current_term") else Term.objects.current()
    if term is None:
        return render(request, "sections/no_term.html")
    return _render_schedule(request, term)


@cache_public_page(term_from_url)
def term_schedule(request, term):
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    return _render_schedule(request, term)


def _render_schedule(request, term):
    weeks = list(term.weeks.with_readings())
    Meeting.objects.for_term(term).attach_to_weeks(weeks)
    sections = list(term.sections.with_leads())
    today = term.today()
    context = {
        "term": term,
        "weeks": weeks,
        "sections": sections,
        "organizers": term.organizers.order_by("pk"),
        "current_week": next((week for week in weeks if week.covers(today)), None),
    }
    return render(request, "sections/term_schedule.html", context)


@cache_public_page(term_from_url)
def week_detail(request, term, number):
    week = get_object_or_404(
        Week.objects.with_readings().select_related("term"),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        number=number,
    )
    meetings = Meeting.objects.for_week(week).in_section_order().prefetch_related("section__leads")
    context = {
        "term": week.term,
        "week": week,
        "meetings": meetings,
        "is_current": week.covers(week.term.today()),
    }
    return render(request, "sections/week_detail.html", context)


@cache_public_page(term_from_url)
def section_detail(request, term, section):
    section = get_object_or_404(
        Section.objects.select_related("term").with_leads(),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        slug=section,
    )
    meetings = section.meetings.select_related("week").order_by("week__number")
    for meeting in meetings:
        # The term (slug, time zone) is loaded once; links and local times need it.
        meeting.section = section
        meeting.week.term = section.term
    context = {"term": section.term, "section": section, "meetings": meetings}
    return render(request, "sections/section_detail.html", context)
