"""The roster's template tags write what the template engine and crispy wrote before them."""

import pytest
from django.template import Context, Template

from attendance.forms import WalkInForm, focus_first
from attendance.templatetags.roster import walk_in_fields

CRISPY = Template("{% load crispy_forms_tags %}{{ form|crispy }}")

FILLED = {
    "walk_in-name": 'Dee "D" <b>O\'Neil</b> & co',
    "walk_in-email": "dee@example.edu",
    "walk_in-affiliation": "MIT & <Harvard>",
    "walk_in-status": "late",
}
STATES = {
    "unbound": None,
    "left empty": {"walk_in-name": "", "walk_in-email": "", "walk_in-status": "present"},
    "filled in": FILLED,
    "no name, a bad email": {**FILLED, "walk_in-name": "", "walk_in-email": "not an email"},
    "not a status": {**FILLED, "walk_in-status": "asleep"},
    "no status sent": {key: value for key, value in FILLED.items() if key != "walk_in-status"},
    "too long": {**FILLED, "walk_in-name": "n" * 201, "walk_in-affiliation": "a" * 201},
    "long email": {**FILLED, "walk_in-email": "e" * 250 + "@example.edu"},
}


def walk_in_form(data, *, focus):
    form = WalkInForm(data) if data is not None else WalkInForm()
    if data is not None:
        form.is_valid()
        if focus:
            focus_first(form.field_errors())
    return form


@pytest.mark.parametrize("focus", [False, True])
@pytest.mark.parametrize("state", STATES)
def test_walk_in_fields_are_what_crispy_wrote(state, focus):
    crispy = CRISPY.render(Context({"form": walk_in_form(STATES[state], focus=focus)}))

    ours = walk_in_fields(walk_in_form(STATES[state], focus=focus))

    assert ours == crispy
