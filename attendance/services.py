"""Writes of the attendance app: a roster save, a walk-in, members' sign-in and joining, each
one transaction."""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format

from attendance import checkin
from attendance.emails import send_place_opened
from attendance.models import (
    Apology,
    AttendanceRecord,
    CheckInAttempt,
    Enrollment,
    LinkRequest,
    Member,
    Preparation,
    WaitingListEntry,
    new_calendar_secret,
    ordinal,
)
from core import outbox
from core.roles import is_organizer
from sections.models import Meeting, Section


@dataclass(frozen=True)
class Entry:
    """One roster line as the lead left it: a status (or "" for not marked) and a remark, and
    the status and remark the lead's form was built from (None: not known).

    A field the lead left as the form had it is not the lead's to write: a save keeps what is
    stored (another lead may have changed it meanwhile). Without the originals, a marked line
    counts as the lead's in full, an unmarked one not at all (a form's line for someone who was
    not on the lead's page, or a caller that does not merge)."""

    member_id: int
    status: str
    remark: str = ""
    original_status: str | None = None
    original_remark: str | None = None

    def changes(self, field):
        """Did the lead change `field` ("status" or "remark") from what their form showed?
        An empty status never counts: the form cannot unmark anyone."""
        sent, original = getattr(self, field), getattr(self, f"original_{field}")
        if field == "status" and not sent:
            return False
        if original is None:
            return bool(self.status)
        return sent != original


FIELDS = ("status", "remark")


@dataclass(frozen=True)
class FieldChange:
    """One field of one roster line that another save changed: their value, the lead's own
    (the same when the lead left it alone) and who saved theirs."""

    member: Member
    field: str  # "status" or "remark"
    theirs: str
    yours: str
    by: object = None  # the user who saved theirs, if known

    @property
    def member_name(self):
        return getattr(self.member, "roster_name", self.member.name)

    @property
    def by_name(self):
        if self.by is None:
            return "someone"
        return self.by.get_full_name() or self.by.get_username()

    def _show(self, value):
        if self.field == "status":
            return AttendanceRecord.Status(value).label if value else "not marked"
        return f"“{value}”" if value else "none"

    @property
    def kept(self):
        """“Kept Dana's remark on Lee: “arrived late”.”"""
        return (
            f"Kept {self.by_name}'s {self.field} on {self.member_name}: {self._show(self.theirs)}."
        )

    @property
    def clash(self):
        return (
            f"{self.by_name} set the {self.field} on {self.member_name} to "
            f"{self._show(self.theirs)}; you chose {self._show(self.yours)}. Saving again keeps "
            "yours."
        )

    @property
    def replaced(self):
        return (
            f"Replaced {self.by_name}'s {self.field} on {self.member_name} "
            f"({self._show(self.theirs)}) with yours ({self._show(self.yours)})."
        )


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
    # Of the fields another save had changed (`theirs`): those kept, those the lead replaced.
    kept: list[FieldChange] = field(default_factory=list)
    replaced: list[FieldChange] = field(default_factory=list)


class RosterConflict(ValidationError):
    """Another save changed the roster since the form was loaded at `expected_version`.

    Nothing is saved. `changes` are the records changed since; `stored` maps each member to
    their (status, remark) now, and `merged` to what a save should write: the lead's own
    changes on top of what is stored. `kept` lists the other save's fields the lead had left
    alone (kept as they are), `clashes` those the lead changed too (the lead's choice is in
    `merged`, so saving the merge again keeps it)."""

    def __init__(self, *, version, changes, stored, merged, kept, clashes):
        super().__init__(
            "Someone else saved this roster while you were editing it.", code="conflict"
        )
        self.version = version
        self.changes = changes
        self.stored = stored
        self.merged = merged
        self.kept = kept
        self.clashes = clashes


def known_to(user, section):
    """The members `user` already knows through their sections (all for organizers), as a
    queryset of ids: those on the roster of `section` or of any section `user` manages."""
    if user is not None and is_organizer(user):
        return Member.objects.values("pk")
    sections = Section.objects.filter(pk=section.pk)
    if user is not None:
        sections = sections | Section.objects.manageable_by(user)
    enrolled = Enrollment.objects.filter(section__in=sections).values("member_id")
    attended = AttendanceRecord.objects.filter(meeting__section__in=sections).values("member_id")
    return Member.objects.filter(Q(pk__in=enrolled) | Q(pk__in=attended)).values("pk")


def member_with_email(*, name, email, affiliation="") -> tuple[Member, bool]:
    """The member with `email` (whatever its capitals), or a new one with `name` and
    `affiliation`: (member, created now). Blank emails are no one's: each makes a new member.

    Safe when two requests add the same new email at once: the insert runs in a savepoint, and
    if the database's unique rule says another transaction has just created that member (on
    PostgreSQL the insert waits for it to commit), that member is read and reused."""
    member = Member.objects.find_by_email(email)
    if member is not None:
        return member, False
    member = Member(name=name.strip(), email=email.strip(), affiliation=affiliation.strip())
    # Field checks here; the unique email is the database's to check, at the insert.
    member.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        existing = Member.objects.find_by_email(email)
        if existing is None:
            raise
        return existing, False
    return member, True


@transaction.atomic
def add_walk_in(*, section, name, email, affiliation="", by=None) -> Member:
    """The member with `email` (matched whatever its capitalisation), or a new one, enrolled
    in `section`. An existing member keeps their record: emails identify people, names vary.

    Privacy: `by` (the lead adding them) learns nothing about people outside their sections.
    An existing member `by` does not know already is enrolled with the name `by` typed as the
    enrollment's display name, which is what `by`'s roster shows (`roster_name`); their stored
    name and affiliation are neither shown nor changed."""
    name = name.strip()
    member, created = member_with_email(name=name, email=email, affiliation=affiliation)
    display_name = ""
    if not created and not known_to(by, section).filter(pk=member.pk).exists():
        display_name = name if name != member.name else ""
    Enrollment.objects.bulk_create(
        [Enrollment(member=member, section=section, display_name=display_name)],
        ignore_conflicts=True,
    )
    _off_the_waiting_list(section=section, members=[member])
    member.roster_name = display_name or member.name
    return member


def _saved(member):
    return {"status": member.saved_status or "", "remark": member.saved_remark or ""}


@transaction.atomic
def record_attendance(
    *, meeting, entries, recorded_by, expected_version, walk_in=None, theirs=()
) -> RosterSave:
    """Write a meeting's roster as the lead left it, in one transaction with bulk writes.

    `entries` are `Entry`s of members on the section's roster; unmarked ones ("") are left as
    they are, and so is every field the lead did not change from what their form showed (a
    three-way merge: what the lead saw, what they sent, what is stored now). `expected_version`
    is the roster version the form was loaded at: if another save changed the roster since,
    nothing is written and `RosterConflict` says what changed and what a save of the merge
    would keep. `theirs` names (member id, field) pairs of another save that the lead was shown
    in such a conflict; the result says which of them this save kept and which it replaced.

    The meeting's row is locked for the duration, so two saves of one roster run one after the
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
            by=recorded_by,
        )
        entries = [e for e in entries if e.member_id != new_member.pk]
        entries.append(Entry(new_member.pk, walk_in.status, walk_in.remark))

    roster = {
        member.pk: member
        for member in Member.objects.on_roster_of(meeting.section).with_record_for(meeting)
    }
    current_version = max((m.saved_version or 0 for m in roster.values()), default=0)

    statuses = set(AttendanceRecord.Status.values)
    merged, errors = {}, []
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
        if entry.status and entry.status not in statuses:
            errors.append(
                ValidationError(
                    "“%(status)s” is not a status.",
                    code="unknown_status",
                    params={"status": entry.status},
                )
            )
            continue
        stored = _saved(member)
        merged[member.pk] = {
            name: getattr(entry, name) if entry.changes(name) else stored[name] for name in FIELDS
        }

    if current_version != expected_version:
        raise _conflict(meeting, roster, entries, merged, current_version, expected_version)
    if errors:
        raise ValidationError(errors)

    version = current_version + 1
    now = timezone.now()
    changed = [
        AttendanceRecord(
            meeting=meeting,
            member=roster[member_id],
            status=values["status"],
            remark=values["remark"],
            recorded_by=recorded_by,
            recorded_at=now,
            roster_version=version,
            source=AttendanceRecord.Source.LEAD,
        )
        for member_id, values in merged.items()
        if values["status"] and values != _saved(roster[member_id])
    ]
    kept, replaced = _their_fields(meeting, roster, merged, theirs)
    if changed:
        AttendanceRecord.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["meeting", "member"],
            update_fields=[
                "status",
                "remark",
                "recorded_by",
                "recorded_at",
                "roster_version",
                "source",
            ],
        )
    return RosterSave(
        version=version if changed else current_version,
        changed=changed,
        walk_in=new_member,
        kept=kept,
        replaced=replaced,
    )


def _conflict(meeting, roster, entries, merged, current_version, expected_version):
    """The RosterConflict for a save made at `expected_version`, with its three-way merge."""
    changes = list(AttendanceRecord.objects.changed_since(meeting, expected_version))
    for record in changes:  # the roster's members, with the names the leads know them by
        record.member = roster.get(record.member_id, record.member)
    by = {record.member_id: record.recorded_by for record in changes}
    kept, clashes = [], []
    for entry in entries:
        if entry.member_id not in merged:
            continue
        member = roster[entry.member_id]
        stored = _saved(member)
        for name in FIELDS:
            original = getattr(entry, f"original_{name}")
            if original is None or stored[name] == original:
                continue  # not changed by the other save (or not known)
            change = FieldChange(
                member=member,
                field=name,
                theirs=stored[name],
                yours=merged[member.pk][name],
                by=by.get(member.pk),
            )
            if not entry.changes(name):
                kept.append(change)
            elif change.yours != change.theirs:
                clashes.append(change)
    return RosterConflict(
        version=current_version,
        changes=changes,
        stored={pk: _saved(member) for pk, member in roster.items()},
        merged=merged,
        kept=kept,
        clashes=clashes,
    )


def _their_fields(meeting, roster, merged, theirs):
    """Of the (member id, field) pairs of another save the lead was shown, those this save
    keeps and those it replaces (one query, and only after a conflict)."""
    theirs = [
        (member_id, name)
        for member_id, name in theirs
        if name in FIELDS and member_id in merged and roster[member_id].saved_status
    ]
    if not theirs:
        return [], []
    by = {
        record.member_id: record.recorded_by
        for record in AttendanceRecord.objects.filter(
            meeting=meeting, member__in=[member_id for member_id, _ in theirs]
        ).select_related("recorded_by")
    }
    kept, replaced = [], []
    for member_id, name in theirs:
        change = FieldChange(
            member=roster[member_id],
            field=name,
            theirs=_saved(roster[member_id])[name],
            yours=merged[member_id][name],
            by=by.get(member_id),
        )
        (kept if change.yours == change.theirs else replaced).append(change)
    return kept, replaced


# --- Members: links by email -------------------------------------------------------------------


def email_key(email):
    """A keyed hash of `email` (whatever its capitalisation): counts requests per address
    without storing the addresses of people who are not members."""
    normalized = email.strip().lower().encode()
    return hmac.new(settings.SECRET_KEY.encode(), normalized, hashlib.sha256).hexdigest()


@transaction.atomic
def record_link_request(*, email, client) -> bool:
    """Count a request for a link sent to `email` from `client` (an IP address, or "") and say
    whether it is within the hourly limits (settings.MEMBER_LINKS_PER_*_PER_HOUR).

    The request is written before counting, so two processes asking at once both see each
    other and neither slips past the limit; refused requests count too (asking again and again
    does not make a link come sooner). Requests older than an hour are deleted on the way."""
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    LinkRequest.objects.filter(created_at__lt=hour_ago).delete()
    key = email_key(email)
    LinkRequest.objects.create(email_key=key, client=client)
    counts = LinkRequest.objects.since(hour_ago).aggregate(
        email=Count("pk", filter=Q(email_key=key)),
        client=Count("pk", filter=Q(client=client) & ~Q(client="")),
    )
    return (
        counts["email"] <= settings.MEMBER_LINKS_PER_EMAIL_PER_HOUR
        and counts["client"] <= settings.MEMBER_LINKS_PER_CLIENT_PER_HOUR
    )


@transaction.atomic
def user_for_member(*, member):
    """The site account `member` signs in as: `member.user` when set (a lead who is also a
    member keeps their one account), else a new user without a usable password, linked to the
    member. The member's row is locked so that two sign-in requests make one user.

    (No watched table is written here, so the data version's lock is never taken and the
    row lock cannot deadlock with it: see core/freshness.py.)"""
    member = Member.objects.select_for_update(of=("self",)).select_related("user").get(pk=member.pk)
    if member.user is not None:
        return member.user
    user_model = get_user_model()
    username = f"member-{member.pk}"
    if user_model.objects.filter(username=username).exists():
        username = f"member-{member.pk}-{secrets.token_hex(4)}"
    user = user_model(username=username, email=member.email, first_name=member.name[:150])
    user.set_unusable_password()
    user.save()
    member.user = user
    member.save(update_fields=["user"])
    return user


# --- Members: joining, leaving, moving, waiting for a place -----------------------------------


def _free_places(section):
    """How many more members `section` takes (None: no limit). Leads may add walk-ins beyond
    the capacity, so it is never below 0."""
    if section.capacity is None:
        return None
    return max(section.capacity - section.enrollments.count(), 0)


def _check_term_joinable(term):
    """Raise unless people may join `term`'s sections: joining is open and the term has not
    ended (a past term is no longer running, whatever its flag says)."""
    if term.has_ended:
        raise ValidationError(
            "%(term)s ended on %(date)s: its sections take no new members.",
            code="ended",
            params={"term": term.name, "date": date_format(term.ends_on, "F j, Y")},
        )
    if not term.joining_open:
        raise ValidationError(
            "Joining is closed for %(term)s.", code="closed", params={"term": term.name}
        )


def _check_open_and_free(section, member=None):
    """Raise unless `section` (locked by the caller) may take one more member (`member`, if
    known). While anyone else is on its waiting list, its free places are theirs: the section
    counts as full."""
    _check_term_joinable(section.term)
    if section.capacity is not None and (
        _free_places(section) == 0 or section.waiting_list.exclude(member=member).exists()
    ):
        raise ValidationError(
            "The %(section)s section is full.", code="full", params={"section": section.name}
        )


def _pk(obj):
    return obj.pk


def _locked_section(section):
    # Locking a row of a watched table is no write: the data version's lock is not taken here,
    # and nothing after it writes a watched table (see core/freshness.py).
    return Section.objects.select_for_update(of=("self",)).select_related("term").get(pk=section.pk)


def _off_the_waiting_list(*, section, members):
    """Members enrolled in `section` wait for it no more."""
    WaitingListEntry.objects.filter(section=section, member__in=members).delete()


@transaction.atomic
def join_section(*, section, name, email, affiliation="") -> tuple[Member, bool]:
    """Enroll the member with `email` (a new one with `name` and `affiliation` if unknown) in
    `section`, once they have confirmed their address. Returns (member, enrolled now): False
    when they were in it already. Raises ValidationError when joining is closed or the section
    full; the section's row is locked so two confirmations cannot both take its last place."""
    section = _locked_section(section)
    member = Member.objects.find_by_email(email)
    if member is not None and Enrollment.objects.filter(member=member, section=section).exists():
        return member, False
    _check_open_and_free(section, member)
    if member is None:
        member, _ = member_with_email(name=name, email=email, affiliation=affiliation)
    Enrollment.objects.create(member=member, section=section)
    _off_the_waiting_list(section=section, members=[member])
    return member, True


@transaction.atomic
def move_enrollment(*, enrollment, to_section) -> Enrollment:
    """Move `enrollment`'s member to `to_section`, another section of the same term, if joining
    is open and it has room. Their attendance records stay with the meetings they were at.
    The place they leave goes to the first on its waiting list."""
    if to_section.term_id != enrollment.section.term_id or to_section.pk == enrollment.section_id:
        raise ValidationError("Choose another section of the same term.", code="not_in_term")
    from_section = enrollment.section
    # Both rows locked, in one order whichever way members move, so two moves cannot deadlock.
    locked = {s.pk: _locked_section(s) for s in sorted([from_section, to_section], key=_pk)}
    to_section = locked[to_section.pk]
    if Enrollment.objects.filter(member=enrollment.member_id, section=to_section).exists():
        raise ValidationError("You are in that section already.", code="already_in")
    _check_open_and_free(to_section, enrollment.member)
    enrollment.section = to_section
    enrollment.save(update_fields=["section"])
    _off_the_waiting_list(section=to_section, members=[enrollment.member_id])
    fill_free_places(section=from_section)
    return enrollment


@transaction.atomic
def leave_section(*, enrollment) -> list[Member]:
    """Take `enrollment`'s member off its section's roster (attendance already taken stays);
    the place goes to the first on the section's waiting list. Returns who got it."""
    section = _locked_section(enrollment.section)
    Enrollment.objects.filter(pk=enrollment.pk).delete()
    return fill_free_places(section=section)


@transaction.atomic
def fill_free_places(*, section) -> list[Member]:
    """Give `section`'s free places to the first on its waiting list, in order: each is
    enrolled, taken off the list and told by email (queued in the outbox in this
    transaction: nothing is sent if it rolls back). Every change that may free a place calls
    this: leaving, moving, an organizer deleting an enrollment or raising or clearing the
    capacity, merging members.

    The section's row is locked (as `join_section` locks it), so two places freed at once go to
    two different people and the capacity is never exceeded. While the term's joining is
    closed, no one is enrolled: the list waits; once the term has ended, for good. Returns the
    members enrolled now."""
    section = _locked_section(section)
    if not section.term.joining_open or section.term.has_ended:
        return []
    # Anyone on the list who is in the section already (a lead added them) waits no more.
    _off_the_waiting_list(
        section=section, members=Enrollment.objects.filter(section=section).values("member_id")
    )
    free = _free_places(section)
    if free == 0:
        return []
    entries = WaitingListEntry.objects.filter(section=section).in_line().select_related("member")
    entries = list(entries if free is None else entries[:free])
    if not entries:
        return []
    Enrollment.objects.bulk_create(
        [Enrollment(member=entry.member, section=section) for entry in entries]
    )
    WaitingListEntry.objects.filter(pk__in=[entry.pk for entry in entries]).delete()
    promoted = [entry.member for entry in entries]
    for member in promoted:
        send_place_opened(member=member, section=section)  # queued in this transaction
    return promoted


@dataclass(frozen=True)
class WaitingPlace:
    """What `join_waiting_list` did: `position` is the member's place in line (1 for the
    first), or None when they are in the section (already, or now: `new` says which)."""

    member: Member
    position: int | None
    new: bool

    @property
    def in_line(self):
        return f"{ordinal(self.position)} in line" if self.position else ""


@transaction.atomic
def join_waiting_list(*, section, name, email, affiliation="") -> WaitingPlace:
    """Put the member with `email` (a new one with `name` and `affiliation` if unknown) on
    `section`'s waiting list, once they have confirmed their address; or, if a place is free
    and no one waits for it (it freed up since they asked), enroll them at once. A member in
    the section already is left as they are, and one on its list keeps their place. Raises
    ValidationError when joining is closed. The section's row is locked, as for joining."""
    section = _locked_section(section)
    member = Member.objects.find_by_email(email)
    if member is not None and Enrollment.objects.filter(member=member, section=section).exists():
        return WaitingPlace(member, None, False)
    _check_term_joinable(section.term)
    if member is None:
        member, _ = member_with_email(name=name, email=email, affiliation=affiliation)
    if _free_places(section) != 0 and not section.waiting_list.exists():
        Enrollment.objects.create(member=member, section=section)
        return WaitingPlace(member, None, True)
    entry, created = WaitingListEntry.objects.get_or_create(section=section, member=member)
    if member in fill_free_places(section=section):  # places were free, yet others waited
        return WaitingPlace(member, None, True)
    position = WaitingListEntry.objects.with_position().get(pk=entry.pk).position
    return WaitingPlace(member, position, created)


@transaction.atomic
def leave_waiting_list(*, entry) -> int:
    """Take a member off a section's waiting list (those behind move up); how many were
    deleted (0 or 1). No place frees up: nobody is enrolled."""
    deleted, _ = WaitingListEntry.objects.filter(pk=entry.pk).delete()
    return deleted


# --- Leads: adding several people at once ------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass
class BulkPreview:
    """What adding `people` to a section would do: `added` (new members and known ones to be
    enrolled) and `already` (on the section's roster now), each a list of (person, name shown):
    the name shown is the member's own only when the lead knows them already (see
    `add_walk_in`), else the name the lead typed."""

    added: list = field(default_factory=list)
    already: list = field(default_factory=list)


def _bulk_plan(*, section, people, by):
    """(preview, existing members by lowercased email, ids of those `by` knows): a constant
    number of queries, whatever the number of people."""
    emails = {person.email.lower() for person in people}
    existing = {
        member.email_key: member
        for member in Member.objects.annotate(email_key=Lower("email")).filter(email_key__in=emails)
    }
    known = set(
        known_to(by, section)
        .filter(pk__in=[m.pk for m in existing.values()])
        .values_list("pk", flat=True)
    )
    on_roster = set(
        Member.objects.on_roster_of(section)
        .filter(pk__in=[m.pk for m in existing.values()])
        .values_list("pk", flat=True)
    )
    preview = BulkPreview()
    for person in people:
        member = existing.get(person.email.lower())
        shown = member.name if member is not None and member.pk in known else person.name
        if member is not None and member.pk in on_roster:
            preview.already.append((person, shown))
        else:
            preview.added.append((person, shown))
    return preview, existing, known


def preview_people(*, section, people, by) -> BulkPreview:
    return _bulk_plan(section=section, people=people, by=by)[0]


@transaction.atomic
def enroll_people(*, section, people, by) -> BulkPreview:
    """Enroll `people` (`Person`s with distinct emails) in `section` in one transaction, with
    bulk writes: new members are created, members known by their email (whatever its
    capitals) are reused, never duplicated, and those on the roster already are left as they
    are. Members `by` does not know get the typed name as their enrollment's display name
    (the privacy rule of `add_walk_in`). All or nothing: an invalid person raises
    ValidationError and nothing is saved. Returns what was done."""
    people = list(people)
    if len({person.email.lower() for person in people}) != len(people):
        raise ValidationError("The same email appears twice.", code="duplicate_email")
    preview, existing, known = _bulk_plan(section=section, people=people, by=by)
    new = []
    for person, _ in preview.added:
        if person.email.lower() not in existing:
            member = Member(name=person.name.strip(), email=person.email.strip())
            # Field checks only: the unique email was checked above, in one query.
            member.clean_fields(exclude=["user", "calendar_secret"])
            new.append(member)
    if new:
        # Another request may have added some of these emails since the plan was read (on
        # PostgreSQL the insert waits for it to commit): those rows are skipped, not an
        # IntegrityError, and everyone is read back by email, theirs included.
        Member.objects.bulk_create(new, ignore_conflicts=True)
        existing.update(
            (member.email_key, member)
            for member in Member.objects.annotate(email_key=Lower("email")).filter(
                email_key__in=[member.email.lower() for member in new]
            )
        )
    created = {member.email.lower(): member.name for member in new}
    enrollments = []
    for person, _ in preview.added:
        key = person.email.lower()
        member = existing[key]
        display_name = ""
        # A member someone else created meanwhile is one this lead does not know either.
        ours = created.get(key) == member.name
        if not ours and member.pk not in known and person.name != member.name:
            display_name = person.name
        enrollments.append(Enrollment(member=member, section=section, display_name=display_name))
    Enrollment.objects.bulk_create(enrollments, ignore_conflicts=True)
    _off_the_waiting_list(section=section, members=[e.member_id for e in enrollments])
    return preview


# --- Organizers: the next term's members ------------------------------------------------------


@dataclass(frozen=True)
class MembersCopied:
    """What `copy_members` did: how many enrollments it made, of how many members, in how
    many of the new term's sections; and the old sections with members that have no section
    of their slug in the new term (their members were not copied)."""

    enrollments: int
    members: int
    sections: int
    unmatched: list


def _copy_enrollments_sql():
    """One INSERT … SELECT: the old term's enrollments, each into the new term's section with
    its section's slug, skipping those that exist; returns (member, section) of each new row."""
    quote = connection.ops.quote_name

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    enrollment, section = quote(Enrollment._meta.db_table), quote(Section._meta.db_table)
    member_id, section_id = column(Enrollment, "member"), column(Enrollment, "section")
    display_name, created_at = column(Enrollment, "display_name"), column(Enrollment, "created_at")
    pk, slug, term_id = column(Section, "id"), column(Section, "slug"), column(Section, "term")
    # The WHERE clause also keeps SQLite from reading ON CONFLICT as part of the join.
    return (
        f"INSERT INTO {enrollment} ({member_id}, {section_id}, {display_name}, {created_at}) "
        f"SELECT e.{member_id}, later.{pk}, e.{display_name}, %s "
        f"FROM {enrollment} e "
        f"INNER JOIN {section} earlier ON earlier.{pk} = e.{section_id} "
        f"INNER JOIN {section} later ON later.{slug} = earlier.{slug} "
        f"WHERE earlier.{term_id} = %s AND later.{term_id} = %s "
        f"ORDER BY e.{section_id}, e.{member_id} "
        f"ON CONFLICT ({member_id}, {section_id}) DO NOTHING "
        f"RETURNING {member_id}, {section_id}"
    )


@transaction.atomic
def copy_members(*, from_term, to_term) -> MembersCopied:
    """Enroll every member of each section of `from_term` in the section of `to_term` with the
    same slug (the copies `sections.services.copy_term` makes), keeping the name the section's
    leads know them by (`display_name`). Members without an email (walk-ins) are members and
    are copied too; people who only came to a meeting without being enrolled (or who left) are
    not. Enrollments that exist already are left as they are; capacity is not checked (an
    organizer's choice, like the admin's own enrollments). Nobody is emailed.

    Two queries however many sections and members: the sections left without a match, and one
    INSERT … SELECT that copies the rows inside the database (Django's `bulk_create` would
    send them there and back, in batches of 249 rows on SQLite)."""
    if from_term.pk == to_term.pk:
        raise ValidationError("Choose another term to copy the members to.", code="same_term")
    unmatched = list(
        Section.objects.filter(term=from_term, enrollments__isnull=False)
        .exclude(slug__in=Section.objects.filter(term=to_term).values("slug"))
        .distinct()
        .order_by("slug")
    )
    now = Enrollment._meta.get_field("created_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(_copy_enrollments_sql(), [now, from_term.pk, to_term.pk])
        made = cursor.fetchall()
    return MembersCopied(
        enrollments=len(made),
        members=len({member for member, _ in made}),
        sections=len({section for _, section in made}),
        unmatched=unmatched,
    )


# --- Organizers: merging duplicate members -----------------------------------------------------

# When two merged members both have a record of one meeting, the kept record is the one whose
# status says most about what happened, in this order: late (came, and when), present (came),
# excused (told the lead), absent (nothing known beyond not seen); on a tie, the one recorded
# last. Its remark is kept, or, when it has none, the first remark of the others.
MERGE_STATUS_ORDER = ["late", "present", "excused", "absent"]


@transaction.atomic
def merge_members(*, keep, others) -> Member:
    """Move the enrollments and attendance records of `others` to `keep` and delete `others`,
    in one transaction: a walk-in added without an email and the member they turned out to be.

    The history stays: every meeting any of them attended keeps one record (see
    MERGE_STATUS_ORDER for which, when several), every section any of them was in keeps one
    enrollment (`keep`'s own if it had one). `keep` keeps its name and takes the first email,
    affiliation and site account of the others where it has none. Each meeting whose records
    changed gets a new roster version, so a roster form opened before the merge says so.
    Waiting lists keep the earliest place of any of them (none where they are enrolled), and a
    place freed by two enrollments becoming one goes to the first on that section's list."""
    others = [m for m in others if m.pk != keep.pk]
    if not others:
        raise ValidationError("Choose at least one other member to merge.", code="nothing")
    ids = [keep.pk, *(m.pk for m in others)]
    members = {m.pk: m for m in Member.objects.select_for_update(of=("self",)).filter(pk__in=ids)}
    if len(members) != len(ids):
        raise ValidationError("A member to merge no longer exists.", code="gone")
    keep, others = members[keep.pk], [members[pk] for pk in ids[1:]]

    # Enrollments: one per section, the kept member's own first.
    rank = {pk: n for n, pk in enumerate(ids)}
    enrollments = sorted(
        Enrollment.objects.filter(member__in=ids),
        key=lambda e: (e.section_id, rank[e.member_id], e.created_at),
    )
    chosen, dropped = {}, []
    for enrollment in enrollments:
        if enrollment.section_id in chosen:
            dropped.append(enrollment.pk)
        else:
            chosen[enrollment.section_id] = enrollment
    Enrollment.objects.filter(pk__in=dropped).delete()
    # Two enrollments in one section became one: a place freed up there (filled at the end).
    freed = {e.section_id for e in enrollments if e.pk in set(dropped)}
    moved = [e for e in chosen.values() if e.member_id != keep.pk]
    for enrollment in moved:
        enrollment.member = keep
    Enrollment.objects.bulk_update(moved, ["member"])

    # Waiting lists: one place in each line, the earliest; none in a section they are in.
    places = sorted(
        WaitingListEntry.objects.filter(member__in=ids), key=lambda e: (e.created_at, e.pk)
    )
    waiting, dropped = {}, []
    for entry in places:
        if entry.section_id in chosen or entry.section_id in waiting:
            dropped.append(entry.pk)
        else:
            waiting[entry.section_id] = entry
    WaitingListEntry.objects.filter(pk__in=dropped).delete()
    moved = [e for e in waiting.values() if e.member_id != keep.pk]
    for entry in moved:
        entry.member = keep
    WaitingListEntry.objects.bulk_update(moved, ["member"])

    # Attendance records: one per meeting, the most informative.
    order = {status: n for n, status in enumerate(MERGE_STATUS_ORDER)}
    by_meeting = {}
    for record in AttendanceRecord.objects.filter(member__in=ids):
        by_meeting.setdefault(record.meeting_id, []).append(record)
    versions = dict(
        AttendanceRecord.objects.filter(meeting__in=list(by_meeting))
        .values("meeting")
        .annotate(v=Max("roster_version"))
        .values_list("meeting", "v")
    )
    kept_records, dropped = [], []
    for meeting_id, records in by_meeting.items():
        records.sort(key=lambda r: (order.get(r.status, 99), -r.recorded_at.timestamp()))
        best, rest = records[0], records[1:]
        if not best.remark:
            best.remark = next((r.remark for r in rest if r.remark), "")
        if best.member_id != keep.pk or rest:
            best.member = keep
            best.roster_version = (versions.get(meeting_id) or 0) + 1
            kept_records.append(best)
        dropped += [r.pk for r in rest]
    AttendanceRecord.objects.filter(pk__in=dropped).delete()
    AttendanceRecord.objects.bulk_update(kept_records, ["member", "remark", "roster_version"])

    # Anything else that points at a member (added by later features) moves as it is; if that
    # breaks one of its unique rules, nothing is merged.
    for relation in Member._meta.related_objects:
        if relation.related_name in ("enrollments", "attendance_records", "waiting_list_entries"):
            continue
        if not relation.many_to_one:
            continue
        try:
            with transaction.atomic():
                relation.related_model._base_manager.filter(
                    **{f"{relation.field.name}__in": ids[1:]}
                ).update(**{relation.field.name: keep})
        except IntegrityError as error:
            raise ValidationError(
                "These members cannot be merged: both have a %(what)s that may exist only once.",
                code="conflict",
                params={"what": relation.related_model._meta.verbose_name},
            ) from error

    # The member: fill what the kept one lacks, then delete the others.
    emails = [m.email for m in others if m.email]
    update = {}
    if not keep.email and emails:
        update["email"] = emails[0]
    if not keep.affiliation:
        update["affiliation"] = next((m.affiliation for m in others if m.affiliation), "")
    if keep.user_id is None:
        update["user_id"] = next((m.user_id for m in others if m.user_id), None)
    Member.objects.filter(pk__in=[m.pk for m in others]).delete()
    for name, value in update.items():
        setattr(keep, name, value)
    if update:
        keep.save(update_fields=list(update))
    for section in Section.objects.filter(pk__in=freed).order_by("pk"):
        fill_free_places(section=section)
    return keep


# --- "I can't come" ----------------------------------------------------------------------------


def _check_before_start(*, member, meeting):
    """A member may say or unsay "I can't come" only for a meeting of a section they are
    enrolled in, that is not cancelled and has not started."""
    if not Enrollment.objects.filter(member=member, section=meeting.section_id).exists():
        raise ValidationError("You are not in this meeting's section.", code="not_enrolled")
    if meeting.is_cancelled:
        raise ValidationError("This meeting was cancelled.", code="cancelled")
    if meeting.starts_at is None or meeting.starts_at <= timezone.now():
        raise ValidationError("This meeting has already started.", code="started")


@transaction.atomic
def send_apology(*, member, meeting, reason="") -> Apology:
    """Say "I can't come" to `meeting` (again: the reason is replaced). The lead's roster
    shows it and pre-marks the member excused unless a lead has recorded them already."""
    _check_before_start(member=member, meeting=meeting)
    reason = reason.strip()
    if len(reason) > Apology.REASON_MAX_LENGTH:
        raise ValidationError(
            "Keep the reason to %(max)s characters.",
            code="max_length",
            params={"max": Apology.REASON_MAX_LENGTH},
        )
    apology, _ = Apology.objects.update_or_create(
        member=member, meeting=meeting, defaults={"reason": reason}
    )
    return apology


@transaction.atomic
def withdraw_apology(*, member, meeting) -> int:
    """Undo "I can't come" before the meeting starts; how many were deleted (0 or 1)."""
    _check_before_start(member=member, meeting=meeting)
    deleted, _ = Apology.objects.filter(member=member, meeting=meeting).delete()
    return deleted


# --- "I've read it" and a question before the meeting ------------------------------------------


def _save_preparation(*, member, meeting, **values):
    preparation, _ = Preparation.objects.get_or_create(member=member, meeting=meeting)
    for name, value in values.items():
        setattr(preparation, name, value)
    if preparation.read_at is None and not preparation.question:
        preparation.delete()
        return None
    preparation.save()
    return preparation


@transaction.atomic
def mark_read(*, member, meeting, read=True) -> Preparation | None:
    """ "I've read it" (or, with `read=False`, take it back) before the meeting starts."""
    _check_before_start(member=member, meeting=meeting)
    current = Preparation.objects.filter(member=member, meeting=meeting).first()
    read_at = (current.read_at if current and current.read_at else timezone.now()) if read else None
    return _save_preparation(member=member, meeting=meeting, read_at=read_at)


@transaction.atomic
def ask_question(*, member, meeting, question) -> Preparation | None:
    """Set the member's one question or comment for `meeting` (plain text, editable until the
    meeting starts; empty takes it back)."""
    _check_before_start(member=member, meeting=meeting)
    question = question.strip()
    if len(question) > Preparation.QUESTION_MAX_LENGTH:
        raise ValidationError(
            "Keep your question to %(max)s characters.",
            code="max_length",
            params={"max": Preparation.QUESTION_MAX_LENGTH},
        )
    return _save_preparation(member=member, meeting=meeting, question=question)


# --- Members: their data, and forgetting them ---------------------------------------------------

FORMER_MEMBER = "Former member"


def _only_a_sign_in(user, member):
    """Is `user` the account made for `member`'s sign-in links alone (`user_for_member`), and
    nothing else: no password, no staff or group, no section led, no term organized, no other
    member? Such a user may be deleted with the member; any other is someone's account."""
    return not (
        user.has_usable_password()
        or user.is_staff
        or user.is_superuser
        or user.groups.exists()
        or user.led_sections.exists()
        or user.organized_terms.exists()
        or user.attendance_members.exclude(pk=member.pk).exists()
    )


@transaction.atomic
def forget_member(*, member) -> Member:
    """Delete a member's account at their request, in one transaction: they leave every
    section (`leave_section`, so a freed place goes where it should), their apologies,
    questions and anything else of theirs is deleted, and the member is kept only as
    "Former member" without email or affiliation, so that the attendance records of the
    meetings they were at (and every count made of them) stay as they were.

    Their site account goes too when it exists only for their sign-in links; a lead's or an
    organizer's account is unlinked and kept, its earlier sign-in links retired (a new
    `last_login`: django-sesame's one-time links carry it). The calendar feed's secret address
    stops working. Nothing of another member is touched."""
    member = Member.objects.select_for_update(of=("self",)).select_related("user").get(pk=member.pk)
    for enrollment in Enrollment.objects.filter(member=member).select_related("section"):
        leave_section(enrollment=enrollment)
    # Apologies and preparations, and whatever later features hang on a member (a waiting
    # list, ...): everything but the attendance records, which stay anonymised.
    for relation in Member._meta.related_objects:
        if relation.related_name in ("enrollments", "attendance_records"):
            continue
        if relation.one_to_many or relation.one_to_one:
            relation.related_model._base_manager.filter(**{relation.field.name: member}).delete()
    user = member.user
    member.name = FORMER_MEMBER
    member.email = ""
    member.affiliation = ""
    member.user = None
    member.calendar_secret = new_calendar_secret()
    member.save(update_fields=["name", "email", "affiliation", "user", "calendar_secret"])
    if user is not None:
        if _only_a_sign_in(user, member):
            user.delete()
        else:
            user.last_login = timezone.now()
            user.save(update_fields=["last_login"])
    return member


# --- Email settings -----------------------------------------------------------------------------


@transaction.atomic
def save_email_settings(*, member, wanted) -> None:
    """Turn kinds of email on or off for `member`'s address: `wanted` maps a kind to True (send
    it) or False (an opt-out, as the one-click unsubscribe stores it)."""
    if not member.email:
        raise ValidationError("You have no email address to send to.", code="no_email")
    for kind, on in wanted.items():
        if on:
            outbox.opt_in(email=member.email, kind=kind)
        else:
            outbox.opt_out(email=member.email, kind=kind)


# --- Checking in at the door (docs/checkin.md) --------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    """The outcome of a check-in: the member's record of the meeting and whether this check-in
    made it (False: a record was there already, the member's own or a lead's, and is kept)."""

    record: AttendanceRecord
    created: bool

    @property
    def message(self):
        record = self.record
        status = record.get_status_display().lower()
        if self.created:
            return f"You are checked in: {status}."
        if record.source == AttendanceRecord.Source.LEAD:
            return f"Your lead has already marked you {status}: nothing changed."
        return f"You were checked in already ({status}): nothing changed."


def _lock_meeting_for_check_in(meeting):
    """Take, first of all, the lock the new record's foreign key takes on its meeting row anyway
    (FOR KEY SHARE, on PostgreSQL): check-ins then run side by side, and a roster save (which
    locks the meeting FOR UPDATE before writing its records) waits for them, or they for it.
    Taken at the insert instead, it came after the record's own index entry: a check-in and a
    roster save each held what the other wanted (a deadlock). Reads the meeting's status as
    committed now, so a meeting cancelled a moment ago takes no check-in."""
    table = connection.ops.quote_name(Meeting._meta.db_table)
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status FROM {table} WHERE id = %s{lock}", [meeting.pk])
        row = cursor.fetchone()
    if row is None or row[0] == Meeting.Status.CANCELLED:
        raise ValidationError("This meeting was cancelled: there is no check-in.", code="cancelled")


def _check_in(*, meeting, member, at, source) -> CheckIn:
    checkin.check_open(meeting, at)
    _lock_meeting_for_check_in(meeting)
    late = at > meeting.starts_at + meeting.section.term.late_after
    status = AttendanceRecord.Status.LATE if late else AttendanceRecord.Status.PRESENT
    # Never an update: a record that exists (a lead's, or an earlier check-in) stays as it is.
    # get_or_create inserts in a savepoint; when another transaction inserted the same record
    # first (two check-ins at once, or a lead's roster save), the unique (meeting, member) rule
    # makes this insert fail (on PostgreSQL, once the other commits) and the record is read.
    record, created = AttendanceRecord.objects.get_or_create(
        meeting=meeting,
        member=member,
        defaults={
            "status": status,
            "recorded_at": at,
            # Not a roster save: a lead's open roster form is not made stale by it (its save
            # keeps the check-ins it did not change: record_attendance's merge).
            "roster_version": 0,
            "source": source,
        },
    )
    return CheckIn(record=record, created=created)


@transaction.atomic
def self_check_in(*, meeting, member, at) -> CheckIn:
    """Mark `member` present at `meeting` (late after the term's `late_after`), as they check in
    themselves at `at`, inside the meeting's check-in window. Idempotent; a record a lead made
    always wins (it is never changed). Raises ValidationError saying why not: the meeting is
    cancelled, check-in is not open yet or closed, the member is not in its section."""
    checkin.check_open(meeting, at)
    if not Enrollment.objects.filter(member=member, section_id=meeting.section_id).exists():
        raise ValidationError(
            "You are not in the %(section)s section: ask its lead to add you.",
            code="not_enrolled",
            params={"section": meeting.section.name},
        )
    return _check_in(meeting=meeting, member=member, at=at, source=AttendanceRecord.Source.SELF)


@transaction.atomic
def walk_in_check_in(*, meeting, name, email, at) -> CheckIn:
    """Someone new at the door: a member with `name` and `email` (the existing one if the email
    is known after all), enrolled in the meeting's section and checked in as a walk-in."""
    checkin.check_open(meeting, at)
    member = add_walk_in(section=meeting.section, name=name, email=email)
    source = AttendanceRecord.Source.WALK_IN
    return _check_in(meeting=meeting, member=member, at=at, source=source)


def record_wrong_code(*, client) -> bool:
    """Count a wrong check-in code typed from `client` and say whether that client may still
    try (settings.CHECKIN_WRONG_CODES_PER_CLIENT in CHECKIN_THROTTLE_PERIOD): with 10 tries in
    10 minutes, guessing one of a billion codes within a meeting's window is hopeless."""
    CheckInAttempt.objects.create(kind=CheckInAttempt.Kind.WRONG_CODE, client=client)
    return may_try_a_code(client=client)


def may_try_a_code(*, client) -> bool:
    since = timezone.now() - settings.CHECKIN_THROTTLE_PERIOD
    wrong = CheckInAttempt.objects.since(since).filter(
        kind=CheckInAttempt.Kind.WRONG_CODE, client=client
    )
    return wrong.count() < settings.CHECKIN_WRONG_CODES_PER_CLIENT


@transaction.atomic
def record_email_check_in(*, meeting, email, client) -> bool:
    """Count a check-in by email to `meeting` from `client`, and say whether it is allowed: one
    client checks in at most settings.CHECKIN_EMAILS_PER_CLIENT different addresses per meeting
    (a phone that checks in a friend, not a list of emails). The same address again is free.
    Attempts older than a day are deleted on the way."""
    CheckInAttempt.objects.filter(
        created_at__lt=timezone.now() - datetime.timedelta(days=1)
    ).delete()
    key = email_key(email)
    mine = CheckInAttempt.objects.filter(
        kind=CheckInAttempt.Kind.EMAIL, meeting=meeting, client=client
    )
    if mine.filter(email_key=key).exists():
        return True
    # Locks nothing: two requests at once may both pass at the limit; one over is harmless.
    if mine.values("email_key").distinct().count() >= settings.CHECKIN_EMAILS_PER_CLIENT:
        return False
    CheckInAttempt.objects.create(
        kind=CheckInAttempt.Kind.EMAIL, meeting=meeting, client=client, email_key=key
    )
    return True
