import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.freshness import changing
from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, MeetingState, Section
from sections.signals import meeting_changed
from syllabus.models import Reading, Term, Week, check_first_monday, lay_out_weeks


@transaction.atomic
def sync_meetings(*, term: Term) -> list[Meeting]:
    """Give every section of `term` exactly one meeting per week, at the times they imply.

    Idempotent: run it after any change to the term's weeks, sections or first Monday. It creates
    missing meetings and sets every meeting's regular time and room (`scheduled_*`) from its
    section and week now. A meeting that was not moved follows its regular time; a moved one
    (`is_rescheduled`) keeps its new time. When what a calendar shows changes (time, room), the
    meeting's `sequence` rises. It never touches status, room override or public note, and never
    deletes: a week or section that goes takes its meetings with it through the foreign key,
    and cannot go while one of them holds notes or attendance (their on_delete=PROTECT).
    """
    term = Term.objects.get(pk=term.pk)  # fresh dates and time zone
    weeks = list(Week.objects.filter(term=term))
    sections = list(Section.objects.filter(term=term))
    for week in weeks:
        week.term = term
    for section in sections:
        section.term = term
    existing = {(m.section_id, m.week_id): m for m in Meeting.objects.filter(section__term=term)}
    now = timezone.now()
    to_create, to_update = [], []
    for section in sections:
        for week in weeks:
            times = section.local_times(week)
            starts_at, ends_at = times if times else (None, None)
            meeting = existing.get((section.pk, week.pk))
            if meeting is None:
                to_create.append(
                    Meeting(
                        section=section,
                        week=week,
                        scheduled_starts_at=starts_at,
                        scheduled_ends_at=ends_at,
                        scheduled_room=section.room,
                        starts_at=starts_at,
                        ends_at=ends_at,
                    )
                )
            elif _follow_section(meeting, starts_at, ends_at, section.room):
                meeting.updated_at = now
                to_update.append(meeting)
    Meeting.objects.bulk_create(to_create)
    Meeting.objects.bulk_update(
        to_update,
        [
            "scheduled_starts_at",
            "scheduled_ends_at",
            "scheduled_room",
            "starts_at",
            "ends_at",
            "sequence",
            "updated_at",
        ],
    )
    return Meeting.objects.filter(section__term=term)


def _follow_section(meeting, starts_at, ends_at, room):
    """Bring `meeting`'s regular time and room up to date; True if anything changed."""
    regular = (meeting.scheduled_starts_at, meeting.scheduled_ends_at, meeting.scheduled_room)
    if regular == (starts_at, ends_at, room) and (
        meeting.is_rescheduled or (meeting.starts_at, meeting.ends_at) == (starts_at, ends_at)
    ):
        return False
    shown_before = (meeting.starts_at, meeting.ends_at, meeting.room)
    meeting.scheduled_starts_at, meeting.scheduled_ends_at = starts_at, ends_at
    meeting.scheduled_room = room
    if not meeting.is_rescheduled:
        meeting.starts_at, meeting.ends_at = starts_at, ends_at
    if (meeting.starts_at, meeting.ends_at, meeting.room) != shown_before:
        meeting.sequence += 1
    return True


def _lock(meeting):
    """The meeting's row, locked until the transaction ends, with its section, term and week.

    The data version is taken first (core/freshness.py), as every writer takes it, so that two
    transactions never wait for each other's locks in opposite orders."""
    changing()
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("section__term", "week")
        .get(pk=meeting.pk)
    )


def _record_change(meeting, *, before: MeetingState, by, notify: bool, fields):
    """Save a change a calendar shows: raise SEQUENCE, stamp when and by whom (row is locked);
    then tell the apps above (`meeting_changed`, sections/signals.py), in this transaction."""
    meeting.sequence += 1
    meeting.changed_at = timezone.now()
    meeting.changed_by = by if by is not None and by.is_authenticated else None
    meeting.save(update_fields=[*fields, "sequence", "changed_at", "changed_by", "updated_at"])
    meeting_changed.send(
        sender=Meeting,
        meeting=meeting,
        before=before,
        after=meeting.state(),
        by=meeting.changed_by,
        notify=notify,
    )
    return meeting


@transaction.atomic
def cancel_meeting(*, meeting: Meeting, reason: str, by, notify: bool = True) -> Meeting:
    """Cancel `meeting` with a public reason (“No meeting: Veterans Day”).

    `notify=False`: its members are not emailed about this change (sections/signals.py)."""
    meeting = _lock(meeting)
    before = meeting.state()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError("Say why, for the members.", code="required")}
        )
    if meeting.is_cancelled:
        raise ValidationError("This meeting is already cancelled.", code="already_cancelled")
    meeting.status = Meeting.Status.CANCELLED
    meeting.public_note = reason
    return _record_change(
        meeting, before=before, by=by, notify=notify, fields=["status", "public_note"]
    )


@transaction.atomic
def move_meeting(
    *,
    meeting: Meeting,
    date: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    room: str,
    by,
    note: str = "",
    notify: bool = True,
) -> Meeting:
    """Move `meeting` to another date, time or room; times are local to the term's time zone.

    An empty `room` means the section's own room. The sync keeps the new time from now on.
    `notify=False`: its members are not emailed about this change.
    """
    meeting = _lock(meeting)
    before = meeting.state()
    tz = meeting.section.term.tz
    starts_at = datetime.datetime.combine(date, start_time, tzinfo=tz)
    ends_at = datetime.datetime.combine(date, end_time, tzinfo=tz)
    room = (room or "").strip()
    meeting.check_move(starts_at=starts_at, ends_at=ends_at, room=room or meeting.scheduled_room)
    regular = (meeting.scheduled_starts_at, meeting.scheduled_ends_at)
    meeting.starts_at, meeting.ends_at = starts_at, ends_at
    meeting.is_rescheduled = (starts_at, ends_at) != regular
    meeting.room_override = "" if room == meeting.scheduled_room else room
    meeting.public_note = note.strip()
    return _record_change(
        meeting,
        before=before,
        by=by,
        notify=notify,
        fields=["starts_at", "ends_at", "is_rescheduled", "room_override", "public_note"],
    )


@transaction.atomic
def restore_meeting(*, meeting: Meeting, by, notify: bool = True) -> Meeting:
    """Undo cancellations and moves: back to the regular time and room, no public note.

    `notify=False`: its members are not emailed about this change."""
    meeting = _lock(meeting)
    before = meeting.state()
    if not meeting.is_cancelled and not meeting.is_moved and not meeting.is_rescheduled:
        raise ValidationError(
            "This meeting is already at its regular time and room.", code="unchanged"
        )
    meeting.status = Meeting.Status.SCHEDULED
    meeting.starts_at, meeting.ends_at = meeting.scheduled_starts_at, meeting.scheduled_ends_at
    meeting.is_rescheduled = False
    meeting.room_override = ""
    meeting.public_note = ""
    return _record_change(
        meeting,
        before=before,
        by=by,
        notify=notify,
        fields=["status", "starts_at", "ends_at", "is_rescheduled", "room_override", "public_note"],
    )


@transaction.atomic
def copy_term(
    *,
    term: Term,
    name: str,
    slug: str,
    first_monday: datetime.date,
    skip_weeks: list[datetime.date] | tuple = (),
) -> Term:
    """Start a new, unpublished term from `term`: its weeks, readings and sections with their
    leads, moved to `first_monday`, and their meetings (made by the sync). Meeting changes,
    notes and attendance belong to the old term's meetings and are not copied.

    `skip_weeks`: Mondays of calendar weeks without a meeting (holidays). The week that would
    fall there, and every later one, moves on a week (`syllabus.models.lay_out_weeks`); the
    weeks that moved keep their dates as overrides, so weeks, meetings and calendars agree."""
    errors = {}
    if Term.objects.filter(slug=slug).exists():
        errors["slug"] = ValidationError(
            "A term with the slug “%(slug)s” already exists.", code="unique", params={"slug": slug}
        )
    try:
        check_first_monday(first_monday)
    except ValidationError as error:
        errors.update(error.error_dict)
    if any(day.weekday() != 0 or day < first_monday for day in skip_weeks):
        errors["skip_weeks"] = ValidationError(
            "Weeks to skip are Mondays on or after the first Monday.", code="not_a_week"
        )
    if errors:
        raise ValidationError(errors)

    new_term = Term.objects.create(
        name=name,
        slug=slug,
        title=term.title,
        institution=term.institution,
        place=term.place,
        intro=term.intro,
        format_note=term.format_note,
        reading_list_note=term.reading_list_note,
        supporters=term.supporters,
        first_monday=first_monday,
        time_zone=term.time_zone,
        reminder_hour=term.reminder_hour,
        checkin_opens_before=term.checkin_opens_before,
        late_after=term.late_after,
        is_published=False,
    )
    new_term.organizers.set(term.organizers.all())

    # bulk_create sends no post_save signals: one sync at the end makes every meeting.
    old_weeks = list(term.weeks.order_by("number"))
    laid_out = lay_out_weeks(
        old_weeks, from_monday=term.first_monday, to_monday=first_monday, skipped=skip_weeks
    )
    new_weeks = Week.objects.bulk_create(
        Week(
            term=new_term,
            number=week.number,
            title=week.title,
            tagline=week.tagline,
            summary=week.summary,
            # Only a week that does not start where the first Monday puts it has an override.
            starts_on_override=(
                None if start == first_monday + datetime.timedelta(weeks=week.number - 1) else start
            ),
        )
        for week, start in laid_out
    )
    week_for = {old.pk: new for old, new in zip(old_weeks, new_weeks, strict=True)}
    Reading.objects.bulk_create(
        Reading(
            week=week_for[reading.week_id],
            paper_id=reading.paper_id,
            kind=reading.kind,
            order=reading.order,
            note=reading.note,
        )
        for reading in Reading.objects.filter(week__term=term)
    )
    old_sections = list(term.sections.prefetch_related("leads"))
    new_sections = Section.objects.bulk_create(
        Section(
            term=new_term,
            name=section.name,
            slug=section.slug,
            weekday=section.weekday,
            start_time=section.start_time,
            end_time=section.end_time,
            room=section.room,
            capacity=section.capacity,
        )
        for section in old_sections
    )
    Leads = Section.leads.through
    Leads.objects.bulk_create(
        Leads(section_id=new.pk, user_id=lead.pk)
        for old, new in zip(old_sections, new_sections, strict=True)
        for lead in old.leads.all()
    )
    sync_meetings(term=new_term)
    return new_term


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
    changing()  # the data version's lock first, as in _lock()
    note = DiscussionNote.objects.select_for_update().get(pk=revision.note_id)
    return save_note(
        meeting=note.meeting,
        body=revision.body,
        status=note.status,
        author=author,
        expected_version=note.version,
        restored_from=revision.number,
    )
