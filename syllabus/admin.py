from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path

from core.admin import (
    BoundedInlineMixin,
    KeepHeldDataFormSet,
    KeepHeldDataMixin,
    PeopleMixin,
    SafeIdsMixin,
)
from syllabus.forms import PaperImportForm
from syllabus.models import Paper, Reading, Term, Week
from syllabus.services import import_papers


class WeekInlineFormSet(KeepHeldDataFormSet):
    def save_existing_objects(self, commit=True):
        """Renumbered weeks (weeks 5 and 6 swapped, or 6 deleted and 5 made 6) take their new
        numbers together before the forms save one by one, which would otherwise meet the unique
        (term, number) constraint half-way. The rows keep their meetings, notes and attendance."""
        if commit:
            saved = [form for form in self.initial_forms if form.instance.pk is not None]
            deleted = [form for form in saved if self._should_delete_form(form)]
            Week.objects.filter(term=self.instance).renumber(
                {
                    form.instance.pk: form.instance.number
                    for form in saved
                    if form not in deleted and "number" in form.changed_data
                },
                leaving=[form.instance.pk for form in deleted],
            )
        return super().save_existing_objects(commit)


class WeekInline(SafeIdsMixin, BoundedInlineMixin, admin.TabularInline):
    model = Week
    formset = WeekInlineFormSet
    fields = ["number", "title", "tagline", "starts_on_override"]
    extra = 0
    show_change_link = True


@admin.register(Term)
class TermAdmin(KeepHeldDataMixin, PeopleMixin, SafeIdsMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "title",
        "first_monday",
        "time_zone",
        "is_published",
        "joining_open",
        "week_count",
    ]
    list_filter = ["is_published", "joining_open", "time_zone"]
    search_fields = ["name", "title", "institution", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["organizers"]
    date_hierarchy = "first_monday"
    inlines = [WeekInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "title",
                    "institution",
                    "place",
                    "is_published",
                    "joining_open",
                ]
            },
        ),
        ("Dates", {"fields": ["first_monday", "time_zone", "reminder_hour"]}),
        ("Check-in at the door", {"fields": ["checkin_opens_before", "late_after"]}),
        (
            "Text",
            {"fields": ["intro", "format_note", "reading_list_note", "supporters", "organizers"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(week_count=Count("weeks"))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """An unpublished term's texts that still name the term before it (copied by "Start
        the next term": “This fall at MIT (2022)”) are listed above the form."""
        if obj is not None and not obj.is_published:
            previous = obj.previous_term()
            if previous is not None:
                context["named_texts"] = obj.texts_naming(previous)
                context["previous_term"] = previous
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="weeks", ordering="week_count")
    def week_count(self, term):
        return term.week_count


class ReadingInline(SafeIdsMixin, BoundedInlineMixin, admin.TabularInline):
    model = Reading
    fields = ["paper", "kind", "order", "note"]
    autocomplete_fields = ["paper"]
    extra = 1


@admin.register(Week)
class WeekAdmin(KeepHeldDataMixin, SafeIdsMixin, admin.ModelAdmin):
    list_display = ["__str__", "term", "number", "tagline", "starts_on", "reading_count"]
    list_display_links = ["__str__"]
    list_filter = ["term"]
    list_select_related = ["term"]
    search_fields = ["title", "tagline", "term__name"]
    ordering = ["term", "number"]
    inlines = [ReadingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(reading_count=Count("readings"))

    @admin.display(description="readings", ordering="reading_count")
    def reading_count(self, week):
        return week.reading_count

    @admin.display(description="starts on")
    def starts_on(self, week):
        return week.starts_on


@admin.register(Paper)
class PaperAdmin(SafeIdsMixin, admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["title", "authors_short", "year", "venue", "arxiv_id", "doi"]
    list_filter = ["year", "readings__week__term"]
    search_fields = ["title", "authors", "arxiv_id", "doi", "venue"]

    def get_urls(self):
        import_url = path(
            "import/",
            self.admin_site.admin_view(self.import_view),
            name="syllabus_paper_import",
        )
        return [import_url, *super().get_urls()]

    def import_view(self, request):
        """Paste BibTeX or arXiv ids; see what was created, updated, skipped or unreadable."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        result = None
        if request.method == "POST":
            form = PaperImportForm(request.POST)
            if form.is_valid():
                result = import_papers(text=form.cleaned_data["text"])
                self._report(request, result)
        else:
            form = PaperImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import papers",
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/syllabus/paper/import.html", context)

    def _report(self, request, result):
        counts = result.counts
        messages.success(
            request,
            f"{counts['created']} created, {counts['updated']} updated, "
            f"{counts['skipped']} skipped (already there).",
        )
        if result.errors:
            messages.warning(
                request,
                f"{counts['errors']} item(s) were not imported: each is listed below with the "
                "reason.",
            )
        if result.arxiv_only:
            messages.info(
                request,
                f"{result.arxiv_only} paper(s) came from an arXiv id alone. This site does not "
                "fetch from arXiv, so each is titled “arXiv:<id>” for now: edit it, or paste its "
                "BibTeX (arXiv's “Export BibTeX citation”) to fill it in.",
            )

    @admin.display(description="authors", ordering="authors")
    def authors_short(self, paper):
        return paper.authors if len(paper.authors) <= 60 else paper.authors[:57] + "…"


@admin.register(Reading)
class ReadingAdmin(SafeIdsMixin, admin.ModelAdmin):
    list_display = ["paper", "week", "kind", "order", "note"]
    list_filter = ["kind", "week__term"]
    list_select_related = ["paper", "week__term"]
    search_fields = ["paper__title", "paper__authors", "week__title"]
    autocomplete_fields = ["paper", "week"]
