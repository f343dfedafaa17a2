from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.text import Truncator

from attendance.forms import NextTermWithMembersForm
from attendance.models import (
    Apology,
    AttendanceRecord,
    Enrollment,
    Member,
    Preparation,
    WaitingListEntry,
)
from attendance.services import MERGE_STATUS_ORDER, copy_members, fill_free_places, merge_members
from core.admin import BoundedInlineMixin, PeopleMixin, SafeIdsMixin
from core.people import person_label
from sections import admin as sections_admin
from sections.admin import SectionListFilter
from sections.models import Section
from syllabus.models import Term


class EnrollmentInline(SafeIdsMixin, BoundedInlineMixin, admin.TabularInline):
    model = Enrollment
    fields = ["section", "created_at"]
    readonly_fields = ["created_at"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("section__term")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            kwargs["queryset"] = db_field.related_model.objects.select_related("term")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MergeMembersForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=Member.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Keep",
        help_text="Its name stays; it takes the others' enrollments and attendance, and their "
        "email, affiliation and account where it has none. The others are deleted.",
        error_messages={"invalid_choice": "Choose one of the selected members."},
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = members


@admin.register(Member)
class MemberAdmin(PeopleMixin, SafeIdsMixin, admin.ModelAdmin):
    list_display = ["name", "email", "affiliation", "section_names", "created_at"]
    list_filter = [
        ("enrollments__section__term", admin.RelatedOnlyFieldListFilter),
        ("enrollments__section", SectionListFilter),
    ]
    search_fields = ["name", "email", "affiliation"]
    autocomplete_fields = ["user"]
    inlines = [EnrollmentInline]
    actions = ["merge"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("enrollments__section")

    def save_related(self, request, form, formsets, change):
        """Enrollments changed in the inline: a section the member is in now is off their
        waiting lists; a section they left (a row deleted or moved) gives its place to the
        first on its waiting list."""
        member = form.instance
        before = set(member.enrollments.values_list("section", flat=True))
        super().save_related(request, form, formsets, change)
        after = set(member.enrollments.values_list("section", flat=True))
        if after - before:
            WaitingListEntry.objects.filter(member=member, section__in=after - before).delete()
        fill_sections(before - after)

    def delete_model(self, request, obj):
        sections = list(obj.enrollments.values_list("section", flat=True))
        super().delete_model(request, obj)
        fill_sections(sections)

    def delete_queryset(self, request, queryset):
        sections = list(
            Enrollment.objects.filter(member__in=queryset).values_list("section", flat=True)
        )
        super().delete_queryset(request, queryset)
        fill_sections(sections)

    @admin.action(description="Merge the selected members…", permissions=["delete"])
    def merge(self, request, queryset):
        members = queryset.order_by("pk")
        count = members.count()
        if count < 2:
            self.message_user(request, "Select at least two members to merge.", messages.ERROR)
            return None
        applying = "apply" in request.POST
        form = MergeMembersForm(request.POST if applying else None, members=members)
        if applying and form.is_valid():
            keep = form.cleaned_data["keep"]
            try:
                merged = merge_members(keep=keep, others=list(members.exclude(pk=keep.pk)))
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    f"Merged {count - 1} member(s) into {merged}: their enrollments and "
                    "attendance are now theirs.",
                    messages.SUCCESS,
                )
                return redirect("admin:attendance_member_change", merged.pk)
        order = ", ".join(MERGE_STATUS_ORDER)
        return sections_admin.action_form_page(
            self,
            request,
            members,
            form=form,
            title="Merge members",
            intro="One member is kept; the others' enrollments and attendance records move to "
            "it and the others are deleted, in one step. Where two of them have a record of "
            f"the same meeting, the most informative status is kept (in this order: {order}; "
            "on a tie, the latest), with its remark or else another's.",
            submit="Merge",
        )

    @admin.display(description="sections")
    def section_names(self, member):
        return ", ".join(enrollment.section.name for enrollment in member.enrollments.all())


def fill_sections(section_ids):
    """Give the places freed in these sections to the first on their waiting lists."""
    for section in Section.objects.filter(pk__in=set(section_ids)).order_by("pk"):
        fill_free_places(section=section)


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(SafeIdsMixin, admin.ModelAdmin):
    list_display = ["member", "meeting", "status", "remark", "recorder", "recorded_at"]
    list_filter = [
        "status",
        ("meeting__section__term", admin.RelatedOnlyFieldListFilter),
        ("meeting__section", SectionListFilter),
    ]
    list_select_related = ["member", "meeting__section__term", "meeting__week", "recorded_by"]
    search_fields = ["member__name", "member__email"]
    autocomplete_fields = ["member"]
    fields = ["meeting", "member", "status", "remark", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "meeting":
            kwargs["queryset"] = db_field.related_model.objects.select_related(
                "section__term", "week"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="recorded by", ordering="recorded_by")
    def recorder(self, record):
        return person_label(record.recorded_by) if record.recorded_by else ""

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        obj.recorded_at = timezone.now()
        # A change here counts as a roster save, so a lead's open roster form learns of it.
        obj.roster_version = AttendanceRecord.objects.roster_version(obj.meeting) + 1
        super().save_model(request, obj, form, change)


class MemberWrittenAdmin(SafeIdsMixin, admin.ModelAdmin):
    """What members write about a meeting of their section, from /me/: organizers see it and
    may delete one (see migration 0011), nobody adds or edits it here (the services' rules,
    such as "before the meeting starts", hold only there). Text is escaped like all admin
    text."""

    list_filter = [
        ("meeting__section__term", admin.RelatedOnlyFieldListFilter),
        ("meeting__section", SectionListFilter),
    ]
    list_select_related = ["member", "meeting__section__term", "meeting__week"]
    search_fields = ["member__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="section", ordering="meeting__section__name")
    def section(self, obj):
        return obj.meeting.section.name

    @admin.display(description="term", ordering="meeting__section__term__first_monday")
    def term(self, obj):
        return obj.meeting.section.term.name


@admin.register(Apology)
class ApologyAdmin(MemberWrittenAdmin):
    list_display = ["member", "meeting", "section", "term", "reason", "created_at"]
    fields = ["member", "meeting", "reason", "created_at"]
    readonly_fields = fields


@admin.register(Preparation)
class PreparationAdmin(MemberWrittenAdmin):
    list_display = [
        "member",
        "meeting",
        "section",
        "term",
        "has_read",
        "short_question",
        "created_at",
    ]
    fields = ["member", "meeting", "read_at", "question", "created_at", "updated_at"]
    readonly_fields = fields

    @admin.display(description="read it", boolean=True, ordering="read_at")
    def has_read(self, obj):
        return obj.read_at is not None

    @admin.display(description="question")
    def short_question(self, obj):
        return Truncator(obj.question).chars(80)


class WaitingListInline(SafeIdsMixin, BoundedInlineMixin, admin.TabularInline):
    """A section's waiting list, first in line first. Read only: places are given by
    `fill_free_places`; an organizer may take someone off the list (tick "Delete")."""

    model = WaitingListEntry
    fields = ["place", "member", "created_at"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "waiting list"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member").with_position().in_line()

    @admin.display(description="place")
    def place(self, entry):
        return entry.in_line


@admin.register(WaitingListEntry)
class WaitingListEntryAdmin(SafeIdsMixin, admin.ModelAdmin):
    """Every section's waiting list, by term and section. Nobody types places in: members join
    a list from a full section's page, and `fill_free_places` enrolls the first in line."""

    list_display = ["member", "section", "term", "place", "created_at"]
    list_filter = [
        ("section__term", admin.RelatedOnlyFieldListFilter),
        ("section", SectionListFilter),
    ]
    list_select_related = ["member", "section__term"]
    search_fields = ["member__name", "member__email", "section__name"]
    fields = ["section", "member", "place", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).with_position()

    def get_ordering(self, request):
        return ["section__term", "section", "created_at", "pk"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="term", ordering="section__term")
    def term(self, entry):
        return entry.section.term

    @admin.display(description="place", ordering="position")
    def place(self, entry):
        return entry.in_line


# Section is registered by sections, which must not import attendance; adding people to a
# section is attendance's page. So attendance re-registers Section with a subclass that adds
# only that action (the pattern of sections' TermAdmin).
admin.site.unregister(Section)


@admin.register(Section)
class SectionAdmin(sections_admin.SectionAdmin):
    actions = [*(sections_admin.SectionAdmin.actions or []), "add_people"]
    inlines = [*sections_admin.SectionAdmin.inlines, WaitingListInline]

    def save_related(self, request, form, formsets, change):
        """A capacity raised or cleared gives the new places to the first on the waiting list
        (in the admin's transaction: the emails go once it commits)."""
        super().save_related(request, form, formsets, change)
        fill_free_places(section=form.instance)

    @admin.action(description="Add several people to this section…", permissions=["change"])
    def add_people(self, request, queryset):
        sections = list(queryset.values_list("pk", flat=True)[:2])
        if len(sections) != 1:
            self.message_user(request, "Select exactly one section.", messages.ERROR)
            return None
        return redirect("attendance:section-add", pk=sections[0])


# Term is registered by syllabus and re-registered by sections (its "Start the next term"
# action); copying each section's members along is attendance's part, so attendance
# re-registers it once more with a subclass that adds only that to the action's form.
admin.site.unregister(Term)


@admin.register(Term)
class TermAdmin(sections_admin.TermAdmin):
    next_term_form = NextTermWithMembersForm

    def start_term(self, request, term, data):
        """The term copy and, if asked, its members' copy: one transaction."""
        data = dict(data)
        copying = data.pop("copy_members")
        with transaction.atomic(using=router.db_for_write(Term)):
            new_term, notices = super().start_term(request, term, data)
            if not copying:
                return new_term, notices
            copied = copy_members(from_term=term, to_term=new_term)
        notices.append(
            (
                messages.SUCCESS,
                f"Copied {copied.members} member(s) into {copied.sections} section(s); nobody "
                "was emailed.",
            )
        )
        if copied.unmatched:
            names = ", ".join(section.name for section in copied.unmatched)
            notices.append(
                (
                    messages.WARNING,
                    f"Not copied: the members of {names} ({new_term.name} has no such section).",
                )
            )
        return new_term, notices
