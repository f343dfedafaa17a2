"""The roster page's two costly parts, written in Python: `{% roster_lines form errors_to_fix %}`
(the roster's lines, one `<li>` per member with its four status toggles, its remark and its
hidden originals) and `{% walk_in_fields walk_in_form %}` (below).

Written here rather than as a `{% for %}` in templates/attendance/roster.html because the
template engine spent about 0.15 ms a line on it (35 ms for a 200-member roster, most of the
page): a line is some 40 variables and conditions. This writes the same bytes the template
loop wrote (tests/attendance/test_golden_pages.py holds them), escaping every value as the
template did (`escape` is Django's: & < > " ' become entities).
"""

from html import escape

from django import forms, template
from django.utils.safestring import mark_safe

from attendance.models import AttendanceRecord

register = template.Library()

_CHOICES = AttendanceRecord.Status.choices
_SOURCE_BADGES = {
    "self": ' <span class="badge text-bg-info roster-self" title="Checked in themselves">'
    "self</span>",
    "walk-in": ' <span class="badge text-bg-info roster-self" title="Checked in as a walk-in">'
    "walk-in</span>",
}


def _apology(reason):
    """The “Can't come” badge (it was an include: hence its closing newline)."""
    if reason is None:
        return "\n"
    text = f": {escape(reason)}" if reason else ""
    return (
        f'<span class="badge text-bg-warning fw-normal roster-apology">Can\'t come{text}</span>\n'
    )


def _error_attrs(errors, input_id):
    if not errors:
        return ""
    return f' aria-invalid="true" aria-describedby="{input_id}_error"'


def _feedback(errors, input_id):
    if not errors:
        return ""
    messages = " ".join(escape(str(error)) for error in errors)
    return f'<div class="invalid-feedback d-block" id="{input_id}_error">{messages}</div>'


def _line(line, autofocus_id):
    member = line.member
    pk = member.pk
    name = escape(member.roster_name)
    status_id, remark_id = f"id_status-{pk}", f"id_remark-{pk}"
    status_attrs = _error_attrs(line.status_errors, status_id)
    toggles = []
    for value, label in _CHOICES:
        input_id = f"{status_id}_{value}"
        checked = " checked" if value == line.status else ""
        focus = " autofocus" if input_id == autofocus_id else ""
        toggles.append(
            "\n                      "
            f'<input type="radio" class="btn-check" name="status-{pk}" id="{input_id}" '
            f'value="{value}"{checked}{status_attrs}{focus}><label class="btn btn-lg '
            f'status-{value}" for="{input_id}">{label}</label>\n                    '
        )
    remark_errors = line.remark_errors
    return (
        f'\n            <li class="roster-line border-bottom py-2" id="member-{pk}">'
        '\n              <div class="row g-2 align-items-end">'
        '\n                <fieldset class="col-md-7">'
        f'\n                  <legend class="h6 mb-1 roster-name">{name} '
        f'<span class="small text-body-secondary fw-normal">{escape(member.email)}</span> '
        f"{_apology(member.apology_reason)}{_SOURCE_BADGES.get(member.saved_source, '')}"
        "</legend>"
        '\n                  <div class="status-choices">'
        f"\n                    {''.join(toggles)}"
        "\n                  </div>"
        f"\n                  {_feedback(line.status_errors, status_id)}"
        "\n                </fieldset>"
        '\n                <div class="col-md-5 roster-remark">'
        f'\n                  <label class="form-label" for="{remark_id}">Remark'
        f'<span class="visually-hidden"> on {name}</span></label>'
        f'\n                  <input type="text" class="form-control'
        f'{" is-invalid" if remark_errors else ""}" name="remark-{pk}" id="{remark_id}" '
        f'value="{escape(line.remark or "")}" maxlength="200"'
        f"{_error_attrs(remark_errors, remark_id)}"
        f"{' autofocus' if remark_id == autofocus_id else ''}>"
        f"\n                  {_feedback(remark_errors, remark_id)}"
        f'\n                  <input type="hidden" name="original-status-{pk}" '
        f'value="{escape(line.original_status or "")}"><input type="hidden" '
        f'name="original-remark-{pk}" value="{escape(line.original_remark or "")}">'
        "\n                </div>"
        "\n              </div>"
        "\n            </li>"
        "\n          "
    )


@register.simple_tag
def roster_lines(form, errors_to_fix):
    """The lines of `form` (a RosterForm); the input of the first of `errors_to_fix` (the
    summary above the form) gets the autofocus."""
    autofocus_id = errors_to_fix[0].input_id if errors_to_fix else None
    return mark_safe("".join(_line(line, autofocus_id) for line in form.lines()))


# --- The walk-in's fields ----------------------------------------------------------------
# `{% walk_in_fields walk_in_form %}` writes, byte for byte, what `{{ walk_in_form|crispy }}`
# wrote (crispy-bootstrap5's field.html through its `specialspaceless`), for the form's four
# fields: text, email, text and a select. Through crispy they cost 1.2 ms, a seventh of a
# small roster's page. tests/attendance/test_roster_tags.py compares the two over the form's
# states (unbound, filled in, each field's errors, the autofocus).


def _widget_attrs(bound, control_class):
    """The widget's attributes as Django renders them after crispy's `crispy_field` added
    its classes: the widget's own (maxlength, autofocus), class, then aria-invalid,
    aria-describedby and id."""
    widget = bound.field.widget
    attrs = {}
    kind = type(widget).__name__.lower()
    for name, value in widget.attrs.items():
        if name != "class":
            attrs[name] = value
    classes = f"{kind} {control_class}" + (" is-invalid" if bound.errors else "")
    attrs["class"] = classes
    described = []
    if bound.field.help_text:
        described.append(f"{bound.auto_id}_helptext")
    if bound.errors:
        attrs["aria-invalid"] = "true"
        described.append(f"{bound.auto_id}_error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    attrs["id"] = bound.auto_id
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False and value is not None
    )


def _control(bound):
    widget = bound.field.widget
    value = bound.value()
    if isinstance(widget, forms.Select):
        selected = {"" if value is None else str(value)}
        options = " ".join(
            f'<option value="{escape(str(choice))}"'
            f"{' selected' if str(choice) in selected else ''}>{escape(str(label))}</option>"
            for choice, label in bound.field.choices
        )
        attrs = _widget_attrs(bound, "form-select")
        return f'<select name="{bound.html_name}"{attrs}> {options}\n\n</select>'
    shown = "" if value is None or value == "" else f' value="{escape(str(value))}"'
    attrs = _widget_attrs(bound, "form-control")
    return f'<input type="{widget.input_type}" name="{bound.html_name}"{shown}{attrs}>'


def _walk_in_field(bound):
    auto_id = bound.auto_id
    if bound.field.required:
        label = (
            f'<label\n                for="{auto_id}" class="form-label requiredField">\n'
            f'                {escape(str(bound.label))}<span class="asteriskField">*</span> '
            "</label>"
        )
    else:
        label = (
            f'<label\n                for="{auto_id}" class="form-label">\n'
            f"                {escape(str(bound.label))}\n            </label>"
        )
    errors = ""
    if bound.errors:
        messages = " ".join(
            f'<p id="error_{number}_{auto_id}"><strong>{escape(str(error))}</strong></p>'
            for number, error in enumerate(bound.errors, start=1)
        )
        errors = f' <div id="{auto_id}_error" class="invalid-feedback"> {messages} </div>'
    help_text = ""
    if bound.field.help_text:
        help_text = f' <div id="{auto_id}_helptext" class="form-text">{bound.field.help_text}</div>'
    return (
        f'<div id="div_{auto_id}" class="mb-3"> {label} {_control(bound)}{errors}{help_text} </div>'
    )


@register.simple_tag
def walk_in_fields(form):
    """The fields of `form` (a WalkInForm) as crispy-bootstrap5 drew them."""
    return mark_safe("\n\n" + " ".join(_walk_in_field(bound) for bound in form) + "\n")
