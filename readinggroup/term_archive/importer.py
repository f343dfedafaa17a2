"""`read_term_file` and `import_term`: a term file back into the database, validated as the
site's forms would validate it before anything is written, then written in batches."""

import datetime
import functools
import io
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import DataError, IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from attendance.models import AttendanceRecord, Enrollment, Member
from readinggroup.term_archive.format import (
    FIELDS,
    MEMBER_REF,
    MEMBER_REF_RULE,
    Problems,
    User,
    check_header,
    check_shapes,
    field_values,
    quote,
    refuse,
    shown,
)
from sections.forms import NOTE_MAX_CHARACTERS, check_note_length
from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section
from syllabus.models import Paper, Reading, Term, Week, check_date_in_range

# The largest file `read_term_file` reads: a term of 100,000 members, each enrolled once and
# recorded at one meeting in two, is 48.6 MB.
MAX_FILE_BYTES = 50_000_000
MAX_FILE_SIZE = "50 MB"
# Text without a length of its own (intro, summary, abstract, notes) is held to the notes
# editor's limit: 100,000 characters, some forty pages.
LONG_TEXT_MAX = NOTE_MAX_CHARACTERS
BATCH_SIZE = 1000  # rows per INSERT
LOOKUP_SIZE = 900  # values per `IN (…)` lookup, below SQLite's 999 parameters


@dataclass
class ImportReport:
    """What `import_term` did: the new term, how many rows it created of each kind, what it
    took from the database as it was, and which of those differ from the file."""

    term: Term
    created: dict[str, int] = field(default_factory=dict)
    reused: dict[str, int] = field(default_factory=dict)
    differing: list[str] = field(default_factory=list)


def read_term_file(file, name) -> object:
    """The JSON document in the binary `file`, called `name` in messages. Raises
    ValidationError, before parsing, when the file is larger than MAX_FILE_BYTES, and when it
    is not UTF-8 text or not JSON (nested too deeply or holding too long a number included)."""
    try:
        size = os.fstat(file.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        size = 0  # a stream: the bounded read below decides
    limit = f"{MAX_FILE_SIZE} ({MAX_FILE_BYTES:,} bytes)"
    if size > MAX_FILE_BYTES:
        raise refuse(f"{name} is {size:,} bytes; a term file may be at most {limit}.")
    content = file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise refuse(f"{name} holds more than {limit}, the most a term file may be.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise refuse(f"{name} is not UTF-8 text.") from error
    del content
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise refuse(
            f"{name} is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})."
        ) from error
    except RecursionError as error:
        raise refuse(f"{name} nests lists and objects too deeply to be a term export.") from error
    except ValueError as error:  # an integer longer than Python converts
        raise refuse(
            f"{name} holds a number of more than {sys.get_int_max_str_digits():,} digits."
        ) from error


# What a form checks beyond the model, per field; other text without a length of its own is
# held to LONG_TEXT_MAX characters.
FORM_RULES = {
    (DiscussionNote, "body"): check_note_length,
    (DiscussionNoteRevision, "body"): check_note_length,
}
_long_text = MaxLengthValidator(LONG_TEXT_MAX)
# `clean()` rules about new writes, not history: attendance of a meeting cancelled after it
# was taken is kept (and exported), though no new record may be made for it.
CLEAN_SKIPPED = {AttendanceRecord}


def _meeting_times(meeting):
    # The database's sections_meeting_ends_after_start, said before the insert.
    if meeting.starts_at and meeting.ends_at and meeting.ends_at <= meeting.starts_at:
        raise ValidationError({"ends_at": "The meeting must end after it starts."})


# The check constraints no `clean()` repeats, in Python (`full_clean` would ask the database,
# a query per object).
CONSTRAINT_RULES = {Meeting: _meeting_times}


@dataclass(frozen=True)
class _Plan:
    exclude: frozenset  # the fields the file does not give (ids, relations, a user's password)
    dated: list  # attnames of dates and date-times: in the range the site handles
    text_rules: list  # (attname, rule) of text without a length of its own
    clean: bool
    rule: object


@functools.cache
def _plan(model):
    """How to validate a `model` built from the file, worked out once per model."""
    given = [model._meta.get_field(name) for name in FIELDS[model]]
    return _Plan(
        exclude=frozenset(f.name for f in model._meta.fields if f.name not in FIELDS[model]),
        dated=[f.attname for f in given if isinstance(f, models.DateField)],
        text_rules=[
            (f.attname, FORM_RULES.get((model, f.name), _long_text))
            for f in given
            if isinstance(f, models.TextField)
        ],
        clean=model not in CLEAN_SKIPPED,
        rule=CONSTRAINT_RULES.get(model),
    )


def _add_errors(error, path, problems):
    for name, messages in error.update_error_dict({}).items():
        for message in ValidationError(messages).messages:
            problems.add(path if name == NON_FIELD_ERRORS else f"{path}.{name}", message)


def _validate(obj, path, problems):
    """Validate `obj` as a form would, without a query: `full_clean(validate_unique=False,
    validate_constraints=False)` (field by field, then `clean()`), each date within the years
    the site handles, date-times with their UTC offset, the forms' text limits, and the check
    constraints of CONSTRAINT_RULES. Uniqueness is the caller's (in memory). Adds a problem
    for each failure."""
    plan = _plan(type(obj))
    try:
        obj.clean_fields(exclude=plan.exclude)
    except ValidationError as error:
        _add_errors(error, path, problems)
        return
    before = len(problems.lines)
    for name in plan.dated:
        value = getattr(obj, name)
        if isinstance(value, datetime.datetime):
            if timezone.is_naive(value):
                problems.add(f"{path}.{name}", "give the UTC offset, e.g. +00:00.")
                continue
            value = value.date()
        try:
            check_date_in_range(value, name)
        except ValidationError as error:
            _add_errors(error, path, problems)
    for name, rule in plan.text_rules:
        try:
            rule(getattr(obj, name))
        except ValidationError as error:
            _add_errors(ValidationError({name: error}), path, problems)
    if len(problems.lines) > before:
        return
    try:
        if plan.clean:
            obj.clean()
        if plan.rule:
            plan.rule(obj)
    except ValidationError as error:
        _add_errors(error, path, problems)


def _build(model, record, path, problems, **related):
    """An unsaved `model` from `record`'s fields, validated (see `_validate`). The `related`
    objects it points to are remembered and set as ids by `_create`, once they are saved:
    assigning an unsaved object costs Django checks on every row, and no rule reads them."""
    obj = model(**field_values(record, model))
    obj._archive_related = related
    if model is User:
        obj.set_unusable_password()
    _validate(obj, path, problems)
    return obj


def _find(index, value, what, path, problems):
    if value not in index:
        problems.add(path, f"no {what} {quote(value)} in the file.")
        return None
    return index[value]


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), LOOKUP_SIZE):
        yield values[start : start + LOOKUP_SIZE]


def _differences(model, wanted, stored, label):
    names = [n for n in FIELDS[model] if n not in ("created_at", "updated_at")]
    changed = [n for n in names if getattr(wanted, n) != getattr(stored, n)]
    if not changed:
        return []
    return [f"{label}: the database's {', '.join(changed)} kept"]


class _Reader:
    """Turns a checked document into validated, unsaved objects, matched against the database
    (a query per LOOKUP_SIZE names, never one per row). Problems go to `problems`; an object
    whose reference points nowhere is left out (the import is refused anyway)."""

    def __init__(self, data, problems):
        self.data = data
        self.problems = problems
        self.report_reused = Counter()
        self.differing = []

    def second(self, index, key, path, label, *values):
        """Is `key` in `index` already? Then add “a second <label>” at `path`, `label` a
        format string for `values`."""
        if key in index:
            self.problems.add(path, f"a second {label.format(*map(shown, values))}.")
            return True
        return False

    def users(self):
        wanted = {}
        for i, record in enumerate(self.data["users"]):
            path, name = f"users[{i}]", record["username"]
            user = _build(User, record, path, self.problems)
            if not self.second(wanted, name, path, "user {}", name):
                wanted[name] = user
        stored = {}
        for names in _chunks(wanted):
            stored |= User.objects.in_bulk(names, field_name="username")
        for name, user in stored.items():
            self.differing += _differences(User, wanted[name], user, f"user {name}")
        self.new_users = [user for name, user in wanted.items() if name not in stored]
        self.report_reused["users"] = len(stored)
        self.user_index = wanted | stored

    def user(self, name, path):
        return None if name is None else _find(self.user_index, name, "user", path, self.problems)

    def user_list(self, names, path):
        """The users `names` names, each once."""
        users = {}
        for i, name in enumerate(names):
            user = self.user(name, f"{path}[{i}]")
            if user is not None and not self.second(users, name, f"{path}[{i}]", "{}", name):
                users[name] = user
        return list(users.values())

    def papers(self):
        wanted, ids = {}, {"arXiv id": set(), "DOI": set()}
        for i, record in enumerate(self.data["papers"]):
            path, key = f"papers[{i}]", record["key"]
            paper = _build(Paper, record, path, self.problems)
            if self.second(wanted, key, path, "paper {}", key):
                continue
            wanted[key] = paper
            for label, value in (("arXiv id", paper.arxiv_id), ("DOI", paper.doi.lower())):
                if value and not self.second(
                    ids[label], value, path, f"paper with the {label} {{}}", value
                ):
                    ids[label].add(value)
        # Every stored paper, in one query: titles are compared folded (case, accents,
        # punctuation), which no lookup narrows; a site holds hundreds of papers, not the
        # hundreds of thousands of members that are looked up by the 900.
        matcher = Paper.objects.matcher()
        self.paper_index, self.new_papers, taken = {}, [], {}
        for key, paper in wanted.items():
            stored, _ = matcher.match(paper)
            if stored is None:
                self.new_papers.append(paper)
                self.paper_index[key] = paper
                continue
            if stored.pk in taken:
                self.problems.add(
                    None,
                    f"The papers “{taken[stored.pk]}” and “{key}” of the file are both the "
                    f"database's paper “{stored}”.",
                )
            taken.setdefault(stored.pk, key)
            self.differing += _differences(Paper, paper, stored, f"paper {key}")
            self.paper_index[key] = stored
        self.report_reused["papers"] = len(taken)

    def members(self):
        """The file's members, each named (for `member`) by its email and by its `ref`, and a
        member with neither by “” (files written before refs: one such member at most); then
        matched against the database: by email, and a member without one by `_same_walk_ins`."""
        self.member_index, by_email, walk_ins, members = {}, {}, [], []
        for i, record in enumerate(self.data["members"]):
            path = f"members[{i}]"
            user = self.user(record["user"], f"{path}.user")
            before = len(self.problems.lines)
            member = _build(Member, record, path, self.problems, user=user)
            valid = len(self.problems.lines) == before
            email, ref = record["email"].lower(), record.get("ref")
            if ref is not None and not MEMBER_REF.fullmatch(ref):
                self.problems.add(f"{path}.ref", f"{quote(ref)} is no ref: {MEMBER_REF_RULE}.")
            if email and self.second(by_email, email, path, "member with the email {}", email):
                continue
            if email or ref is not None:
                names = [email] if email else []
                label = "member with the ref {}"
                if ref is not None and not self.second(self.member_index, ref, path, label, ref):
                    names.append(ref)
            elif "" in self.member_index:
                self.problems.add(
                    path,
                    "a second member with neither an email nor a “ref”: give each a “ref”, "
                    "for enrollments and attendance to name it by.",
                )
                continue
            else:
                names = [""]
            if email:
                by_email[email] = member
            elif valid:
                walk_ins.append(member)
            members.append(member)
            self.member_index |= dict.fromkeys(names, member)

        stored = {}
        for emails in _chunks(by_email):
            found = Member.objects.annotate(email_lower=Lower("email"))
            stored |= {m.email_lower: m for m in found.filter(email_lower__in=emails)}
        same = {id(by_email[email]): member for email, member in stored.items()}
        same |= _same_walk_ins(walk_ins)
        self.new_members = []
        for member in members:
            if id(member) in same:
                label = member.email or f"{quote(member.name)} (no email)"
                self.differing += _differences(Member, member, same[id(member)], f"member {label}")
            else:
                self.new_members.append(member)
        self.report_reused["members"] = len(same)
        self.member_index = {
            name: same.get(id(member), member) for name, member in self.member_index.items()
        }

    def member(self, name, path):
        """The member an enrollment or attendance record names: by its email (any capitals),
        by its `ref`, or by “” (the one member with neither, in files written before refs)."""
        key = name.lower() if "@" in name else name
        if key in self.member_index:
            return self.member_index[key]
        if "@" in name:
            self.problems.add(path, f"no member with the email {quote(name)} in the file.")
        elif name:
            self.problems.add(path, f"no member with the ref {quote(name)} in the file.")
        else:
            self.problems.add(path, "no member without an email or a “ref” in the file.")
        return None


def _same_walk_ins(walk_ins):
    """{id(member of the file): stored member} for the members without an email that the
    database holds already: a stored member without an email, of the same name, created at the
    same microsecond (the same row, exported from this database or imported into it before).
    Only where one member of the file and one stored member have that name and time, so that
    two people are never made one. One query per LOOKUP_SIZE members."""
    identity = Counter((m.name, m.created_at) for m in walk_ins)
    unique = {(m.name, m.created_at): m for m in walk_ins if identity[m.name, m.created_at] == 1}
    found = {}
    for stamps in _chunks({created_at for _, created_at in unique}):
        for stored in Member.objects.filter(email="", created_at__in=stamps):
            found.setdefault((stored.name, stored.created_at), []).append(stored)
    return {
        id(unique[key]): stored[0]
        for key, stored in found.items()
        if key in unique and len(stored) == 1
    }


@transaction.atomic
def _import(data):
    check_header(data)
    problems = Problems()
    check_shapes(data, problems)
    problems.raise_any()
    slug = data["term"]["slug"]
    if Term.objects.filter(slug=slug).exists():
        raise refuse(
            f"This database already has a term {quote(slug)}: delete or rename it (in the "
            "admin) to restore it from the file."
        )
    reader = _Reader(data, problems)
    reader.users()
    reader.papers()
    reader.members()

    term = _build(Term, data["term"], "term", problems)
    organizers = reader.user_list(data["term"]["organizers"], "term.organizers")
    weeks = {}
    for i, r in enumerate(data["weeks"]):
        path = f"weeks[{i}]"
        week = _build(Week, r, path, problems, term=term)
        if not reader.second(weeks, r["number"], path, "week {}", r["number"]):
            weeks[r["number"]] = week

    readings = {}
    for i, r in enumerate(data["readings"]):
        path = f"readings[{i}]"
        week = _find(weeks, r["week"], "week", f"{path}.week", problems)
        paper = _find(reader.paper_index, r["paper"], "paper", f"{path}.paper", problems)
        key = (r["week"], r["paper"])
        label = "reading of {} in week {}"
        if week and paper and not reader.second(readings, key, path, label, *key[::-1]):
            readings[key] = _build(Reading, r, path, problems, week=week, paper=paper)

    sections, leads = {}, []
    for i, r in enumerate(data["sections"]):
        path = f"sections[{i}]"
        section = _build(Section, r, path, problems, term=term)
        if not reader.second(sections, r["slug"], path, "section {}", r["slug"]):
            sections[r["slug"]] = section
            leads += [(section, user) for user in reader.user_list(r["leads"], f"{path}.leads")]

    meetings = {}
    for i, r in enumerate(data["meetings"]):
        path = f"meetings[{i}]"
        section = _find(sections, r["section"], "section", f"{path}.section", problems)
        week = _find(weeks, r["week"], "week", f"{path}.week", problems)
        changed_by = reader.user(r["changed_by"], f"{path}.changed_by")
        key = (r["section"], r["week"])
        label = "meeting of section {} in week {}"
        if section and week and not reader.second(meetings, key, path, label, *key):
            meetings[key] = _build(
                Meeting, r, path, problems, section=section, week=week, changed_by=changed_by
            )

    def meeting(record, path):
        section = _find(sections, record["section"], "section", f"{path}.section", problems)
        week = _find(weeks, record["week"], "week", f"{path}.week", problems)
        key = (record["section"], record["week"])
        if section and week and key not in meetings:
            problems.add(
                path, f"no meeting of section {quote(key[0])} in week {key[1]} in the file."
            )
        return meetings.get(key)

    notes, authors, revisions = {}, [], []
    for i, r in enumerate(data["notes"]):
        path = f"notes[{i}]"
        found, key = meeting(r, path), (r["section"], r["week"])
        if found is None or reader.second(notes, key, path, "note of that meeting"):
            continue
        note = notes[key] = _build(DiscussionNote, r, path, problems, meeting=found)
        authors += [(note, user) for user in reader.user_list(r["authors"], f"{path}.authors")]
        numbers = set()
        for j, revision in enumerate(r["revisions"]):
            where = f"{path}.revisions[{j}]"
            author = reader.user(revision["author"], f"{where}.author")
            number = revision["number"]
            if not reader.second(numbers, number, where, "revision {}", number):
                numbers.add(number)
                revisions.append(
                    _build(
                        DiscussionNoteRevision, revision, where, problems, note=note, author=author
                    )
                )

    enrollments = {}
    for i, r in enumerate(data["enrollments"]):
        path = f"enrollments[{i}]"
        section = _find(sections, r["section"], "section", f"{path}.section", problems)
        member = reader.member(r["member"], f"{path}.member")
        key = (r["section"], id(member))
        label = "enrollment of {} in section {}"
        values = (r["member"], r["section"])
        if section and member and not reader.second(enrollments, key, path, label, *values):
            enrollments[key] = _build(Enrollment, r, path, problems, section=section, member=member)

    records = {}
    for i, r in enumerate(data["attendance"]):
        path = f"attendance[{i}]"
        found = meeting(r, path)
        member = reader.member(r["member"], f"{path}.member")
        recorded_by = reader.user(r["recorded_by"], f"{path}.recorded_by")
        key = (r["section"], r["week"], id(member))
        label = "record of {} at that meeting"
        if found and member and not reader.second(records, key, path, label, r["member"]):
            records[key] = _build(
                AttendanceRecord,
                r,
                path,
                problems,
                meeting=found,
                member=member,
                recorded_by=recorded_by,
            )
    problems.raise_any()

    _create(User, reader.new_users)
    _create(Paper, reader.new_papers)
    _create(Member, reader.new_members)
    _create(Term, [term])
    _create(
        Term.organizers.through,
        [Term.organizers.through(term_id=term.pk, user_id=user.pk) for user in organizers],
    )
    _create(Week, list(weeks.values()))
    _create(Reading, list(readings.values()))
    _create(Section, list(sections.values()))
    _create(
        Section.leads.through,
        [Section.leads.through(section_id=section.pk, user_id=user.pk) for section, user in leads],
    )
    _create(Meeting, list(meetings.values()))
    _create(DiscussionNote, list(notes.values()))
    _create(
        DiscussionNote.authors.through,
        [
            DiscussionNote.authors.through(discussionnote_id=note.pk, user_id=user.pk)
            for note, user in authors
        ],
    )
    _create(DiscussionNoteRevision, revisions)
    _create(Enrollment, list(enrollments.values()))
    _create(AttendanceRecord, list(records.values()))
    return ImportReport(
        term=term,
        created={
            "users": len(reader.new_users),
            "papers": len(reader.new_papers),
            "members": len(reader.new_members),
            "weeks": len(weeks),
            "readings": len(readings),
            "sections": len(sections),
            "meetings": len(meetings),
            "notes": len(notes),
            "note revisions": len(revisions),
            "enrollments": len(enrollments),
            "attendance records": len(records),
        },
        reused=dict(reader.report_reused),
        differing=reader.differing,
    )


class _AsGivenQuerySet(models.QuerySet):
    """`bulk_create` writing every value as the objects carry it, `created_at` and
    `updated_at` included (`auto_now` and `auto_now_add` would put now in their place): the raw
    insert `loaddata` makes row by row with `save(raw=True)`, here in batches. `_insert` is
    where Django's own `save()` and `bulk_create()` pass `raw`; the round-trip tests compare
    every stamp. (Setting the stamps again with `bulk_update` took minutes for 100,000 rows.)"""

    def _insert(self, *args, **kwargs):
        return super()._insert(*args, **{**kwargs, "raw": True})


def _create(model, objects):
    """Insert `objects` in batches of BATCH_SIZE rows, without signals, every value as given;
    first point their foreign keys at the (saved by now) objects `_build` was given."""
    attnames = {}
    for obj in objects:
        for name, target in getattr(obj, "_archive_related", {}).items():
            if name not in attnames:
                attnames[name] = model._meta.get_field(name).attname
            setattr(obj, attnames[name], None if target is None else target.pk)
    _AsGivenQuerySet(model).bulk_create(objects, batch_size=BATCH_SIZE)


def import_term(data) -> ImportReport:
    """Restore a term from `export_term`'s dict (e.g. from `read_term_file`), in one
    transaction, into a database that has no term with its slug. Every record is validated as
    the site's forms would validate it (see `_validate`) before anything is written; rows are
    then written in batches. Raises ValidationError (and changes nothing), its messages one
    “<where>: <what>” line per problem (at most MAX_PROBLEMS of them, then a count of the
    rest), on a file that is not a version-1 term export, a missing key or wrong type, a value
    the models or forms refuse, a name that points nowhere, a second object where one is
    allowed, or a clash with the database."""
    try:
        return _import(data)
    except (IntegrityError, DataError) as error:
        raise refuse(f"The file breaks a rule of the database ({error}).") from error
