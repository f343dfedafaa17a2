"""Hostile input for property-based tests (hypothesis): strategies and the checks every
example must pass.

Each property throws long strings, control characters (NUL included, which PostgreSQL refuses
in text), right-to-left and combining Unicode, emoji, numbers too large or negative, wrong
types (several values for one field, a file where text is expected), missing fields and extra
fields at one form or URL parameter. Whatever comes in, the site answers a form error or a 4xx,
never a 500, and an answer that is not a success leaves the database as it was.

The examples are derandomized (the same ones every run, on every machine) and each runs in a
savepoint that is rolled back, so examples do not see each other's rows.
"""

import contextlib
import operator
import os

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

EXAMPLES = 40


def hostile_settings(max_examples=EXAMPLES):
    """Same examples every run (CI reproduces any failure), no per-example deadline (a page
    takes as long as it takes on a loaded machine), pytest fixtures shared by the examples."""
    # HYPOTHESIS_NO_SHRINK=1 reports a failure at once, unshrunk (quicker while debugging).
    shrink = (
        {"phases": [Phase.explicit, Phase.generate]}
        if os.environ.get("HYPOTHESIS_NO_SHRINK")
        else {}
    )
    return settings(
        **shrink,
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


# --- Values ---------------------------------------------------------------------------------

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00\x00\x00",
    "%00",
    "\r\n\t\x0b\x0c",
    "\x1b[31mred\x1b[0m\x7f",
    "\u202e\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd",  # RTL override, Arabic, Hebrew
    "\u200b\u200d\ufeff",  # zero-width space and joiner, byte-order mark
    "e\u0301\u0302\u0303\u0304\u0305\u0306\u0307",  # one letter, many combining marks
    "👩‍👩‍👧‍👦🔥💥" * 3,
    "\U0010ffff\ufffd",
    "İıſßﬃ",  # letters whose case mapping changes their length
    "'; DROP TABLE syllabus_term; --",
    "<script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "{{ 7|add:7 }}{% now 'Y' %}",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "null",
    "None",
    "true",
    "[]",
    "{}",
]

# Stored text that is markup if a page prints it unescaped: a phishing link (a strict CSP stops
# scripts, not links), and what a page must show instead (`django.utils.html.escape` of it).
STORED_HTML = '2-151<a href="https://evil.example/login">Log in again</a>'
STORED_HTML_ESCAPED = (
    "2-151&lt;a href=&quot;https://evil.example/login&quot;&gt;Log in again&lt;/a&gt;"
)
STORED_HTML_LIVE = 'href="https://evil.example/login"'

# Text with line breaks and other control characters, as a shell, a fixture or an old row may
# hold it in a one-line field (forms refuse it).
LINE_BREAKS = [
    "Fall\n2022",
    "Fall\r\n2022",
    "Fall\r2022",
    "Fall\n\nBEGIN:VEVENT\nSUMMARY:Injected\nEND:VEVENT",
    "Fall\u20282022\u2029",
    "Fall\x0b\x0c\x1c\x85 2022",
    "\x00NUL\x1b[31m\x7f",
    "\tTabbed\t",
    "\n",
]

NASTY_NUMBERS = [
    "-1",
    "0",
    "-0",
    "1.5",
    "1e308",
    "1e-308",
    "NaN",
    "inf",
    "-inf",
    "0x1F",
    "2147483647",
    "2147483648",
    "32768",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1" + "0" * 40,
    "9" * 400,
    "٣",  # an Arabic-Indic digit three
    "²",
    " 7 ",
]

NASTY_DATES_AND_TIMES = [
    "0001-01-01",
    "9999-12-31",
    "9999-12-27",
    "2022-02-30",
    "2022-13-01",
    "10000-01-01",
    "1899-12-25",
    "24:00",
    "23:59:60",
    "-01:00",
    "25:61",
    "00:00",
    "23:59",
]

# Characters of every kind, surrogates excepted (they cannot be sent as UTF-8 at all).
any_text = st.text(st.characters(codec="utf-8"), max_size=60)

long_text = st.builds(
    operator.mul,
    st.sampled_from(["x", "é", "💥", "\x00", "a\u0301", "\u202e", "<b>"]),
    st.sampled_from([101, 201, 255, 301, 1_001, 100_001]),
)

hostile_scalar = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.sampled_from(NASTY_NUMBERS),
    st.sampled_from(NASTY_DATES_AND_TIMES),
    any_text,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    long_text,
)


class Missing:
    """The field is left out of the request altogether."""

    def __repr__(self):
        return "MISSING"


class File:
    """A file upload where the form expects text."""

    def __repr__(self):
        return "FILE"


MISSING, FILE = Missing(), File()

hostile_value = st.one_of(
    hostile_scalar,
    st.just(MISSING),
    st.lists(hostile_scalar, min_size=2, max_size=3),  # the field sent several times
    st.just(FILE),
)

extra_fields = st.dictionaries(
    st.one_of(
        any_text.filter(bool),
        st.sampled_from(["id", "pk", "csrfmiddlewaretoken", "is_staff", "status-", "remark-0"]),
    ),
    hostile_scalar,
    max_size=3,
)


def field_values(valid, names):
    """For each of `names`, a valid value (from `valid[name]`, a strategy) or a hostile one."""
    return st.fixed_dictionaries(
        {name: st.one_of(valid.get(name, st.just(MISSING)), hostile_value) for name in names}
    )


def form_data(values, extra=None):
    """The POST data for `values` as the test client sends it: MISSING dropped, FILE a file."""
    data = {}
    for name, value in {**(extra or {}), **values}.items():
        if value is MISSING:
            continue
        data[name] = SimpleUploadedFile("hostile.txt", b"\x00\xff\xfe") if value is FILE else value
    return data


# Values at the edges of a type, for fields of that type (dates near year 1 and 9999, numbers
# past every integer column's range).
edge_date = st.one_of(
    st.sampled_from(["9999-12-27", "9999-12-31", "0001-01-01", "0001-01-03", "1900-01-01"]),
    st.dates().map(str),
)
edge_time = st.one_of(st.sampled_from(["00:00", "23:59", "23:59:59.999999"]), st.times().map(str))
edge_number = st.one_of(
    st.sampled_from(NASTY_NUMBERS), st.integers(min_value=-(2**70), max_value=2**70).map(str)
)


def mutate(baseline, names, *, edges=None):
    """Strategy: `baseline` (a valid form's data) with some of `names` replaced by hostile
    values (or `edges[name]`, values at the edge of that field's type) or dropped. Keeping the
    valid value comes first so that failures shrink to the fields that matter."""
    keep = st.just(None)
    edges = edges or {}
    choices = {
        name: st.one_of(keep, keep, hostile_value, edges.get(name, hostile_value)) for name in names
    }
    return st.fixed_dictionaries(choices).map(
        lambda changes: {
            **baseline,
            **{name: value for name, value in changes.items() if value is not None},
        }
    )


# --- Checks ---------------------------------------------------------------------------------


@contextlib.contextmanager
def rolled_back():
    """Run one example in a savepoint that is rolled back, with an empty cache."""
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def assert_not_server_error(response):
    """No 500, no traceback: the answer is a page, a redirect, a form error or a 4xx."""
    body = b"" if response.streaming else response.content
    assert response.status_code < 500, (response.status_code, body[:2000])
    assert b"Traceback" not in body, body[:2000]


def has_nul(*values):
    """Does any of `values` (strings, lists of them, dicts of them) hold a NUL character? An
    address with one is a 400 (readinggroup.middleware.NulCharactersMiddleware)."""
    for value in values:
        if isinstance(value, dict):
            value = [*value.keys(), *value.values()]
        if isinstance(value, list | tuple):
            if has_nul(*value):
                return True
        elif isinstance(value, str) and "\x00" in value:
            return True
    return False


def assert_form_errors(response, *names):
    """A 200 or 409 re-rendering at least one of the context's forms `names` with errors."""
    assert response.status_code in (200, 409), response.status_code
    forms = [response.context[name] for name in names]
    assert any(form.errors for form in forms), [form.data for form in forms]


def assert_term_pages_work(client, terms):
    """After a save, the pages that compute dates from what was saved still render."""
    for term in terms:
        for path in [
            term.get_absolute_url(),
            f"/terms/{term.slug}/schedule.json",
            f"/terms/{term.slug}/calendar.ics",
        ]:
            response = client.get(path)
            assert_not_server_error(response)
            assert response.status_code == 200, path
