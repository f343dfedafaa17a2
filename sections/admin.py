from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.text import Truncator

from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section
from sections.services import save_note


class SectionListFilter(admin.RelatedFieldListFilter):
    """Section choices named with their term, in one query."""

    def field_choices(self, field, request, model_admin):
        return [(section.pk, str(section)) for section in Section.objects.select_related("term")]


class MeetingInline(admin.TabularInline):
    model = Meeting
    fields = ["week", "starts_at", "ends_at", "room_override", "status", "public_note"]
    readonly_fields = ["week", "starts_at", "ends_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # meetings come from weeks × sections (sections.services.sync_meetings)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("week", "section__term")


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "term", "weekday", "start_time", "end_time", "room", "lead_names"]
    list_filter = ["term", "weekday"]
    list_select_related = ["term"]
    search_fields = ["name", "room", "term__name", "leads__first_name", "leads__last_name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["leads"]
    inlines = [MeetingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("leads")

    @admin.display(description="leads")
    def lead_names(self, section):
        return ", ".join(lead.get_full_name() or lead.username for lead in section.leads.all())


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "term", "starts_at", "room", "status", "public_note"]
    list_filter = ["status", "section__term", ("section", SectionListFilter)]
    list_select_related = ["section__term", "week"]
    search_fields = ["section__name", "week__title", "public_note", "room_override"]
    fields = ["section", "week", "starts_at", "ends_at", "room_override", "status", "public_note"]
    readonly_fields = ["section", "week", "starts_at", "ends_at"]
    date_hierarchy = "starts_at"

    def has_add_permission(self, request):
        return False  # meetings come from weeks × sections (sections.services.sync_meetings)

    @admin.display(description="term", ordering="section__term")
    def term(self, meeting):
        return meeting.section.term

    @admin.display(description="room")
    def room(self, meeting):
        return meeting.room


class DiscussionNoteRevisionInline(admin.TabularInline):
    """The note's history, read-only: saves add revisions, nothing edits or deletes them."""

    model = DiscussionNoteRevision
    fields = ["number", "status", "author", "created_at", "restored_from", "excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    @admin.display(description="text")
    def excerpt(self, revision):
        return Truncator(revision.body).chars(120)


class DiscussionNoteAdminForm(forms.ModelForm):
    """Saves go through `sections.services.save_note`, with the same version check as the
    leads' page: an organizer editing an old version is told, not allowed to overwrite."""

    expected_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput, required=False)

    class Meta:
        model = DiscussionNote
        fields = ["meeting", "body", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        expected = cleaned.get("expected_version") or 0
        if self.instance.pk and expected != self.instance.version:
            raise ValidationError(
                "Version %(version)s was saved by someone else while you were editing version "
                "%(expected)s. Nothing was saved; copy your text, reload the page and merge.",
                code="note_conflict",
                params={"version": self.instance.version, "expected": expected},
            )
        return cleaned


@admin.register(DiscussionNote)
class DiscussionNoteAdmin(admin.ModelAdmin):
    form = DiscussionNoteAdminForm
    list_display = ["__str__", "term", "status", "version", "author_names", "updated_at"]
    list_filter = ["status", "meeting__section__term", ("meeting__section", SectionListFilter)]
    list_select_related = ["meeting__section__term", "meeting__week"]
    search_fields = ["body", "meeting__section__name", "meeting__week__title"]
    readonly_fields = ["version", "author_names", "created_at", "updated_at"]
    autocomplete_fields = ["meeting"]
    date_hierarchy = "updated_at"
    inlines = [DiscussionNoteRevisionInline]

    def get_readonly_fields(self, request, obj=None):
        # A note belongs to its meeting for good; it is chosen only when the note is added.
        return [*self.readonly_fields, "meeting"] if obj else self.readonly_fields

    def get_queryset(self, request):
        user_model = get_user_model()
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("authors", queryset=user_model.objects.order_by("pk")))
        )

    def has_delete_permission(self, request, obj=None):
        return False  # deleting a note would lose what its leads wrote

    def save_model(self, request, obj, form, change):
        note = save_note(
            meeting=obj.meeting,
            body=obj.body,
            status=obj.status,
            author=request.user,
            expected_version=form.cleaned_data.get("expected_version") or 0,
        )
        obj.pk, obj.version = note.pk, note.version
        obj.created_at, obj.updated_at = note.created_at, note.updated_at
        obj._state.adding = False

    @admin.display(description="term", ordering="meeting__section__term")
    def term(self, note):
        return note.meeting.section.term

    @admin.display(description="authors")
    def author_names(self, note):
        return ", ".join(a.get_full_name() or a.username for a in note.authors.all())
