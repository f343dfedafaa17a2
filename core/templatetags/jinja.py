"""`{% jinja "includes/meeting_lines.html" meetings=week.section_meetings %}`: render a Jinja2
fragment (templates/jinja2/) inside a Django template, with exactly the variables given
(core/jinja2.py says why)."""

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def jinja(template_name, **variables):
    fragment = engines["jinja2"].get_template(template_name).template
    return mark_safe(fragment.render(variables))
