"""The Jinja2 environment of the hottest template fragments (docs/performance.md).

Pages stay in Django's template language and extend base.html; a loop that runs hundreds of
times per page (the schedule's meeting lines and readings) is a Jinja2 template under
templates/jinja2/, included with `{% jinja "name" key=value %}` (core/templatetags/jinja.py).
Jinja2 compiles templates to Python functions: the same markup renders several times faster.

The output is what Django's engine would print: every `{{ value }}` goes through Django's own
localisation and escaping (`finalize`), so "'" is "&#x27;" as on every other page, and values
marked safe by Django (Markdown, `people`) are not escaped twice.
"""

from django.conf import settings
from django.template import engines
from django.template.defaultfilters import date as date_filter
from django.templatetags.static import static
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from jinja2 import ChainableUndefined, Environment

from core.markup import render_markdown
from core.templatetags.people import people
from core.urlhelpers import reverse_url


def as_django_prints(value):
    """What Django's `render_value_in_context` gives to escaping: the value localised, as a
    string. Jinja2 then escapes it, as Django would; Django writes ' and " as &#x27; and &quot;
    where Jinja2 writes &#39; and &#34;, which `render` puts right once for the whole fragment.
    Plain and safe strings and integers (nearly all that is printed) take the short way."""
    if type(value) is str or hasattr(value, "__html__"):
        return value
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    value = localize(template_localtime(value))
    return value if isinstance(value, str) else str(value)


def render(template_name, variables):
    """Render a fragment of templates/jinja2/ with `variables`, as Django's engine would have."""
    fragment = engines["jinja2"].get_template(template_name).template
    return mark_safe(as_django_escapes(fragment.render(variables)))


def as_django_escapes(html):
    """Jinja2's escaping of ' and " written as Django writes them. Only that escaping writes
    &#39; and &#34;: an & typed by anyone is &amp; by now."""
    return html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")


def date(value, arg=None):
    """Django's `date` filter, on the local time as Django's engine gives it to that filter."""
    return date_filter(template_localtime(value), arg)


def month_day(value):
    """“Sep 5”: Django's `date` filter with "M j", for a date (no time zone to convert)."""
    return f"{value:%b} {value.day}"


def url(name, kwargs=None):
    """`url("sections:note-edit", kwargs={"meeting": 3})`: the path, remembered (reverse_url)."""
    return reverse_url(name, **(kwargs or {}))


def environment(**options):
    # A missing value, or a missing value's attribute, prints nothing, as in Django's engine,
    # with DEBUG on too (Django's backend would print "{{ name }}" in DEBUG).
    options["undefined"] = ChainableUndefined
    env = Environment(**options, finalize=as_django_prints, keep_trailing_newline=True)
    env.filters.update(date=date, month_day=month_day, markdown=render_markdown, people=people)
    env.globals.update(url=url, static=static)
    return env
