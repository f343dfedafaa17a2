"""Writes of the attendance app: a roster save and a walk-in, each one transaction."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from attendance.models import AttendanceRecord, Enrollment, Member
from sections.models import Meeting


@dataclass(frozen=True)
class Entry:
    """One roster line as the lead left it: a status (or "" for not marked) and a remark."""

    member_id: int
    status: str
    remark: str = ""


@dataclass(frozen=True)
class WalkIn:
    name: str
    email: str
    status: str = AttendanceRecord.Status.PRESENT
    remark: str = ""
    affiliation: str = ""


@dataclass
class RosterSave:
    version: int
    changed: list[AttendanceRecord] = field(default_factory=list)
    walk_in: Member | None = None


class RosterConflict(ValidationError):
    """Another save changed the roster since the form was loaded at `expected_version`."""

    def __init__(self, *, version, changes):
        super().__init__(
            "Someone else saved this roster while you were editing it.", code="conflict"
        )
        self.version = version
        self.changes = changes


@transaction.atomic
def add_walk_in(*, section, name, email, affiliation="") -> Member:
    """The member with `email` (matched whatever its capitalisation), or a new one, enrolled
    in `section`. An existing member keeps their name: emails identify people, names vary."""
    email = email.strip()
    member = Member.objects.find_by_email(email)
    if member is None:
        member = Member(name=name.strip(), email=email, affiliation=affiliation.strip())
        member.full_clean()
        member.save()
    Enrollment.objects.bulk_create(
        [Enrollment(member=member, section=section)], ignore_conflicts=True
    )
    return member


@transaction.atomic
def record_attendance(
    *, meeting, entries, recorded_by, expected_version, walk_in=None
) -> RosterSave:
    """Write a meeting's roster as the lead left it, in one transaction with bulk writes.

    `entries` are `Entry`s of members on the section's roster; unmarked ones ("") are left as
    they are. `expected_version` is the roster version the form was loaded at: if another save
    changed the roster since, nothing is written and `RosterConflict` says what changed. The
    meeting's row is locked for the duration, so two saves of one roster run one after the
    other (on PostgreSQL; SQLite serialises writers anyway) and the records' unique
    (meeting, member) constraint means a record is never duplicated.
    """
    meeting = (
        Meeting.objects.select_for_update(of=("self",)).select_related("section").get(pk=meeting.pk)
    )
    if meeting.is_cancelled:
        raise ValidationError(
            "This meeting was cancelled: attendance cannot be recorded.", code="cancelled"
        )
    entries = list(entries)
    new_member = None
    if walk_in is not None:
        new_member = add_walk_in(
            section=meeting.section,
            name=walk_in.name,
            email=walk_in.email,
            affiliation=walk_in.affiliation,
        )
        entries = [e for e in entries if e.member_id != new_member.pk]
        entries.append(Entry(new_member.pk, walk_in.status, walk_in.remark))

    roster = {
        member.pk: member
        for member in Member.objects.on_roster_of(meeting.section).with_record_for(meeting)
    }
    current_version = max((m.saved_version or 0 for m in roster.values()), default=0)
    if current_version != expected_version:
        raise RosterConflict(
            version=current_version,
            changes=list(AttendanceRecord.objects.changed_since(meeting, expected_version)),
        )

    statuses = set(AttendanceRecord.Status.values)
    version = current_version + 1
    now = timezone.now()
    changed, errors = [], []
    for entry in entries:
        member = roster.get(entry.member_id)
        if member is None:
            errors.append(
                ValidationError(
                    "Member %(id)s is not on this section's roster.",
                    code="not_on_roster",
                    params={"id": entry.member_id},
                )
            )
            continue
        if not entry.status:
            continue
        if entry.status not in statuses:
            errors.append(
                ValidationError(
                    "“%(status)s” is not a status.",
                    code="unknown_status",
                    params={"status": entry.status},
                )
            )
            continue
        if (entry.status, entry.remark) == (member.saved_status, member.saved_remark or ""):
            continue
        changed.append(
            AttendanceRecord(
                meeting=meeting,
                member=member,
                status=entry.status,
                remark=entry.remark,
                recorded_by=recorded_by,
                recorded_at=now,
                roster_version=version,
            )
        )
    if errors:
        raise ValidationError(errors)
    if not changed:
        return RosterSave(version=current_version, walk_in=new_member)
    AttendanceRecord.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=["meeting", "member"],
        update_fields=["status", "remark", "recorded_by", "recorded_at", "roster_version"],
    )
    return RosterSave(version=version, changed=changed, walk_in=new_member)
