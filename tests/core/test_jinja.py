"""The Jinja2 fragments print values as Django's engine prints them (core/jinja2.py)."""

import datetime

import pytest
from django.template import Context, Template
from django.template.backends.jinja2 import Jinja2
from django.utils.safestring import mark_safe

from core.jinja2 import as_django_escapes

SOURCE = (
    "[{{ text }}|{{ safe }}|{{ number }}|{{ nothing }}|{{ missing }}|{{ missing.deeper }}|"
    "{{ when|date('M j, Y H:i') }}]"
)
VALUES = {
    "text": 'Tom & Jerry\'s "<b>"',
    "safe": mark_safe("<em>kept</em>"),
    "number": 12345,
    "nothing": None,
    # 1 am UTC is still the day before in New York (settings.TIME_ZONE).
    "when": datetime.datetime(2022, 10, 1, 1, 30, tzinfo=datetime.UTC),
}


@pytest.mark.parametrize("debug", [False, True])
def test_jinja_fragments_print_what_django_templates_print(settings, debug):
    settings.DEBUG = debug  # Django's backend reads it when it builds the environment
    (params,) = [t for t in settings.TEMPLATES if t["BACKEND"].endswith("Jinja2")]
    engine = Jinja2({**{k: v for k, v in params.items() if k != "BACKEND"}, "NAME": "jinja2"})
    django_source = SOURCE.replace("|date('M j, Y H:i')", '|date:"M j, Y H:i"')

    jinja = as_django_escapes(engine.env.from_string(SOURCE).render(VALUES))
    django = Template(django_source).render(Context(VALUES))

    assert jinja == django
    assert jinja == (
        "[Tom &amp; Jerry&#x27;s &quot;&lt;b&gt;&quot;|<em>kept</em>|12345|None|||"
        "Sep 30, 2022 21:30]"
    )


def test_month_day_prints_what_djangos_date_filter_prints():
    """`month_day` (the schedule's week dates) is Django's `date:"M j"` without its cost."""
    days = [datetime.date(2022, month, day) for month in range(1, 13) for day in (1, 9, 10, 28)]
    source = "{% for day in days %}{{ day|month_day }};{% endfor %}"
    engine = Jinja2(
        {
            "DIRS": [],
            "APP_DIRS": False,
            "NAME": "jinja2",
            "OPTIONS": {"environment": "core.jinja2.environment"},
        }
    )
    django = Template('{% for day in days %}{{ day|date:"M j" }};{% endfor %}')

    printed = engine.env.from_string(source).render({"days": days})

    assert printed == django.render(Context({"days": days}))
    assert printed.startswith("Jan 1;Jan 9;Jan 10;Jan 28;Feb 1;")
