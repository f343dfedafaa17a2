"""`{% walk_in_fields walk_in_form %}`: the roster's walk-in fields, as crispy drew them (below).

The roster's lines are a Jinja2 template, templates/jinja2/attendance/roster_lines.html.
"""

from html import escape

from django import forms, template
from django.utils.safestring import mark_safe

register = template.Library()


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
