from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from core.caching import cache_public_page
from core.cors import allow_any_origin
from syllabus.bibtex import papers_to_bibtex
from syllabus.models import Reading, Term

TERMS_PER_PAGE = 20


@cache_public_page(query=("page",))
def term_list(request):
    terms = Term.objects.visible_to(request.user).with_week_count().order_by("-first_monday", "-pk")
    page = Paginator(terms, TERMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "syllabus/term_list.html", {"terms": page.object_list, "page": page})


@cache_public_page
def reading_list(request, term):
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    weeks = Reading.objects.shown_by_week(list(term.weeks.all()))
    term.set_week_count([(week.number, week.starts_on_override) for week in weeks])
    context = {"term": term, "current_term": Term.objects.current_after(term), "weeks": weeks}
    return render(request, "syllabus/reading_list.html", context)


@allow_any_origin
@cache_public_page
def reading_list_bib(request, term):
    """The term's papers as BibTeX, in reading-list order, each once."""
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    papers = {reading.paper.pk: reading.paper for reading in Reading.objects.for_term(term)}
    response = HttpResponse(
        papers_to_bibtex(papers.values()), content_type="application/x-bibtex; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{term.slug}-readings.bib"'
    return response
