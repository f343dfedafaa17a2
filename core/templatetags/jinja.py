"""`{% jinja "includes/readings.html" week=week level=3 %}`: render a Jinja2
fragment (templates/jinja2/) inside a Django template, with exactly the variables given
(core/jinja2.py says why)."""

from django import template

from core import jinja2

register = template.Library()


@register.simple_tag
def jinja(template_name, **variables):
    return jinja2.render(template_name, variables)
