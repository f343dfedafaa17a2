"""`export_term`: a term as a dict of plain JSON values (see the package's docstring)."""

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.duration import duration_string

from attendance.models import AttendanceRecord, Enrollment, Member
from readinggroup.term_archive.format import FIELDS, FORMAT, VERSION, User
from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting
from syllabus.models import Reading, Term


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_string(value)
    return value


def _fields(obj):
    return {name: _plain(getattr(obj, name)) for name in FIELDS[type(obj)]}


def _username(user):
    return user.username if user is not None else None


def _member_refs(members):
    """{member pk: the name enrollments and attendance use}: its email, else `m1`, `m2`, … in
    the order of `members` (see format.MAY_BE_ABSENT)."""
    refs, walk_ins = {}, 0
    for member in members:
        if member.email:
            refs[member.pk] = member.email
        else:
            walk_ins += 1
            refs[member.pk] = f"m{walk_ins}"
    return refs


def _member(member, ref):
    record = {**_fields(member), "user": _username(member.user)}
    return record if member.email else {"ref": ref, **record}


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
        .select_related("section")
        .order_by("section__slug", Lower("member__email"), "member__pk")
    )
    records = list(
        AttendanceRecord.objects.filter(meeting__section__term=term)
        .select_related("meeting__section", "meeting__week", "recorded_by")
        .order_by(
            "meeting__section__slug",
            "meeting__week__number",
            Lower("member__email"),
            "member__pk",
        )
    )

    people = [*term.organizers.all(), *(m.user for m in members)]
    people += [lead for section in sections for lead in section.leads.all()]
    people += [meeting.changed_by for meeting in meetings]
    people += [author for note in notes for author in note.authors.all()]
    people += [revision.author for note in notes for revision in note.revisions.all()]
    people += [record.recorded_by for record in records]
    users = sorted({user for user in people if user is not None}, key=lambda u: u.username)
    keys = paper_keys({reading.paper for reading in readings})
    refs = _member_refs(members)

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
        "members": [_member(member, refs[member.pk]) for member in members],
        "enrollments": [
            {"section": e.section.slug, "member": refs[e.member_id], **_fields(e)}
            for e in enrollments
        ],
        "attendance": [
            {
                "section": record.meeting.section.slug,
                "week": record.meeting.week.number,
                "member": refs[record.member_id],
                **_fields(record),
                "recorded_by": _username(record.recorded_by),
            }
            for record in records
        ],
    }
