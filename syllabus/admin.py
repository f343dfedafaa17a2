from django.contrib import admin
from django.db import models
from django.db.models import Count

from syllabus.models import Paper, Reading, Term, Week


class WeekInline(admin.TabularInline):
    model = Week
    fields = ["number", "title", "tagline", "starts_on_override"]
    extra = 0
    show_change_link = True


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "first_monday", "time_zone", "is_published", "week_count"]
    list_filter = ["is_published", "time_zone"]
    search_fields = ["name", "title", "institution", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["organizers"]
    date_hierarchy = "first_monday"
    inlines = [WeekInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "title", "institution", "is_published"]}),
        ("Dates", {"fields": ["first_monday", "time_zone"]}),
        (
            "Text",
            {"fields": ["intro", "format_note", "reading_list_note", "supporters", "organizers"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(week_count=Count("weeks"))

    @admin.display(description="weeks", ordering="week_count")
    def week_count(self, term):
        return term.week_count


class ReadingInline(admin.TabularInline):
    model = Reading
    fields = ["paper", "kind", "order", "note"]
    autocomplete_fields = ["paper"]
    extra = 1


@admin.register(Week)
class WeekAdmin(admin.ModelAdmin):
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
class PaperAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["title", "authors_short", "year", "venue", "arxiv_id", "doi"]
    list_filter = ["year", "readings__week__term"]
    search_fields = ["title", "authors", "arxiv_id", "doi", "venue"]

    @admin.display(description="authors", ordering="authors")
    def authors_short(self, paper):
        return paper.authors if len(paper.authors) <= 60 else paper.authors[:57] + "…"


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = ["paper", "week", "kind", "order", "note"]
    list_filter = ["kind", "week__term"]
    list_select_related = ["paper", "week__term"]
    search_fields = ["paper__title", "paper__authors", "week__title"]
    autocomplete_fields = ["paper", "week"]
