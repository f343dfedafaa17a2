from django.shortcuts import get_object_or_404, render

from syllabus.models import Term


def term_list(request):
    terms = Term.objects.visible_to(request.user).with_week_count().order_by("-first_monday", "-pk")
    return render(request, "syllabus/term_list.html", {"terms": terms})


def reading_list(request, term):
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    weeks = term.weeks.with_readings()
    return render(request, "syllabus/reading_list.html", {"term": term, "weeks": weeks})
