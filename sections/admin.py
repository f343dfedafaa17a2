from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminTimeWidget
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from core.admin import BoundedInlineMixin, KeepHeldDataMixin, PeopleMixin, SafeIdsMixin
from core.people import person_label
from sections.forms import (
    ClockTimeField,
    MeetingCancelForm,
    MeetingMoveForm,
    MeetingRestoreForm,
    NextTermForm,
    check_note_length,
)
from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section
from sections.services import cancel_meeting, copy_term, move_meeting, restore_meeting, save_note
from sections.signals import audience_of, one_sync_per_term
from syllabus import admin as syllabus_admin
from syllabus.models import Term

MEETING_FIELDS = [
    "section",
    "week",
    "status",
    "public_note",
    "starts_at",
    "ends_at",
    "room_override",
    "scheduled_starts_at",
    "scheduled_ends_at",
    "scheduled_room",
    "is_rescheduled",
    "sequence",
    "changed_at",
    "changed_by",
    "updated_at",
]


class SectionListFilter(admin.RelatedFieldListFilter):
    """Section choices named with their term, in one query."""

    def field_choices(self, field, request, model_admin):
        return [(section.pk, str(section)) for section in Section.objects.select_related("term")]


def action_form_page(
    modeladmin,
    request,
    queryset,
    *,
    form,
    title,
    intro,
    submit,
    template="admin/sections/action_form.html",
    **extra,
):
    """An admin action's intermediate page: the selected objects, a form and an apply button
    (`template` extends admin/sections/action_form.html; `extra` goes to its context)."""
    context = {
        **extra,
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "form": form,
        "objects": queryset,
        "submit": submit,
        "action": request.POST["action"],
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, template, context)


class MeetingInline(SafeIdsMixin, BoundedInlineMixin, admin.TabularInline):
    """Read only: changes go through the meeting's admin actions (sections.services)."""

    model = Meeting
    fields = ["week", "starts_at", "room_override", "status", "public_note", "sequence"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # meetings come from weeks × sections (sections.services.sync_meetings)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("week", "section__term")


@admin.register(Section)
class SectionAdmin(KeepHeldDataMixin, PeopleMixin, SafeIdsMixin, admin.ModelAdmin):
    list_display = ["name", "term", "weekday", "start_time", "end_time", "room", "lead_names"]
    list_filter = ["term", "weekday"]
    list_select_related = ["term"]
    search_fields = ["name", "room", "term__name", "leads__first_name", "leads__last_name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["leads"]
    inlines = [MeetingInline]
    # Times as organizers type them: "6:30 pm", "6:30pm" or "18:30" (shown as 18:30).
    formfield_overrides = {
        models.TimeField: {"form_class": ClockTimeField, "widget": AdminTimeWidget(format="%H:%M")}
    }

    def get_queryset(self, request):
        # Leads in a fixed order, the first named first (PostgreSQL returns them in any order).
        leads = Prefetch("leads", queryset=get_user_model().objects.order_by("pk"))
        return super().get_queryset(request).prefetch_related(leads)

    @admin.display(description="leads")
    def lead_names(self, section):
        return ", ".join(person_label(lead) for lead in section.leads.all())


@admin.register(Meeting)
class MeetingAdmin(KeepHeldDataMixin, SafeIdsMixin, admin.ModelAdmin):
    """Meetings are changed only through `sections.services` (so SEQUENCE rises and calendars
    follow): the admin actions below, or the change page leads use (linked from each meeting)."""

    list_display = ["__str__", "term", "starts_at", "room", "status", "public_note", "sequence"]
    list_filter = ["status", "section__term", ("section", SectionListFilter)]
    list_select_related = ["section__term", "week"]
    search_fields = ["section__name", "week__title", "public_note", "room_override"]
    fields = ["change_page", *MEETING_FIELDS]
    readonly_fields = fields
    date_hierarchy = "starts_at"
    actions = ["cancel_meetings", "move_meeting", "restore_meetings"]

    def has_add_permission(self, request):
        return False  # meetings come from weeks × sections (sections.services.sync_meetings)

    @admin.display(description="term", ordering="section__term")
    def term(self, meeting):
        return meeting.section.term

    @admin.display(description="room")
    def room(self, meeting):
        return meeting.room

    @admin.display(description="change")
    def change_page(self, meeting):
        url = reverse("sections:meeting-change", kwargs={"pk": meeting.pk})
        return format_html('<a href="{}">Cancel, move or restore this meeting</a>', url)

    @admin.action(description="Cancel the selected meetings…", permissions=["change"])
    def cancel_meetings(self, request, queryset):
        applying = "apply" in request.POST
        meetings = list(queryset.select_related("section__term", "week"))
        form = MeetingCancelForm(
            request.POST if applying else None,
            audience=audience_of(meetings),
            meetings=len(meetings),
        )
        if applying and form.is_valid():
            done, skipped = 0, 0
            for meeting in meetings:
                try:
                    cancel_meeting(meeting=meeting, by=request.user, **form.cleaned_data)
                    done += 1
                except ValidationError:
                    skipped += 1  # already cancelled
            self.message_user(request, f"Cancelled {done} meeting(s).", messages.SUCCESS)
            if skipped:
                self.message_user(
                    request, f"{skipped} meeting(s) were already cancelled.", messages.WARNING
                )
            return None
        return action_form_page(
            self,
            request,
            meetings,
            form=form,
            title="Cancel meetings",
            intro="Members see these meetings struck through with your reason; calendars that "
            "subscribe show them as cancelled.",
            submit="Cancel these meetings",
        )

    @admin.action(description="Move the selected meeting…", permissions=["change"])
    def move_meeting(self, request, queryset):
        meetings = list(queryset.select_related("section__term", "week")[:2])
        if len(meetings) != 1:
            self.message_user(request, "Select exactly one meeting to move.", messages.ERROR)
            return None
        meeting = meetings[0]
        applying = "apply" in request.POST
        form = MeetingMoveForm(
            request.POST if applying else None, meeting=meeting, audience=audience_of([meeting])
        )
        if applying and form.is_valid():
            try:
                move_meeting(meeting=meeting, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, f"Moved {meeting}.", messages.SUCCESS)
                return None
        return action_form_page(
            self,
            request,
            meetings,
            form=form,
            title="Move a meeting",
            intro="Pick the new date, time or room. Later changes to the section's regular time "
            "leave a moved meeting where you put it.",
            submit="Move this meeting",
        )

    @admin.action(
        description="Restore the selected meetings to their regular time and room…",
        permissions=["change"],
    )
    def restore_meetings(self, request, queryset):
        applying = "apply" in request.POST
        meetings = list(queryset.select_related("section__term", "week"))
        form = MeetingRestoreForm(
            request.POST if applying else None,
            audience=audience_of(meetings),
            meetings=len(meetings),
        )
        if applying and form.is_valid():
            done = 0
            for meeting in meetings:
                try:
                    restore_meeting(meeting=meeting, by=request.user, **form.cleaned_data)
                    done += 1
                except ValidationError:
                    pass  # already regular
            self.message_user(request, f"Restored {done} meeting(s).", messages.SUCCESS)
            return None
        return action_form_page(
            self,
            request,
            meetings,
            form=form,
            title="Restore meetings",
            intro="Back to their regular time and room, without a public note. Meetings already "
            "there are left as they are.",
            submit="Restore these meetings",
        )


# Term is registered by syllabus, which must not import sections; copying a term needs
# sections.services.copy_term (it creates sections and meetings), and a term saved with its
# weeks inline should sync its meetings once (sections/signals.py). So sections re-registers
# Term with a subclass of syllabus's TermAdmin that adds only these: syllabus stays unaware of
# sections, nothing mutates syllabus's class, and everything else about the Term admin stays
# in syllabus/admin.py (this module imports it, so it is registered before we replace it).
admin.site.unregister(Term)


@admin.register(Term)
class TermAdmin(syllabus_admin.TermAdmin):
    actions = [*(syllabus_admin.TermAdmin.actions or []), "start_next_term"]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """The term and its changed weeks are saved one by one, each asking for its term's
        meetings to be synced: sync them once, at the end of the save, in its transaction."""
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)), one_sync_per_term():
            return super().changeform_view(request, object_id, form_url, extra_context)

    # The action's form; a layer above may add fields to it (attendance: copy the members).
    next_term_form = NextTermForm

    def start_term(self, request, term, data):
        """Start the next term from `term` with the action form's cleaned `data`: returns the
        new term and the messages to show ([(level, text)]); raises ValidationError for the
        form. A layer above extends it in its own subclass (attendance copies the members)."""
        new_term = copy_term(term=term, **data)
        notices = [
            (
                messages.SUCCESS,
                f"Started {new_term.name} from {term.name}: its weeks, readings, sections and "
                "meetings are copied. It is not published yet.",
            )
        ]
        named = len(new_term.texts_naming(term))
        if named:
            texts = (
                "1 copied text still names" if named == 1 else f"{named} copied texts still name"
            )
            notices.append(
                (
                    messages.WARNING,
                    f"{texts} {term.name}: they are listed above the form. Edit them before "
                    "you publish the term.",
                )
            )
        return new_term, notices

    @admin.action(description="Start the next term from this one…", permissions=["add"])
    def start_next_term(self, request, queryset):
        terms = list(queryset[:2])
        if len(terms) != 1:
            self.message_user(request, "Select exactly one term to start from.", messages.ERROR)
            return None
        term = terms[0]
        applying = "apply" in request.POST
        # "Lay out the dates" shows the form again with the new term's weeks dated, to skip
        # holidays; "Start the new term" starts it.
        bound = applying or "layout" in request.POST
        form = self.next_term_form(request.POST if bound else None, term=term)
        if applying and form.is_valid():
            try:
                new_term, notices = self.start_term(request, term, form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                for level, text in notices:
                    self.message_user(request, text, level)
                return redirect("admin:syllabus_term_change", new_term.pk)
        return action_form_page(
            self,
            request,
            terms,
            form=form,
            title=f"Start the next term from {term.name}",
            intro="Copies the weeks, readings and sections (with their leads) to a new, "
            "unpublished term starting on the Monday you pick, and creates its meetings. "
            "Meeting changes, notes and attendance stay with the old term.",
            submit="Start the new term",
            template="admin/sections/term/next_term.html",
            layout=form.layout(),
        )


class DiscussionNoteRevisionInline(SafeIdsMixin, admin.TabularInline):
    """The note's history, read-only: saves add revisions, nothing edits or deletes them."""

    model = DiscussionNoteRevision
    fields = ["number", "status", "author_label", "created_at", "restored_from", "excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    @admin.display(description="author")
    def author_label(self, revision):
        return person_label(revision.author) if revision.author else ""

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

    def clean_body(self):
        return check_note_length(self.cleaned_data["body"])

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
class DiscussionNoteAdmin(SafeIdsMixin, admin.ModelAdmin):
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
        return ", ".join(person_label(author) for author in note.authors.all())
