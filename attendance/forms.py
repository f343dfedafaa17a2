import copy
import re
from dataclasses import dataclass
from typing import NamedTuple

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.text import Truncator

from attendance.checkin import ALPHABET, CODE_LENGTH, normalise_code
from attendance.models import Apology, AttendanceRecord, Member, Preparation
from attendance.services import Entry, WalkIn
from core.models import EmailOptOut
from core.outbox import normal_address
from sections.forms import NextTermForm
from sections.models import Section
from syllabus.models import validate_one_line

Status = AttendanceRecord.Status
REMARK_MAX_LENGTH = AttendanceRecord._meta.get_field("remark").max_length


@dataclass(frozen=True)
class FieldError:
    """A field's first error as the summary above a form lists it: `input_id` is the input to
    link to and to focus (the first toggle of a group of radio buttons)."""

    input_id: str
    label: str
    message: str
    field: forms.BoundField


def focus_first(errors):
    """Give the input of the first of `errors` (FieldErrors) the autofocus: the page opens on
    it, scrolled to it, however far down the form it is. Hand-written inputs (the roster's
    lines) compare their id with the first error's instead."""
    if errors:
        errors[0].field.field.widget.attrs["autofocus"] = True
    return errors


class RosterLine(NamedTuple):
    """One member's line of the roster form, as RosterForm.lines() gives it."""

    member: Member
    status: str | None
    remark: str | None
    original_status: str | None
    original_remark: str | None
    status_errors: list | None
    remark_errors: list | None


class RosterForm(forms.Form):
    """One status and one remark per member on the roster, plus the version it was loaded at.

    A plain Form (not a formset of ModelForms): its fields come from the roster, it validates
    without a query per line, and `record_attendance` writes it in bulk.

    Each line also carries, hidden, the status and remark the form was built from (its
    "original" values): a save writes only what the lead changed from those, so a field
    another lead saved meanwhile is never blanked by a form that merely showed its old value.
    """

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    status_choices = Status.choices  # a line's toggles, in order

    def __init__(self, *args, roster, **kwargs):
        self.roster = list(roster)
        initial = {"version": max((m.saved_version or 0 for m in self.roster), default=0)}
        for member in self.roster:
            initial[self.status_name(member.pk)] = member.saved_status or ""
            initial[self.remark_name(member.pk)] = member.saved_remark or ""
        # What is stored: the lines' "originals", before any "I can't come" pre-marks them.
        self.stored = dict(initial)
        initial.update(self.apologies_as_initial(self.roster))
        super().__init__(*args, initial=initial, **kwargs)
        # A status and a remark field per line: shallow copies of one of each, made here for
        # this form alone (a ChoiceField with its widget costs 24 µs to build, a copy 1.5 µs:
        # 5 ms on a 200-member roster). The copies of a kind share their widget: nothing
        # renders it: templates/jinja2/attendance/roster_lines.html writes the lines' inputs.
        status_field = forms.ChoiceField(
            choices=Status.choices,
            required=False,
            # Drawn as four big toggle buttons (Bootstrap's btn-check): no JavaScript.
            widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            error_messages={
                "invalid_choice": "“%(value)s” is not a status: choose present, late, "
                "excused or absent."
            },
        )
        remark_field = forms.CharField(label="Remark", required=False, max_length=REMARK_MAX_LENGTH)
        for member in self.roster:
            status = copy.copy(status_field)
            status.label = getattr(member, "roster_name", member.name)
            self.fields[self.status_name(member.pk)] = status
            self.fields[self.remark_name(member.pk)] = copy.copy(remark_field)

    @classmethod
    def apologies_as_initial(cls, roster):
        """Members who said "I can't come" and have no record yet start as excused, with their
        reason as the remark (cut to fit). A record a lead saved always wins. The originals
        stay what is stored, so saving the form unchanged records them excused."""
        initial = {}
        for member in roster:
            reason = getattr(member, "apology_reason", None)
            if reason is None or member.saved_status:
                continue
            initial[cls.status_name(member.pk)] = Status.EXCUSED
            initial[cls.remark_name(member.pk)] = Truncator(reason).chars(REMARK_MAX_LENGTH)
        return initial

    @staticmethod
    def status_name(member_id):
        return f"status-{member_id}"

    @staticmethod
    def remark_name(member_id):
        return f"remark-{member_id}"

    @staticmethod
    def original_name(name):
        return f"original-{name}"

    def original(self, name):
        """The value the field `name` had when the page was built (None if the post does not
        say). Not form fields: they are only compared, never saved, and as fields they would
        add 400 to a 200-member roster's form."""
        if self.is_bound:
            return self.data.get(self.original_name(name))
        return self.stored[name]

    def theirs(self):
        """The fields (“remark-12”) another lead's save had changed when this form was merged
        with it after a conflict: carried to the next save, which says what it kept of them."""
        names = {self.status_name(m.pk) for m in self.roster} | {
            self.remark_name(m.pk) for m in self.roster
        }
        sent = self.data.getlist("theirs") if hasattr(self.data, "getlist") else []
        return sorted(set(sent) & names)

    def lines(self):
        """Per roster line, what its inputs show (RosterLine): the status and remark (what was
        posted, else the initial values), the originals and the fields' errors. Read straight
        from the form's data, initial values and errors, as a BoundField's value() and errors
        would give them, without building 400 BoundFields for a 200-member roster; the
        Jinja2 template attendance/roster_lines.html writes the inputs."""
        errors = self.errors  # {} on an unbound form
        values = self.data if self.is_bound else self.initial
        return [
            RosterLine(
                member=member,
                status=values.get(status),
                remark=values.get(remark),
                original_status=self.original(status),
                original_remark=self.original(remark),
                status_errors=errors.get(status),
                remark_errors=errors.get(remark),
            )
            for member in self.roster
            for status, remark in [(self.status_name(member.pk), self.remark_name(member.pk))]
        ]

    def field_errors(self):
        """The lines' errors (FieldError), in roster order."""
        if not self.errors:
            return []
        found = []
        for member in self.roster:
            name = getattr(member, "roster_name", member.name)
            status, remark = self[self.status_name(member.pk)], self[self.remark_name(member.pk)]
            if status.errors:
                first = f"{status.auto_id}_{Status.choices[0][0]}"
                found.append(FieldError(first, f"Status of {name}", status.errors[0], status))
            if remark.errors:
                found.append(
                    FieldError(remark.auto_id, f"Remark on {name}", remark.errors[0], remark)
                )
        return found

    def clean(self):
        cleaned = super().clean()
        known = {self.status_name(m.pk) for m in self.roster} | {
            self.remark_name(m.pk) for m in self.roster
        }
        strangers = sorted(
            key
            for key in self.data
            if key.startswith(("status-", "remark-")) and key not in known and self.data[key]
        )
        if strangers:
            raise ValidationError(
                "The form names people who are not on this section's roster (%(keys)s); "
                "reload the page and try again.",
                code="not_on_roster",
                params={"keys": ", ".join(strangers)},
            )
        for member in self.roster:
            if cleaned.get(self.remark_name(member.pk)) and not cleaned.get(
                self.status_name(member.pk)
            ):
                self.add_error(
                    self.status_name(member.pk),
                    ValidationError(
                        "Choose a status to save a remark.", code="remark_without_status"
                    ),
                )
        return cleaned

    def entries(self):
        cleaned = self.cleaned_data
        return [
            Entry(
                member_id=member.pk,
                status=cleaned[self.status_name(member.pk)],
                remark=cleaned[self.remark_name(member.pk)].strip(),
                original_status=self.original(self.status_name(member.pk)),
                original_remark=self.original(self.remark_name(member.pk)),
            )
            for member in self.roster
        ]

    def their_fields(self):
        """`theirs()` as the service takes it: (member id, "status" or "remark") pairs."""
        return [
            (int(member_id), name)
            for name, member_id in (token.split("-") for token in self.theirs())
        ]

    def merged_after(self, conflict):
        """The form's data after `conflict` (a RosterConflict): each line shows the merge (the
        lead's changes on top of what is stored now), its originals are what is stored now,
        its version the current one, and the other save's fields are named in `theirs`; so
        saving it again writes exactly the lead's changes, with their choice where both
        changed a field (they have been shown it)."""
        data = self.data.copy()
        data["version"] = str(conflict.version)
        for member in self.roster:
            stored = conflict.stored.get(member.pk)
            merged = conflict.merged.get(member.pk)
            if stored is None or merged is None:
                continue
            for name, field in (
                (self.status_name(member.pk), "status"),
                (self.remark_name(member.pk), "remark"),
            ):
                data[name] = merged[field]
                data[self.original_name(name)] = stored[field]
        changed = {
            f"{change.field}-{change.member.pk}" for change in [*conflict.kept, *conflict.clashes]
        }
        data.setlist("theirs", sorted(set(self.theirs()) | changed))
        return data

    def mark_everyone_present(self):
        """A copy of the submitted data with every member marked present (remarks kept)."""
        data = self.data.copy()
        for member in self.roster:
            data[self.status_name(member.pk)] = Status.PRESENT
        return data


class DrawnField(NamedTuple):
    """A walk-in field as templates/jinja2/attendance/walk_in_fields.html draws it, the way
    `{{ form|crispy }}` (crispy-bootstrap5's field.html) drew it: tests/attendance/
    test_roster_tags.py compares the two over the form's states."""

    bound: forms.BoundField
    select: bool  # a <select> (with `options`), else an <input type=`input_type`>
    input_type: str | None
    value: str | None  # an input's value attribute (None: none)
    attrs: list[tuple[str, str | bool]]  # the widget's attributes, in Django's order
    options: list[tuple[str, str, bool]]  # a select's (value, label, selected)


def drawn_field(bound):
    """`bound` as crispy drew it: its widget's attributes as Django renders them after
    crispy's `crispy_field` added its classes (the widget's own, such as maxlength and
    autofocus, then class, aria-invalid, aria-describedby and id), its value and options."""
    widget = bound.field.widget
    select = isinstance(widget, forms.Select)
    attrs = {name: value for name, value in widget.attrs.items() if name != "class"}
    kind = type(widget).__name__.lower()
    control = "form-select" if select else "form-control"
    attrs["class"] = f"{kind} {control}" + (" is-invalid" if bound.errors else "")
    described = []
    if bound.field.help_text:
        described.append(f"{bound.auto_id}_helptext")
    if bound.errors:
        attrs["aria-invalid"] = "true"
        described.append(f"{bound.auto_id}_error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    attrs["id"] = bound.auto_id
    value = bound.value()
    options = []
    if select:
        chosen = "" if value is None else str(value)
        options = [
            (str(choice), str(label), str(choice) == chosen)
            for choice, label in bound.field.choices
        ]
    return DrawnField(
        bound=bound,
        select=select,
        input_type=None if select else widget.input_type,
        value=None if select or value is None or value == "" else str(value),
        attrs=[
            (name, True if value is True else str(value))
            for name, value in attrs.items()
            if value is not False and value is not None
        ],
        options=options,
    )


class WalkInForm(forms.Form):
    """Someone not on the roster yet; left empty, it is ignored.

    A plain Form with the Member model's own fields, not a ModelForm: a known email is not an
    error here (`add_walk_in` reuses that member), and a ModelForm would reject it through
    the model's unique constraint.
    """

    name, email, affiliation = forms.fields_for_model(
        Member, fields=["name", "email", "affiliation"]
    ).values()
    status = forms.ChoiceField(choices=Status.choices, initial=Status.PRESENT)

    def __init__(self, *args, **kwargs):
        super().__init__(
            *args, prefix="walk_in", empty_permitted=True, use_required_attribute=False, **kwargs
        )
        self.fields["name"].label = "Walk-in's name"
        self.fields["email"].label = "Their email (optional)"
        self.fields["email"].help_text = (
            "Someone already known by this email is reused, not duplicated. Without one, a new "
            "member is added: an organizer can merge duplicates later."
        )
        self.fields["affiliation"].help_text = ""

    def field_errors(self):
        """The walk-in's errors (FieldError), in the form's order."""
        return [
            FieldError(self[name].auto_id, self.fields[name].label, errors[0], self[name])
            for name, errors in self.errors.items()
            if name in self.fields
        ]

    def drawn_fields(self):
        """The fields as templates/jinja2/attendance/walk_in_fields.html draws them."""
        return [drawn_field(bound) for bound in self]

    def walk_in(self):
        if not self.has_changed():
            return None
        return WalkIn(
            name=self.cleaned_data["name"],
            email=self.cleaned_data["email"],
            status=self.cleaned_data["status"],
            affiliation=self.cleaned_data["affiliation"],
        )


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="Your email",
        max_length=254,
        help_text="The address you joined a section with.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class JoinForm(forms.Form):
    """Name, email and affiliation of someone asking to join a section. Nothing is saved from
    it: the confirmation email's link carries them (see attendance.member_views.join_confirm)."""

    name, email, affiliation = forms.fields_for_model(
        Member, fields=["name", "email", "affiliation"]
    ).values()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = "Your name"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].label = "Your email"
        self.fields["email"].required = True  # the model allows none, for walk-ins
        self.fields["email"].help_text = "We send a link to it: you are in once you click it."
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["affiliation"].label = "Affiliation (optional)"

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        validate_one_line(name)
        if not name:
            raise ValidationError("Enter your name.", code="required")
        return name

    def clean_affiliation(self):
        affiliation = self.cleaned_data["affiliation"]
        validate_one_line(affiliation)
        return affiliation


class MoveForm(forms.Form):
    section = forms.ModelChoiceField(
        queryset=None,
        label="Move to",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the sections listed."},
    )

    def __init__(self, *args, section, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = (
            Section.objects.filter(term=section.term_id)
            .exclude(pk=section.pk)
            .select_related("term")
        )
        self.fields["section"].label_from_instance = lambda s: (
            f"{s.name}: {s.when_display} · {s.room}"
        )


# --- Adding several people at once ---------------------------------------------------------

PASTE_MAX_LINES = 500
_ANGLE = re.compile(r"^(?P<name>[^<>]*?)\s*<(?P<email>[^<>]*)>$")
_NAME_MAX = Member._meta.get_field("name").max_length
_EMAIL_MAX = Member._meta.get_field("email").max_length


@dataclass(frozen=True)
class PastedLine:
    """One non-blank line of a paste: understood (`name` and `email` set, `problem` "") or
    not (`problem` says why)."""

    number: int
    text: str
    name: str = ""
    email: str = ""
    problem: str = ""


def _is_email(text):
    try:
        validate_email(text)
    except ValidationError:
        return False
    return len(text) <= _EMAIL_MAX


def _parse_line(number, text):
    line = text.strip()
    match = _ANGLE.match(line)
    if match:
        cells = [match["name"].strip(" ,;\"'"), match["email"].strip()]
        if not _is_email(cells[1]):
            return PastedLine(number, text, problem="The part between < and > is not an email.")
    else:
        separator = "\t" if "\t" in line else ("," if "," in line else ";")
        cells = [cell.strip().strip("\"'").strip() for cell in line.split(separator)]
    cells = [cell for cell in cells if cell]
    emails = [cell for cell in cells if _is_email(cell)]
    names = [cell for cell in cells if not _is_email(cell)]
    if not emails:
        return PastedLine(number, text, problem="No email address.")
    if len(emails) > 1:
        return PastedLine(number, text, problem="More than one email address.")
    if not names:
        return PastedLine(number, text, problem="No name.")
    if len(names) > 1:
        return PastedLine(
            number, text, problem="More than one name: write “Name <email>” or “email, name”."
        )
    name = " ".join(names[0].split())
    try:
        validate_one_line(name)
    except ValidationError:
        return PastedLine(number, text, problem="The name has control characters.")
    if len(name) > _NAME_MAX:
        return PastedLine(number, text, problem=f"The name is longer than {_NAME_MAX} characters.")
    return PastedLine(number, text, name=name, email=emails[0])


def parse_pasted_people(text):
    """Every non-blank line of `text`, understood or not. Understood lines are “Name <email>”,
    “email, name”, “name, email” (commas or semicolons) or two cells of a pasted spreadsheet
    (tab-separated). A second line with an email already seen (whatever its capitals) is not
    understood either: it says which line it repeats."""
    lines, seen = [], {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        line = _parse_line(number, raw)
        if not line.problem:
            key = line.email.lower()
            if key in seen:
                line = PastedLine(number, raw, problem=f"The same email as line {seen[key]}.")
            else:
                seen[key] = number
        lines.append(line)
    return lines


class BulkAddForm(forms.Form):
    people = forms.CharField(
        label="People to add",
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        # Help texts are shown as HTML (crispy marks them safe): the angle brackets are escaped.
        help_text="One person a line: “Ada Lovelace &lt;ada@example.edu&gt;”, “ada@example.edu, "
        "Ada Lovelace”, or two columns (name and email) copied from a spreadsheet.",
        error_messages={"required": "Paste at least one line."},
    )

    def clean_people(self):
        text = self.cleaned_data["people"]
        if "\x00" in text:
            raise ValidationError("The text holds a NUL character.", code="nul")
        if len(text.splitlines()) > PASTE_MAX_LINES:
            raise ValidationError(
                "At most %(max)s lines at once.", code="too_many", params={"max": PASTE_MAX_LINES}
            )
        lines = parse_pasted_people(text)
        if not lines:
            raise ValidationError("Paste at least one line.", code="required")
        self.lines = lines
        return text

    def understood(self):
        return [line for line in self.lines if not line.problem]

    def not_understood(self):
        return [line for line in self.lines if line.problem]


class ApologyForm(forms.Form):
    """ "I can't come", with an optional reason (one line, shown to the section's leads)."""

    reason = forms.CharField(
        label="Reason (optional, shown to the section's leads)",
        required=False,
        max_length=Apology.REASON_MAX_LENGTH,
        validators=[validate_one_line],
    )


class EmailSettingsForm(forms.Form):
    """Which emails a member gets, on /me/: a box per kind, ticked unless their address opted
    out of it (core.models.EmailOptOut). The kinds are notifications' (attendance cannot import
    it; tests/notifications checks that the names agree)."""

    KINDS = {"reminder": "reminder", "meeting_change": "meeting-change"}  # field -> kind

    reminder = forms.BooleanField(label="Remind me the day before each meeting", required=False)
    meeting_change = forms.BooleanField(
        label="Tell me when a meeting is cancelled or moved", required=False
    )

    @classmethod
    def for_member(cls, member):
        """The form as the member's settings stand (one query), or None for a member without
        an email address (nothing to set)."""
        if not member.email:
            return None
        refused = set(
            EmailOptOut.objects.filter(
                email=normal_address(member.email), kind__in=cls.KINDS.values()
            ).values_list("kind", flat=True)
        )
        return cls(initial={name: kind not in refused for name, kind in cls.KINDS.items()})

    def wanted(self):
        """kind -> whether the member wants it (after is_valid())."""
        return {kind: self.cleaned_data[name] for name, kind in self.KINDS.items()}


class QuestionForm(forms.Form):
    """One question or comment before a meeting: plain text (shown as typed, escaped)."""

    question = forms.CharField(
        label="Your question or comment for the discussion",
        required=False,
        max_length=Preparation.QUESTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Plain text, at most 1,000 characters. Leave it empty to take it back.",
    )


class NextTermWithMembersForm(NextTermForm):
    """The admin's "Start the next term" form, and whether to take the members along."""

    copy_members = forms.BooleanField(
        label="Copy each section's members to the new term's sections",
        required=False,
        initial=True,
        help_text="Everyone enrolled in a section is enrolled in that section's copy in the new "
        "term. Nobody is emailed; members can leave a section from their page (/me/).",
    )


class CheckInCodeForm(forms.Form):
    """The code on the lead's screen, typed at /checkin/ (capitals or not, spaces allowed)."""

    code = forms.CharField(
        label="Check-in code",
        max_length=20,
        help_text="The 6 letters and digits on the lead's screen.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "autofocus": True}
        ),
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
            raise ValidationError(
                "A check-in code is 6 letters and digits, as on the lead's screen.",
                code="malformed",
            )
        return code


class CheckInEmailForm(forms.Form):
    """Checking in without being signed in: the member's email, and a name for someone new."""

    email = forms.EmailField(
        label="Your email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    name = forms.CharField(
        label="Your name",
        max_length=200,
        required=False,
        validators=[validate_one_line],
        help_text="Only if you are new: you join this section as you check in.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean_name(self):
        return self.cleaned_data["name"].strip()
