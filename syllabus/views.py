from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from syllabus.caching import cache_public_page, no_term, term_from_url
from syllabus.models import Term

TERMS_PER_PAGE = 20


@cache_public_page(no_term)
def term_list(request):
    terms = Term.objects.visible_to(request.user).with_week_count().order_by("-first_monday", "-pk")
    page = Paginator(terms, TERMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "syllabus/term_list.html", {"terms": page.object_list, "page": page})


@cache_public_page(term_from_url)
def reading_list(request, term):
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    weeks = term.weeks.with_readings()
    return render(request, "syllabus/reading_list.html", {"term": term, "weeks": weeks})
