"""Version 1 of the term export format: the document's keys, each record's fields and
references with their JSON types, and the checks that a document has them (every problem
collected as a “<where>: <what>” line)."""

import functools
import re

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models

from attendance.models import AttendanceRecord, Enrollment, Member
from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section
from syllabus.models import Paper, Reading, Term, Week

FORMAT = "readinggroup-term"
VERSION = 1

User = get_user_model()

# The model fields each record carries as they are, in the file's key order.
FIELDS = {
    User: ["username", "first_name", "last_name", "email"],
    Term: [
        "slug",
        "name",
        "title",
        "institution",
        "place",
        "intro",
        "format_note",
        "reading_list_note",
        "supporters",
        "first_monday",
        "time_zone",
        "is_published",
        "joining_open",
        "reminder_hour",
        "checkin_opens_before",
        "late_after",
        "created_at",
        "updated_at",
    ],
    Paper: [
        "title",
        "authors",
        "year",
        "venue",
        "arxiv_id",
        "doi",
        "url",
        "abstract",
        "created_at",
        "updated_at",
    ],
    Week: ["number", "title", "tagline", "summary", "starts_on_override"],
    Reading: ["kind", "order", "note"],
    Section: ["slug", "name", "weekday", "start_time", "end_time", "room", "capacity"],
    Meeting: [
        "scheduled_starts_at",
        "scheduled_ends_at",
        "scheduled_room",
        "starts_at",
        "ends_at",
        "is_rescheduled",
        "room_override",
        "status",
        "public_note",
        "sequence",
        "changed_at",
        "updated_at",
    ],
    DiscussionNote: ["body", "status", "version", "created_at", "updated_at"],
    DiscussionNoteRevision: ["number", "body", "status", "restored_from", "created_at"],
    Member: ["email", "name", "affiliation", "created_at"],
    Enrollment: ["created_at"],
    AttendanceRecord: ["status", "remark", "recorded_at", "roster_version"],
}

# Fields a record gained after version 1 was first written, with the value a file without them
# stands for (the site's behaviour before they existed): files written before still import.
# A file that has one must give it with its JSON type, like any other field.
ADDED_LATER = {
    Term: {
        "joining_open": True,
        "place": "",
        "reminder_hour": 18,
        # Durations as Django writes them ("hh:mm:ss"), the form the term admin takes too.
        "checkin_opens_before": "00:15:00",
        "late_after": "00:15:00",
    }
}

# Keys a record may leave out (besides those ADDED_LATER): a member's `ref`. Enrollments and
# attendance name a member by its email, and a member without one by its `ref` (the export
# writes `m1`, `m2`, … for those, and no `ref` for the others). Files written before refs name
# every member by its email, a member without one by “”: one such member imports, two cannot be
# told apart. A ref has no “@”, so that no ref is ever taken for an email; refs are compared
# exactly, emails whatever their capitals.
MAY_BE_ABSENT = {Member: {"ref"}}
MEMBER_REF = re.compile(r"[A-Za-z0-9._-]{1,64}")
MEMBER_REF_RULE = "a ref is 1 to 64 letters, digits, “.”, “-” or “_”"

NONE = type(None)
TEXT, NUMBER, LIST = (str,), (int,), (list,)
OPTIONAL_TEXT = (str, NONE)
USERNAMES = "a list of usernames"

# The other keys of each record, naming related objects: their JSON types, USERNAMES, or a
# model (a list of its records).
REFERENCES = {
    User: {},
    Term: {"organizers": USERNAMES},
    Paper: {"key": TEXT},
    Week: {},
    Reading: {"week": NUMBER, "paper": TEXT},
    Section: {"leads": USERNAMES},
    Meeting: {"section": TEXT, "week": NUMBER, "changed_by": OPTIONAL_TEXT},
    DiscussionNote: {
        "section": TEXT,
        "week": NUMBER,
        "authors": USERNAMES,
        "revisions": DiscussionNoteRevision,
    },
    DiscussionNoteRevision: {"author": OPTIONAL_TEXT},
    Member: {"ref": TEXT, "user": OPTIONAL_TEXT},
    Enrollment: {"section": TEXT, "member": TEXT},
    AttendanceRecord: {
        "section": TEXT,
        "week": NUMBER,
        "member": TEXT,
        "recorded_by": OPTIONAL_TEXT,
    },
}

# The document's lists, in the order they are written and read.
LISTS = {
    "users": User,
    "papers": Paper,
    "weeks": Week,
    "readings": Reading,
    "sections": Section,
    "meetings": Meeting,
    "notes": DiscussionNote,
    "members": Member,
    "enrollments": Enrollment,
    "attendance": AttendanceRecord,
}
TOP_LEVEL = ["format", "version", "exported_at", "term", *LISTS]


MAX_PROBLEMS = 20  # listed in the refusal; the count of the others follows them

NUL_MESSAGE = ProhibitNullCharactersValidator.message
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def refuse(message):
    return ValidationError(message, code="refused")


class Problems:
    """The refusals found so far, as “<where>: <what>” lines."""

    def __init__(self):
        self.lines = []

    def add(self, path, message):
        self.lines.append(f"{path}: {message}" if path else message)

    def raise_any(self):
        if self.lines:
            shown = self.lines[:MAX_PROBLEMS]
            if len(self.lines) > MAX_PROBLEMS:
                shown.append(f"… and {len(self.lines) - MAX_PROBLEMS:,} more problems.")
            raise ValidationError(shown, code="refused")


def quote(value):
    """`value` in quotes for a message: shortened, with invisible characters escaped."""
    text = str(value)
    if len(text) > 80:
        text = text[:79] + "…"
    return "“" + "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text) + "”"


def shown(value):
    """`value` for a message: numbers as they are, text quoted (see `quote`)."""
    return str(value) if type(value) is int else quote(value)


def _json_type(value):
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        int: "a whole number",
        float: "a number with a fraction",
        bool: "true or false",
        NONE: "null",
    }.get(type(value), type(value).__name__)


def _model_types(model_field):
    if isinstance(model_field, models.BooleanField):
        types = (bool,)
    elif isinstance(model_field, models.IntegerField):
        types = (int,)
    else:  # text, and dates, times and date-times as ISO 8601 text
        types = (str,)
    return (*types, NONE) if model_field.null else types


def _examples(types):
    return [{dict: {}, list: [], str: "", int: 0, bool: True, NONE: None}[t] for t in types]


def _text_problem(value):
    found = _NOT_TEXT.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return NUL_MESSAGE
    return f"{ascii(found.group())[1:-1]} is half of a UTF-16 surrogate pair, not a character."


def check_value(value, types, path, problems):
    """Is `value` of one of the JSON `types` (and, if text, free of NUL characters and lone
    surrogates, which no form takes and PostgreSQL refuses)? Adds a problem if not."""
    # `type() in` and not isinstance: true is no whole number, 1.0 no string.
    if type(value) not in types:
        wanted = " or ".join(_json_type(example) for example in _examples(types))
        problems.add(path, f"expected {wanted}, found {_json_type(value)}.")
        return False
    if type(value) is str and (problem := _text_problem(value)):
        problems.add(path, problem)
        return False
    return True


@functools.cache
def _spec(model):
    """{key: what it holds} of a `model` record: a tuple of JSON types, USERNAMES or a model
    (a list of its records)."""
    spec = {name: _model_types(model._meta.get_field(name)) for name in FIELDS[model]}
    return spec | REFERENCES[model]


def check_record(value, model, path, problems):
    """Is `value` an object with exactly the keys of a `model` record, each of its JSON type?
    Adds a problem for each that is not. (Run on every record of the file: the common case of a
    right value takes no call and no string formatting.)"""
    if type(value) is not dict:
        return check_value(value, (dict,), path, problems)
    spec = _spec(model)
    ok = True
    if value.keys() != spec.keys():
        optional = {*ADDED_LATER.get(model, ()), *MAY_BE_ABSENT.get(model, ())}
        missing = [key for key in spec if key not in value and key not in optional]
        if missing:
            problems.add(path, f"missing {', '.join(quote(key) for key in missing)}.")
        unknown = sorted(key for key in value if key not in spec)
        if unknown:
            problems.add(path, f"unexpected {', '.join(quote(key) for key in unknown)}.")
        ok = ok and not missing and not unknown
    for key, kind in spec.items():
        if key not in value:
            continue
        item = value[key]
        if type(kind) is tuple:
            found = type(item)
            if found not in kind or (found is str and _NOT_TEXT.search(item)):
                ok = check_value(item, kind, f"{path}.{key}", problems) and ok
            continue
        where = f"{path}.{key}"
        if not check_value(item, LIST, where, problems):
            ok = False
            continue
        for i, element in enumerate(item):
            if kind is USERNAMES:
                ok = check_value(element, TEXT, f"{where}[{i}]", problems) and ok
            else:
                ok = check_record(element, kind, f"{where}[{i}]", problems) and ok
    return ok


def field_values(record, model):
    """The model field values of a checked `model` record, those ADDED_LATER filled in."""
    added = ADDED_LATER.get(model, {})
    return {name: record[name] if name in record else added[name] for name in FIELDS[model]}


def check_header(data):
    """Refuse (at once) a document that is no version-1 term export, or whose top level lacks
    or adds a key."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise refuse(f"This is not a readinggroup term export (no “format”: “{FORMAT}”).")
    version = data.get("version")
    if type(version) is not int:
        raise refuse(f"The file has no version number (“version”: {VERSION}).")
    if version != VERSION:
        raise refuse(
            f"This file is version {quote(version)[1:-1]} of the term export format; "
            f"this site reads version {VERSION}."
        )
    missing = [key for key in TOP_LEVEL if key not in data]
    if missing:
        raise refuse(f"The file has no {', '.join(quote(key) for key in missing)}.")
    unknown = sorted(key for key in data if key not in TOP_LEVEL)
    if unknown:
        raise refuse(f"The file has unexpected {', '.join(quote(key) for key in unknown)}.")


def check_shapes(data, problems):
    """Check every record's keys and JSON types (all of them, each problem added)."""
    check_record(data["term"], Term, "term", problems)
    for name, model in LISTS.items():
        if check_value(data[name], LIST, name, problems):
            for position, item in enumerate(data[name]):
                check_record(item, model, f"{name}[{position}]", problems)
