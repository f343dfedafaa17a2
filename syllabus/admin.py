from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router
from django.db.models import PROTECT, RESTRICT, Count, ProtectedError, RestrictedError
from django.db.models.deletion import Collector
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.urls import path

from syllabus.forms import PaperImportForm
from syllabus.models import Paper, Reading, Term, Week
from syllabus.services import import_papers

# --- Ids that are not ids ------------------------------------------------------------------
#
# Django's admin builds a query from a posted id before checking it in two places: the
# autocomplete widgets, when they show a form again with its errors, and the actions, with the
# list's ticked boxes. A value that is no id ("abc", "None") then raises ValueError: a 500
# where a form error or a message belongs. Every ModelAdmin and inline here uses this mixin.


def _is_lookup_value(model, value):
    """Can `value` be looked up as a primary key of `model`? Not text that is no number, nor
    a number beyond the column's range (SQLite raises OverflowError on those in `__in`)."""
    pk = model._meta.pk
    try:
        pk.run_validators(pk.to_python(value))
    except ValidationError:
        return False
    return True


class _ValidIdsOnly:
    def optgroups(self, name, value, attr=None):
        # Only look up what can be an id: the field's own error says the rest is no choice.
        model = self.choices.queryset.model
        return super().optgroups(name, [v for v in value if _is_lookup_value(model, v)], attr)


class SafeAutocompleteSelect(_ValidIdsOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ValidIdsOnly, AutocompleteSelectMultiple):
    pass


class SafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for pk in value:
            if self.to_field_name is None and not _is_lookup_value(self.queryset.model, pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class SafeIdsMixin:
    """Answer posted ids that are not ids with a form error or a message, never a 500."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", SafeModelMultipleChoiceField)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(_is_lookup_value(queryset.model, value) for value in selected):
            self.message_user(
                request,
                "The selection was not understood (it names no items); select them again.",
                messages.ERROR,
            )
            return None  # the admin goes back to the list
        return super().response_action(request, queryset)


# --- Deletes that would lose data ------------------------------------------------------------
#
# Discussion notes and attendance records hold their meeting with on_delete=PROTECT, so no
# delete can take them along in a cascade (a week takes its meetings with it; a term its weeks
# and sections). Here the admin says so in words: on the delete page, on the bulk "delete
# selected" page and in an inline whose rows are ticked for deletion, never a 500.


def deletion_blockers(obj):
    """The rows that keep `obj` from being deleted (anything in the cascade its deletion would
    start that is held by on_delete=PROTECT or RESTRICT), or [] if it may go."""
    collector = Collector(using=router.db_for_write(type(obj)), origin=obj)
    try:
        collector.collect([obj])
    except ProtectedError as error:
        return list(error.protected_objects)
    except RestrictedError as error:
        return list(error.restricted_objects)
    return []


HOLDERS_NAMED = 3


def _holding_field(model):
    """The foreign key by which a row of `model` holds what it protects."""
    return next(
        field
        for field in model._meta.concrete_fields
        if field.is_relation and field.remote_field.on_delete in (PROTECT, RESTRICT)
    )


def refusal_message(obj, blockers):
    """“Week 5: Grokking cannot be deleted: its meetings hold 1 discussion note (Wednesday,
    week 5) and 12 attendance records (Wednesday, week 5; Friday, week 5).”"""
    groups = defaultdict(list)
    for blocker in blockers:
        groups[type(blocker)].append(blocker)
    held, holder = [], None
    # The fewest first (a meeting's one note before its roster), then by name.
    by_size = sorted(groups.items(), key=lambda item: (len(item[1]), item[0]._meta.verbose_name))
    for model, rows in by_size:
        field = _holding_field(model)
        holder = field.related_model
        opts = model._meta
        text = f"{len(rows)} {opts.verbose_name if len(rows) == 1 else opts.verbose_name_plural}"
        if holder is not type(obj):
            ids = {getattr(row, field.attname) for row in rows}
            names = sorted(
                str(h) for h in holder._default_manager.filter(pk__in=ids).select_related()
            )
            more = f" and {len(names) - HOLDERS_NAMED} more" if len(names) > HOLDERS_NAMED else ""
            text += f" ({'; '.join(names[:HOLDERS_NAMED])}{more})"
        held.append(text)
    whose = "it holds" if holder is type(obj) else f"its {holder._meta.verbose_name_plural} hold"
    listed = held[0] if len(held) == 1 else f"{', '.join(held[:-1])} and {held[-1]}"
    return f"{obj} cannot be deleted: {whose} {listed}."


class KeepHeldDataMixin:
    """For a ModelAdmin: the delete page and the bulk delete action name, for each object that
    cannot go, what holds it, and offer no button to confirm (the admin's own rule for
    protected objects, with a sentence in place of a list of every attendance record).

    The admin also counts the protecting objects' models among the "permissions needed" (no
    one may delete notes), and says that instead; what holds the object is the real reason."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            refusals = [
                refusal_message(obj, blockers)
                for obj in objs
                if (blockers := deletion_blockers(obj))
            ]
            if refusals:
                return deleted, counts, set(), refusals
        return deleted, counts, perms_needed, protected


class KeepHeldDataFormSet(BaseInlineFormSet):
    """For an inline: rows ticked for deletion that hold data are refused with a message above
    the inline, and nothing of the page is saved (Django shows no confirmation for these).

    The admin's own inline forms refuse protected rows too, but list every protecting object
    (each attendance record); this says it in one sentence per row, first."""

    def clean(self):
        refusals = [
            ValidationError(
                "%(refusal)s Untick its “Delete” box to save your other changes.",
                code="holds_data",
                params={"refusal": refusal_message(form.instance, blockers)},
            )
            for form in self.initial_forms
            if self.can_delete
            and self._should_delete_form(form)
            and form.instance.pk is not None
            and (blockers := deletion_blockers(form.instance))
        ]
        if refusals:
            raise ValidationError(refusals)
        super().clean()


class BoundedInlineMixin:
    """At most 100 rows in an inline (a term's weeks, a week's readings, a section's meetings).
    Django allows up to 2,000 and builds as many forms as a (forged) TOTAL_FORMS asks: ten
    seconds of work per request."""

    max_num = absolute_max = 100  # the admin sets max_num to 0 where rows cannot be added

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("absolute_max", self.absolute_max)
        return super().get_formset(request, obj, **kwargs)


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
class TermAdmin(KeepHeldDataMixin, SafeIdsMixin, admin.ModelAdmin):
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
            {"fields": ["name", "slug", "title", "institution", "is_published", "joining_open"]},
        ),
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
