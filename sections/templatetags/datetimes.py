"""`{{ value|date_time }}`: "Nov 30, 2026, 3:16 am", a moment written as the site writes times
(`format_clock`: "6 pm", "7:30 pm"). Django's `date:"… g:i a"` wrote "3:16 a.m.", and a
sentence that ended there ended "a.m..": two periods."""

from django import template
from django.utils.timezone import template_localtime

from sections.models import format_clock

register = template.Library()


@register.filter
def date_time(value):
    """An aware datetime in the current time zone (which `{% timezone %}` sets); "" for None."""
    if not value:
        return ""
    local = template_localtime(value)
    return f"{local:%b} {local.day}, {local.year}, {format_clock(local.time())}"
