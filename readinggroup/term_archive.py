"""A whole term as one JSON document, and back: backups that lose nothing.

`export_term(term)` gives a dict of plain JSON values; `import_term(data)` restores such a dict
into a database that does not hold the term yet, in one transaction, or raises ValidationError
and changes nothing. The file names things by what they are (term and section slugs, week
numbers, usernames, member emails, paper keys), never by database ids, so it can go into any
database. Dates, times and date-times are ISO 8601 text, date-times in UTC to the microsecond.

Version 1 of the format holds, besides `format`, `version` and `exported_at`:

- `term`: its fields and `organizers` (usernames);
- `users`: every user the term names (organizers, leads, note authors, whoever changed a meeting
  or recorded attendance, members' accounts): username, names and email, never a password;
- `papers`: the papers its readings use, each with a `key` the readings refer to (`arXiv:<id>`,
  else `doi:<doi>`, else the title);
- `weeks`, `readings` (`week` number, `paper` key), `sections` (`leads` usernames);
- `meetings` (`section` slug, `week` number, every field: regular and actual times, status,
  public note, SEQUENCE, who changed it and when);
- `notes` (per meeting, with `authors` and every revision under `revisions`);
- `members` (everyone enrolled in or attending its sections, by email), `enrollments` and
  `attendance` (`section`, `week`, `member` email, `recorded_by` username).

Import reuses what the database already has, unchanged: a user with the same username, a member
with the same email (any capitals), a paper with the same arXiv id, else the same DOI (any
capitals), else, for a paper with neither, the same title, authors and year. Users it creates
get an unusable password (and no staff flag or group). It refuses a term whose slug exists.
Rows are bulk-created, so no `post_save` receiver runs the meeting sync: meetings are written
exactly as exported (the page cache sees the new rows by itself: core/freshness.py).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.db.models.functions import Lower
from django.utils import timezone

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
        "intro",
        "format_note",
        "reading_list_note",
        "supporters",
        "first_monday",
        "time_zone",
        "is_published",
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

NONE = type(None)
TEXT, NUMBER, LIST = (str,), (int,), (list,)
OPTIONAL_TEXT = (str, NONE)

# The other keys of each record, naming related objects, and their JSON types.
REFERENCES = {
    User: {},
    Term: {"organizers": LIST},
    Paper: {"key": TEXT},
    Week: {},
    Reading: {"week": NUMBER, "paper": TEXT},
    Section: {"leads": LIST},
    Meeting: {"section": TEXT, "week": NUMBER, "changed_by": OPTIONAL_TEXT},
    DiscussionNote: {"section": TEXT, "week": NUMBER, "authors": LIST, "revisions": LIST},
    DiscussionNoteRevision: {"author": OPTIONAL_TEXT},
    Member: {"user": OPTIONAL_TEXT},
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


# Export ------------------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def _fields(obj):
    return {name: _plain(getattr(obj, name)) for name in FIELDS[type(obj)]}


def _username(user):
    return user.username if user is not None else None


def paper_keys(papers):
    """{paper: key}: `arXiv:<id>`, else `doi:<doi>`, else the title, numbered when taken."""
    keys, taken = {}, set()
    for paper in sorted(papers, key=lambda p: p.pk):
        if paper.arxiv_id:
            base = f"arXiv:{paper.arxiv_id}"
        else:
            base = f"doi:{paper.doi}" if paper.doi else paper.title
        key, count = base, 1
        while key in taken:
            count += 1
            key = f"{base} ({count})"
        keys[paper] = key
        taken.add(key)
    return keys


@transaction.atomic
def export_term(term: Term) -> dict:
    """Everything of `term` as a dict of JSON values (see the module's docstring). 13 queries,
    however large the term."""
    by_username = User.objects.order_by("username")
    term = Term.objects.prefetch_related(Prefetch("organizers", queryset=by_username)).get(
        pk=term.pk
    )
    weeks = list(term.weeks.order_by("number"))
    readings = list(Reading.objects.for_term(term).select_related("week"))
    sections = list(
        term.sections.prefetch_related(Prefetch("leads", queryset=by_username)).order_by("slug")
    )
    meetings = list(
        Meeting.objects.for_term(term)
        .select_related("section", "week", "changed_by")
        .order_by("section__slug", "week__number")
    )
    notes = list(
        DiscussionNote.objects.filter(meeting__section__term=term)
        .select_related("meeting__section", "meeting__week")
        .prefetch_related(
            Prefetch("authors", queryset=by_username),
            Prefetch(
                "revisions",
                queryset=DiscussionNoteRevision.objects.select_related("author").order_by("number"),
            ),
        )
        .order_by("meeting__section__slug", "meeting__week__number")
    )
    members = list(
        Member.objects.filter(
            Exists(Enrollment.objects.filter(member=OuterRef("pk"), section__term=term))
            | Exists(
                AttendanceRecord.objects.filter(member=OuterRef("pk"), meeting__section__term=term)
            )
        )
        .select_related("user")
        .order_by(Lower("email"), "pk")
    )
    enrollments = list(
        Enrollment.objects.filter(section__term=term)
        .select_related("section", "member")
        .order_by("section__slug", Lower("member__email"))
    )
    records = list(
        AttendanceRecord.objects.filter(meeting__section__term=term)
        .select_related("meeting__section", "meeting__week", "member", "recorded_by")
        .order_by("meeting__section__slug", "meeting__week__number", Lower("member__email"))
    )

    people = [*term.organizers.all(), *(m.user for m in members)]
    people += [lead for section in sections for lead in section.leads.all()]
    people += [meeting.changed_by for meeting in meetings]
    people += [author for note in notes for author in note.authors.all()]
    people += [revision.author for note in notes for revision in note.revisions.all()]
    people += [record.recorded_by for record in records]
    users = sorted({user for user in people if user is not None}, key=lambda u: u.username)
    keys = paper_keys({reading.paper for reading in readings})

    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _plain(timezone.now()),
        "term": {
            **_fields(term),
            "organizers": [user.username for user in term.organizers.all()],
        },
        "users": [_fields(user) for user in users],
        "papers": [
            {"key": key, **_fields(paper)}
            for paper, key in sorted(keys.items(), key=lambda item: item[1])
        ],
        "weeks": [_fields(week) for week in weeks],
        "readings": [
            {"week": r.week.number, "paper": keys[r.paper], **_fields(r)} for r in readings
        ],
        "sections": [
            {**_fields(section), "leads": [lead.username for lead in section.leads.all()]}
            for section in sections
        ],
        "meetings": [
            {
                "section": meeting.section.slug,
                "week": meeting.week.number,
                **_fields(meeting),
                "changed_by": _username(meeting.changed_by),
            }
            for meeting in meetings
        ],
        "notes": [
            {
                "section": note.meeting.section.slug,
                "week": note.meeting.week.number,
                **_fields(note),
                "authors": [author.username for author in note.authors.all()],
                "revisions": [
                    {**_fields(revision), "author": _username(revision.author)}
                    for revision in note.revisions.all()
                ],
            }
            for note in notes
        ],
        "members": [{**_fields(member), "user": _username(member.user)} for member in members],
        "enrollments": [
            {"section": e.section.slug, "member": e.member.email, **_fields(e)} for e in enrollments
        ],
        "attendance": [
            {
                "section": record.meeting.section.slug,
                "week": record.meeting.week.number,
                "member": record.member.email,
                **_fields(record),
                "recorded_by": _username(record.recorded_by),
            }
            for record in records
        ],
    }


# Import ------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What `import_term` did: the new term, how many rows it created of each kind, what it
    took from the database as it was, and which of those differ from the file."""

    term: Term
    created: dict[str, int] = field(default_factory=dict)
    reused: dict[str, int] = field(default_factory=dict)
    differing: list[str] = field(default_factory=list)


def _refuse(message):
    return ValidationError(message, code="refused")


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


def _expect(value, types, path):
    # `type() in` and not isinstance: true is no whole number, 1.0 no string.
    if type(value) not in types:
        wanted = " or ".join(_json_type(example) for example in _examples(types))
        raise _refuse(f"{path}: expected {wanted}, found {_json_type(value)}.")
    return value


def _examples(types):
    return [{dict: {}, list: [], str: "", int: 0, bool: True, NONE: None}[t] for t in types]


def _record(value, model, path):
    """`value`, checked to be an object with exactly the keys of a `model` record, each of its
    JSON type."""
    _expect(value, (dict,), path)
    spec = {name: _model_types(model._meta.get_field(name)) for name in FIELDS[model]}
    spec |= REFERENCES[model]
    missing = [key for key in spec if key not in value]
    if missing:
        raise _refuse(f"{path}: missing {', '.join(f'“{key}”' for key in missing)}.")
    unknown = sorted(key for key in value if key not in spec)
    if unknown:
        raise _refuse(f"{path}: unexpected {', '.join(f'“{key}”' for key in unknown)}.")
    for key, types in spec.items():
        _expect(value[key], types, f"{path}.{key}")
    return value


def _build(model, record, path, **related):
    """An unsaved `model` from `record`'s fields and `related` objects, validated field by
    field (lengths, choices, formats) as a form would."""
    obj = model(**{name: record[name] for name in FIELDS[model]}, **related)
    if model is User:
        obj.set_unusable_password()
    relations = [f.name for f in model._meta.fields if f.is_relation]
    try:
        obj.clean_fields(exclude=relations)
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise _refuse(f"{path}.{name}: {messages[0]}") from error
    for model_field in model._meta.concrete_fields:
        value = getattr(obj, model_field.attname)
        if isinstance(value, datetime.datetime) and timezone.is_naive(value):
            raise _refuse(f"{path}.{model_field.name}: give the UTC offset, e.g. +00:00.")
    return obj


def _index(objects, key, label, path):
    """{key(obj): obj}, refusing two objects with the same key; `label(key)` names one."""
    index = {}
    for position, obj in enumerate(objects):
        value = key(obj)
        if value in index:
            raise _refuse(f"{path}[{position}]: a second {label(value)}.")
        index[value] = obj
    return index


def _find(index, value, what, path):
    if value not in index:
        raise _refuse(f"{path}: no {what} “{value}” in the file.")
    return index[value]


def _header(data):
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _refuse(f"This is not a readinggroup term export (no “format”: “{FORMAT}”).")
    version = data.get("version")
    if type(version) is not int:
        raise _refuse(f"The file has no version number (“version”: {VERSION}).")
    if version != VERSION:
        raise _refuse(
            f"This file is version {version} of the term export format; "
            f"this site reads version {VERSION}."
        )
    missing = [key for key in TOP_LEVEL if key not in data]
    if missing:
        raise _refuse(f"The file has no {', '.join(f'“{key}”' for key in missing)}.")
    unknown = sorted(key for key in data if key not in TOP_LEVEL)
    if unknown:
        raise _refuse(f"The file has unexpected {', '.join(f'“{key}”' for key in unknown)}.")
    for name, model in LISTS.items():
        for position, item in enumerate(_expect(data[name], LIST, name)):
            _record(item, model, f"{name}[{position}]")
    _record(data["term"], Term, "term")


def _differences(model, wanted, stored, label):
    names = [n for n in FIELDS[model] if n not in ("created_at", "updated_at")]
    changed = [n for n in names if getattr(wanted, n) != getattr(stored, n)]
    if not changed:
        return []
    return [f"{label}: the database's {', '.join(changed)} kept"]


class _Reader:
    """Turns a checked document into unsaved objects, matched against the database."""

    def __init__(self, data):
        self.data = data
        self.report_reused = Counter()
        self.differing = []

    def users(self):
        records = self.data["users"]
        wanted = [_build(User, r, f"users[{i}]") for i, r in enumerate(records)]
        wanted = _index(wanted, lambda u: u.username, lambda n: f"user “{n}”", "users")
        stored = User.objects.in_bulk(list(wanted), field_name="username")
        for name, user in stored.items():
            self.differing += _differences(User, wanted[name], user, f"user {name}")
        self.new_users = [user for name, user in wanted.items() if name not in stored]
        self.report_reused["users"] = len(stored)
        self.user_index = wanted | stored

    def user(self, name, path):
        return None if name is None else _find(self.user_index, name, "user", path)

    def user_list(self, names, path):
        return [
            self.user(_expect(n, TEXT, f"{path}[{i}]"), f"{path}[{i}]") for i, n in enumerate(names)
        ]

    def papers(self):
        records = self.data["papers"]
        wanted = [_build(Paper, r, f"papers[{i}]") for i, r in enumerate(records)]
        keys = _index(records, lambda r: r["key"], lambda k: f"paper “{k}”", "papers")
        by_key = dict(zip(keys, wanted, strict=True))
        by_arxiv = {
            p.arxiv_id: p
            for p in Paper.objects.filter(arxiv_id__in=[p.arxiv_id for p in wanted if p.arxiv_id])
        }
        by_doi = {
            p.doi.lower(): p
            for p in Paper.objects.exclude(doi="")
            .annotate(doi_lower=Lower("doi"))
            .filter(doi_lower__in=[p.doi.lower() for p in wanted if p.doi])
        }
        plain = Paper.objects.filter(
            arxiv_id="", doi="", title__in=[p.title for p in wanted if not p.arxiv_id and not p.doi]
        )
        by_title = {(p.title, p.authors, p.year): p for p in plain.order_by("-pk")}
        self.paper_index, self.new_papers, taken = {}, [], {}
        for key, paper in by_key.items():
            if paper.arxiv_id or paper.doi:
                stored = by_arxiv.get(paper.arxiv_id) or by_doi.get(paper.doi.lower())
            else:
                stored = by_title.get((paper.title, paper.authors, paper.year))
            if stored is None:
                self.new_papers.append(paper)
                self.paper_index[key] = paper
                continue
            if stored.pk in taken:
                raise _refuse(
                    f"The papers “{taken[stored.pk]}” and “{key}” of the file are both the "
                    f"database's paper “{stored}”."
                )
            taken[stored.pk] = key
            self.differing += _differences(Paper, paper, stored, f"paper {key}")
            self.paper_index[key] = stored
        self.report_reused["papers"] = len(taken)

    def members(self):
        self.new_members, self.member_index = [], {}
        records = self.data["members"]
        wanted = [
            _build(Member, r, f"members[{i}]", user=self.user(r["user"], f"members[{i}].user"))
            for i, r in enumerate(records)
        ]
        wanted = _index(
            wanted, lambda m: m.email.lower(), lambda e: f"member with the email “{e}”", "members"
        )
        stored = {
            m.email_lower: m
            for m in Member.objects.annotate(email_lower=Lower("email")).filter(
                email_lower__in=list(wanted)
            )
        }
        for email, member in wanted.items():
            if email in stored:
                self.differing += _differences(
                    Member, member, stored[email], f"member {member.email}"
                )
            else:
                self.new_members.append(member)
        self.report_reused["members"] = len(stored)
        self.member_index = wanted | stored

    def member(self, email, path):
        if email.lower() not in self.member_index:
            raise _refuse(f"{path}: no member with the email “{email}” in the file.")
        return self.member_index[email.lower()]


@transaction.atomic
def _import(data):
    _header(data)
    slug = data["term"]["slug"]
    if Term.objects.filter(slug=slug).exists():
        raise _refuse(
            f"This database already has a term “{slug}”: delete or rename it (in the admin) "
            "to restore it from the file."
        )
    reader = _Reader(data)
    reader.users()
    reader.papers()
    reader.members()

    term = _build(Term, data["term"], "term")
    organizers = reader.user_list(data["term"]["organizers"], "term.organizers")
    weeks = _index(
        [_build(Week, r, f"weeks[{i}]", term=term) for i, r in enumerate(data["weeks"])],
        lambda week: week.number,
        lambda number: f"week {number}",
        "weeks",
    )
    readings = [
        _build(
            Reading,
            r,
            f"readings[{i}]",
            week=_find(weeks, r["week"], "week", f"readings[{i}].week"),
            paper=_find(reader.paper_index, r["paper"], "paper", f"readings[{i}].paper"),
        )
        for i, r in enumerate(data["readings"])
    ]
    sections = _index(
        [_build(Section, r, f"sections[{i}]", term=term) for i, r in enumerate(data["sections"])],
        lambda section: section.slug,
        lambda slug: f"section “{slug}”",
        "sections",
    )
    leads = [
        (section, reader.user_list(r["leads"], f"sections[{i}].leads"))
        for i, (section, r) in enumerate(zip(sections.values(), data["sections"], strict=True))
    ]

    meetings = {}
    for i, r in enumerate(data["meetings"]):
        path = f"meetings[{i}]"
        section = _find(sections, r["section"], "section", f"{path}.section")
        week = _find(weeks, r["week"], "week", f"{path}.week")
        if (section.slug, week.number) in meetings:
            raise _refuse(
                f"{path}: a second meeting of section “{section.slug}” in week {week.number}."
            )
        changed_by = reader.user(r["changed_by"], f"{path}.changed_by")
        meetings[section.slug, week.number] = _build(
            Meeting, r, path, section=section, week=week, changed_by=changed_by
        )

    def meeting(record, path):
        _find(sections, record["section"], "section", f"{path}.section")
        _find(weeks, record["week"], "week", f"{path}.week")
        key = (record["section"], record["week"])
        if key not in meetings:
            raise _refuse(f"{path}: no meeting of section “{key[0]}” in week {key[1]} in the file.")
        return meetings[key]

    notes, authors, revisions = {}, [], []
    for i, r in enumerate(data["notes"]):
        path = f"notes[{i}]"
        note = _build(DiscussionNote, r, path, meeting=meeting(r, path))
        if (r["section"], r["week"]) in notes:
            raise _refuse(f"{path}: a second note of that meeting.")
        notes[r["section"], r["week"]] = note
        authors += [(note, user) for user in reader.user_list(r["authors"], f"{path}.authors")]
        for j, revision in enumerate(r["revisions"]):
            where = f"{path}.revisions[{j}]"
            _record(revision, DiscussionNoteRevision, where)
            author = reader.user(revision["author"], f"{where}.author")
            revisions.append(
                _build(DiscussionNoteRevision, revision, where, note=note, author=author)
            )
    enrollments = [
        _build(
            Enrollment,
            r,
            f"enrollments[{i}]",
            section=_find(sections, r["section"], "section", f"enrollments[{i}].section"),
            member=reader.member(r["member"], f"enrollments[{i}].member"),
        )
        for i, r in enumerate(data["enrollments"])
    ]
    records = [
        _build(
            AttendanceRecord,
            r,
            f"attendance[{i}]",
            meeting=meeting(r, f"attendance[{i}]"),
            member=reader.member(r["member"], f"attendance[{i}].member"),
            recorded_by=reader.user(r["recorded_by"], f"attendance[{i}].recorded_by"),
        )
        for i, r in enumerate(data["attendance"])
    ]

    User.objects.bulk_create(reader.new_users)
    _create(Paper, reader.new_papers)
    _create(Member, reader.new_members)
    _create(Term, [term])
    Term.organizers.through.objects.bulk_create(
        Term.organizers.through(term=term, user=user) for user in organizers
    )
    _create(Week, list(weeks.values()))
    _create(Reading, readings)
    _create(Section, list(sections.values()))
    Section.leads.through.objects.bulk_create(
        Section.leads.through(section=section, user=user)
        for section, users in leads
        for user in users
    )
    _create(Meeting, list(meetings.values()))
    _create(DiscussionNote, list(notes.values()))
    DiscussionNote.authors.through.objects.bulk_create(
        DiscussionNote.authors.through(discussionnote=note, user=user) for note, user in authors
    )
    _create(DiscussionNoteRevision, revisions)
    _create(Enrollment, enrollments)
    _create(AttendanceRecord, records)
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


def _create(model, objects):
    """Insert `objects` without signals, keeping the `created_at`/`updated_at` they carry
    (which `auto_now` and `auto_now_add` would replace by now)."""
    stamped = [
        f.attname
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    kept = [[getattr(obj, name) for name in stamped] for obj in objects]
    model.objects.bulk_create(objects)
    if stamped and objects:
        for obj, values in zip(objects, kept, strict=True):
            for name, value in zip(stamped, values, strict=True):
                setattr(obj, name, value)
        model.objects.bulk_update(objects, stamped)


def import_term(data) -> ImportReport:
    """Restore a term from `export_term`'s dict, in one transaction, into a database that has no
    term with its slug. Raises ValidationError (and changes nothing) on a file that is not a
    version-1 term export, a missing key or wrong type, a value the models refuse, a name that
    points nowhere, or a clash with the database."""
    try:
        return _import(data)
    except IntegrityError as error:
        raise _refuse(f"The file breaks a rule of the database ({error}).") from error
