from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section
from syllabus.models import Term, Week


@transaction.atomic
def sync_meetings(*, term: Term) -> list[Meeting]:
    """Give every section of `term` exactly one meeting per week, at the times they imply.

    Idempotent: run it after any change to the term's weeks, sections or first Monday. It creates
    missing meetings and moves existing ones to the date and time their section and week give
    now; it never touches status, room override or public note, and never deletes (a week or
    section that goes takes its meetings with it through the foreign key).
    """
    term = Term.objects.get(pk=term.pk)  # fresh dates and time zone
    weeks = list(Week.objects.filter(term=term))
    sections = list(Section.objects.filter(term=term))
    for week in weeks:
        week.term = term
    for section in sections:
        section.term = term
    existing = {(m.section_id, m.week_id): m for m in Meeting.objects.filter(section__term=term)}
    to_create, to_update = [], []
    for section in sections:
        for week in weeks:
            times = section.local_times(week)
            starts_at, ends_at = times if times else (None, None)
            meeting = existing.get((section.pk, week.pk))
            if meeting is None:
                to_create.append(
                    Meeting(section=section, week=week, starts_at=starts_at, ends_at=ends_at)
                )
            elif meeting.starts_at != starts_at or meeting.ends_at != ends_at:
                meeting.starts_at, meeting.ends_at = starts_at, ends_at
                to_update.append(meeting)
    Meeting.objects.bulk_create(to_create)
    Meeting.objects.bulk_update(to_update, ["starts_at", "ends_at"])
    return Meeting.objects.filter(section__term=term)


class NoteConflictError(ValidationError):
    """Someone saved the note since the editor loaded it; `current` is their version."""

    def __init__(self, *, current: DiscussionNote, expected_version: int):
        self.current = current
        super().__init__(
            "Version %(version)s of these notes was saved by someone else while you were "
            "editing version %(expected)s. Nothing was saved: your text is still in the form "
            "and theirs is shown beside it; merge the two and save again.",
            code="note_conflict",
            params={"version": current.version, "expected": expected_version},
        )


@transaction.atomic
def save_note(
    *,
    meeting: Meeting,
    body: str,
    status: str,
    author,
    expected_version: int,
    restored_from: int | None = None,
) -> DiscussionNote:
    """Save `meeting`'s notes as a new revision, if nobody saved since `expected_version`.

    The version check and bump are one conditional UPDATE, so of two leads saving the same
    version at once exactly one wins and the other gets `NoteConflictError` (nothing a lead
    wrote is lost: the loser's text stays in their form). A save that changes neither text nor
    status makes no new revision.
    """
    note, _ = DiscussionNote.objects.get_or_create(meeting=meeting)
    if note.version == expected_version and note.body == body and note.status == status:
        return note
    new_version = expected_version + 1
    won = DiscussionNote.objects.filter(pk=note.pk, version=expected_version).update(
        body=body, status=status, version=new_version, updated_at=timezone.now()
    )
    if not won:
        raise NoteConflictError(
            current=DiscussionNote.objects.get(pk=note.pk), expected_version=expected_version
        )
    note.refresh_from_db()
    DiscussionNoteRevision.objects.create(
        note=note,
        number=new_version,
        body=body,
        status=status,
        author=author,
        restored_from=restored_from,
    )
    if author is not None:
        note.authors.add(author)
    return note


@transaction.atomic
def restore_revision(*, revision: DiscussionNoteRevision, author) -> DiscussionNote:
    """Bring back `revision`'s text as the note's newest revision (its status stays as it is:
    restoring never publishes or unpublishes). Every later version stays in the history."""
    note = DiscussionNote.objects.select_for_update().get(pk=revision.note_id)
    return save_note(
        meeting=note.meeting,
        body=revision.body,
        status=note.status,
        author=author,
        expected_version=note.version,
        restored_from=revision.number,
    )
