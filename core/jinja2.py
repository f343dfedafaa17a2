"""The Jinja2 environment of the hottest template fragments (docs/performance.md).

Pages stay in Django's template language and extend base.html; a loop that runs hundreds of
times per page (the schedule's meeting lines and readings) is a Jinja2 template under
templates/jinja2/, included with `{% jinja "name" key=value %}` (core/templatetags/jinja.py).
Jinja2 compiles templates to Python functions: the same markup renders several times faster.

The output is what Django's engine would print: every `{{ value }}` goes through Django's own
localisation and escaping (`finalize`), so "'" is "&#x27;" as on every other page, and values
marked safe by Django (Markdown, `people`) are not escaped twice.
"""

import html

from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.templatetags.static import static
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.timezone import template_localtime
from jinja2 import ChainableUndefined, Environment
from markupsafe import Markup

from core.markup import render_markdown
from core.templatetags.people import people


def as_django_prints(value):
    """Django's `render_value_in_context` with autoescaping on. Plain strings, safe strings and
    integers (nearly all that is printed) take the short way to the same result:
    `django.utils.html.escape` is `html.escape`, and an integer is localised to its digits
    unless thousands are separated."""
    if type(value) is str:
        return Markup(html.escape(value))
    if hasattr(value, "__html__"):  # marked safe (by Django or Jinja2)
        return value
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    value = localize(template_localtime(value))
    if not isinstance(value, str):
        value = str(value)
    return conditional_escape(value)


def date(value, arg=None):
    """Django's `date` filter, on the local time as Django's engine gives it to that filter."""
    return date_filter(template_localtime(value), arg)


def environment(**options):
    # A missing value, or a missing value's attribute, prints nothing, as in Django's engine,
    # with DEBUG on too (Django's backend would print "{{ name }}" in DEBUG).
    options["undefined"] = ChainableUndefined
    env = Environment(**options, finalize=as_django_prints, keep_trailing_newline=True)
    env.filters.update(date=date, markdown=render_markdown, people=people)
    env.globals.update(url=reverse, static=static)
    return env
