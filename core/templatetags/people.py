"""`{{ users|people }}`: "A", "A and B", "A, B and C" from users, each shown by full name, or
by user name when the full name is empty (as `get_full_name|default:username` did in the
templates). Names are escaped when autoescaping is on; the joining text is ours."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter(needs_autoescape=True)
def people(users, autoescape=True):
    escape = conditional_escape if autoescape else str
    names = [escape(user.get_full_name() or user.username) for user in users]
    if len(names) < 2:
        return mark_safe("".join(names))
    return mark_safe(f"{', '.join(names[:-1])} and {names[-1]}")
