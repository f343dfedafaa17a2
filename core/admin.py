"""Admin safety shared by every app's ModelAdmins and inlines (nothing in them names a model),
and, at the end, the admin of core's own outbox (organizers see what was sent and what failed).

- `SafeIdsMixin` (every ModelAdmin and inline): posted ids that are not ids get a form error or
  a message, never a 500.
- `KeepHeldDataMixin` (ModelAdmins) and `KeepHeldDataFormSet` (inlines): deleting what holds
  discussion notes or attendance is refused in one sentence that says what holds it.
- `BoundedInlineMixin` (inlines): at most 100 rows, whatever a forged form count asks for.
- `PeopleMixin` (ModelAdmins that pick users) and `PeopleAutocompleteJsonView` (the site's
  autocomplete): users are named “Kaivu Hariharan (khariharan)” (core.people.person_label).
"""

from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import router
from django.db.models import PROTECT, RESTRICT, ProtectedError, RestrictedError
from django.db.models.deletion import Collector
from django.forms.models import BaseInlineFormSet
from django.utils import timezone

from core import outbox
from core.models import EmailOptOut, OutgoingEmail
from core.people import person_label

# --- Ids that are not ids ------------------------------------------------------------------
#
# Django's admin builds a query from a posted id before checking it in two places: the
# autocomplete widgets, when they show a form again with its errors, and the actions, with the
# list's ticked boxes. A value that is no id ("abc", "None") then raises ValueError: a 500
# where a form error or a message belongs. Every ModelAdmin and inline of every app uses this
# mixin.


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


# --- The outbox --------------------------------------------------------------------------------


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(SafeIdsMixin, admin.ModelAdmin):
    """Every email queued, read-only (bodies shown as text, escaped): what was sent, what waits
    and what failed for good, with the last error. "Try again" sends failed ones again."""

    list_display = ["to", "kind", "subject", "state", "attempts", "send_after", "last_error"]
    list_filter = ["state", "kind"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    actions = ["try_again"]
    fields = [
        "to",
        "kind",
        "subject",
        "state",
        "attempts",
        "send_after",
        "sent_at",
        "created_at",
        "last_error",
        "key",
        "headers",
        "text",
        "html",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Try again (failed emails)", permissions=["change"])
    def try_again(self, request, queryset):
        retried = queryset.filter(state=OutgoingEmail.State.FAILED).update(
            state=OutgoingEmail.State.PENDING, send_after=timezone.now(), attempts=0
        )
        if retried:
            outbox.deliver_at(timezone.now())
        skipped = queryset.count() - retried
        message = f"{retried} failed email{'s' if retried != 1 else ''} will be sent again."
        if skipped:
            message += f" {skipped} not failed, left as they are."
        self.message_user(request, message, messages.SUCCESS if retried else messages.WARNING)


@admin.register(EmailOptOut)
class EmailOptOutAdmin(SafeIdsMixin, admin.ModelAdmin):
    """Who asked for no email of a kind (one-click unsubscribe, or an organizer on request)."""

    list_display = ["email", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["email"]
    fields = ["email", "kind"]

    def save_model(self, request, obj, form, change):
        obj.email = outbox.normal_address(obj.email)
        super().save_model(request, obj, form, change)


# --- People, named -------------------------------------------------------------------------
#
# A user is shown by `str(user)`, the user name ("khariharan"), in the admin's pickers: in the
# options an autocomplete search returns and in those already chosen. Both name people here
# by full name and user name, which is what organizers search by.


def _is_user_field(db_field):
    return db_field.related_model is get_user_model()


class PeopleMixin:
    """For a ModelAdmin: its user pickers (leads, organizers, a member's account) show the
    chosen users as “Kaivu Hariharan (khariharan)”; the options a search finds come from the
    site's `PeopleAutocompleteJsonView`."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and _is_user_field(db_field):
            field.label_from_instance = person_label
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and _is_user_field(db_field):
            field.label_from_instance = person_label
        return field


class PeopleAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete answers, with users named as `person_label` names them."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, get_user_model()):
            result["text"] = person_label(obj)
        return result
