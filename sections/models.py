import datetime
from dataclasses import dataclass
from operator import attrgetter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone

from core.roles import is_organizer
from core.urlhelpers import reverse_url
from syllabus.models import (
    Reading,
    Term,
    Week,
    check_date_in_range,
    validate_one_line,
    visible_terms,
)


def format_clock(value: datetime.time, *, meridiem: bool = True) -> str:
    """6 pm, 7:30 pm, 12 pm (noon); without the meridiem when a range shares it."""
    hour = value.hour % 12 or 12
    text = f"{hour}:{value.minute:02d}" if value.minute else f"{hour}"
    return f"{text} {'am' if value.hour < 12 else 'pm'}" if meridiem else text


def format_time_range(start: datetime.time, end: datetime.time) -> str:
    """“6–8 pm”, “7:30–8:30 pm”, “11 am–1 pm”."""
    same_half = (start.hour < 12) == (end.hour < 12)
    return f"{format_clock(start, meridiem=not same_half)}–{format_clock(end)}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class SectionQuerySet(models.QuerySet):
    def for_term(self, term):
        return self.filter(term=term)

    def manageable_by(self, user):
        """Sections `user` may manage: all for organizers, their own for leads, else none."""
        if is_organizer(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(leads=user)

    def visible_to(self, user):
        """Sections of the terms `user` sees (`visible_terms`), by a join, not a subquery."""
        return self.filter(visible_terms(user, "term__"))

    def with_leads(self):
        user_model = get_user_model()
        return self.prefetch_related(Prefetch("leads", queryset=user_model.objects.order_by("pk")))


class Section(models.Model):
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(
        max_length=100, validators=[validate_one_line], help_text="For example “Wednesday”."
    )
    slug = models.SlugField(max_length=100, help_text="Used in URLs, unique within the term.")
    weekday = models.PositiveSmallIntegerField(choices=Weekday)
    start_time = models.TimeField(help_text="Local time in the term's time zone.")
    end_time = models.TimeField(help_text="Must be after the start time.")
    room = models.CharField(max_length=100, validators=[validate_one_line])
    leads = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="led_sections"
    )
    capacity = models.PositiveIntegerField(null=True, blank=True)

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ["term", "weekday", "start_time", "name"]
        constraints = [
            models.UniqueConstraint(fields=["term", "slug"], name="sections_section_unique_slug"),
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="sections_section_ends_after_start",
                violation_error_code="ends_before_start",
                violation_error_message="The section must end after it starts.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.term})"

    def get_absolute_url(self):
        return reverse_url("sections:section-detail", term=self.term.slug, section=self.slug)

    def clean(self):
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError(
                {"end_time": "The end time must be after the start time."},
                code="ends_before_start",
            )

    def unique_error_message(self, model_class, unique_check):
        if tuple(unique_check) == ("term", "slug"):
            return ValidationError(
                "%(term)s already has a section with the slug “%(slug)s”.",
                code="unique_together",
                params={"term": self.term, "slug": self.slug},
            )
        return super().unique_error_message(model_class, unique_check)

    @property
    def duration(self):
        start = datetime.datetime.combine(datetime.date.min, self.start_time)
        return datetime.datetime.combine(datetime.date.min, self.end_time) - start

    @property
    def is_long(self):
        """Two hours or more: the term's format note applies."""
        return self.duration >= datetime.timedelta(hours=2)

    @property
    def when_display(self):
        """“Wednesdays, 6–8 pm”."""
        return f"{self.get_weekday_display()}s, {format_time_range(self.start_time, self.end_time)}"

    def is_managed_by(self, user):
        """May `user` manage this section (lead or organizer)? Uses prefetched `leads`, and
        costs no query at all for anonymous users."""
        if not user.is_authenticated:
            return False
        return is_organizer(user) or any(lead.pk == user.pk for lead in self.leads.all())

    def meeting_date(self, week):
        starts_on = week.starts_on
        return starts_on + datetime.timedelta(days=self.weekday) if starts_on else None

    def local_times(self, week):
        """The (start, end) aware datetimes of this section's meeting in `week`, or None."""
        day = self.meeting_date(week)
        if day is None:
            return None
        tz = self.term.tz
        return (
            datetime.datetime.combine(day, self.start_time, tzinfo=tz),
            datetime.datetime.combine(day, self.end_time, tzinfo=tz),
        )


SECTION_ORDER = ("section__weekday", "section__start_time", "section__name")


class MeetingQuerySet(models.QuerySet):
    def for_term(self, term):
        return self.filter(section__term=term)

    def manageable_by(self, user):
        """Meetings `user` may manage: all for organizers, their sections' for leads."""
        if is_organizer(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(section__leads=user)

    def for_week(self, week):
        return self.filter(week=week)

    def with_notes(self):
        """Each meeting's discussion note and its authors (one query more when there are notes)."""
        user_model = get_user_model()
        return self.select_related("note").prefetch_related(
            Prefetch("note__authors", queryset=user_model.objects.order_by("pk"))
        )

    def in_section_order(self):
        return self.select_related("section__term").order_by(*SECTION_ORDER)

    def for_week_page(self, week):
        """The meetings of `week` (loaded with its term) in section order, as a list: each with
        its section and the section's leads, its discussion note and the note's authors (two
        queries, three with notes). Each meeting's week is `week` and its section's term is
        `week.term`, rather than copies of them loaded with every meeting."""
        meetings = list(
            self.filter(week=week)
            .select_related("section")
            .with_notes()
            .prefetch_related(
                Prefetch("section__leads", queryset=get_user_model().objects.order_by("pk"))
            )
            .order_by(*SECTION_ORDER)
        )
        for meeting in meetings:
            meeting.week = week
            meeting.section.term = week.term
        return meetings

    def shown_by_week(self, weeks, sections):
        """Set `week.section_meetings` on each of `weeks`: its meetings, in section order, as
        `ShownMeeting`s with `has_published_note` and `changed_at` (the schedule's lines). One
        query of the columns they show, no model objects.

        Each meeting shares its week and section with `weeks` and `sections` (already loaded),
        rather than loading its own copies of its section and term: on a term of 60 meetings
        that was 120 more model instances, a fifth of the schedule page's database time."""
        by_section = {section.pk: section for section in sections}
        by_week = {week.pk: week for week in weeks}
        published = DiscussionNote.objects.filter(
            meeting=OuterRef("pk"), status=DiscussionNote.Status.PUBLISHED
        )
        rows = (
            self.annotate(has_published_note=Exists(published))
            .order_by(*SECTION_ORDER)
            .values_list(
                "pk", "section_id", "week_id", *SHOWN_COLUMNS, "changed_at", "has_published_note"
            )
        )
        meetings = {week.pk: [] for week in weeks}
        for pk, section_id, week_id, *shown, changed_at, has_published_note in rows:
            meeting = ShownMeeting(pk, by_section[section_id], by_week[week_id], *shown)
            meeting.changed_at, meeting.has_published_note = changed_at, has_published_note
            meetings[week_id].append(meeting)
        for week in weeks:
            week.section_meetings = meetings[week.pk]
        return weeks

    def for_calendar(self):
        """Meetings with all a calendar event shows: section, term, week and its readings."""
        return self.select_related("section__term", "week__term").prefetch_related(
            Prefetch("week__readings", queryset=Reading.objects.select_related("paper"))
        )

    def for_term_calendar(self, term):
        """These meetings, all of `term`, that have a date, as a list in feed order (start, then
        pk) of `ShownMeeting`s with what a calendar event shows
        (`sections.calendars.meetings_calendar`; an undated meeting has no event yet): two
        queries, the meetings' rows with their sections' and weeks' columns (only those an event
        shows), then the weeks' `listed_readings`. Unlike `for_calendar`, no meeting is a model
        object (building them was a fifth of a term feed's render), each section and week is
        one object, shared by its meetings, and has `term` as its term (no term is loaded).
        Sorted here: ORDER BY cost more to compile than the sort of a term's meetings."""
        rows = self.order_by().values_list(
            "pk",
            "section_id",
            "week_id",
            "updated_at",
            "section__name",
            "section__weekday",
            "week__number",
            "week__title",
            "week__tagline",
            *SHOWN_COLUMNS,
        )
        sections, weeks, meetings = {}, {}, []
        for (
            pk,
            section_id,
            week_id,
            updated_at,
            name,
            weekday,
            number,
            title,
            tagline,
            *shown,
        ) in rows:
            if shown[0] is None:  # starts_at
                continue
            section = sections.get(section_id)
            if section is None:
                section = sections[section_id] = Section.from_db(
                    self.db, ["id", "name", "weekday"], [section_id, name, weekday]
                )
                section.term = term
            week = weeks.get(week_id)
            if week is None:
                week = weeks[week_id] = Week.from_db(
                    self.db, ["id", "number", "title", "tagline"], [week_id, number, title, tagline]
                )
                week.term = term
            meeting = ShownMeeting(pk, section, week, *shown)
            meeting.updated_at = updated_at
            meetings.append(meeting)
        meetings.sort(key=attrgetter("starts_at", "pk"))
        Reading.objects.listed_by_week(list(weeks.values()))
        return meetings

    def touch(self):
        """Mark these meetings as modified (feeds' ETag and LAST-MODIFIED follow).

        By primary key: an UPDATE filtered across a join becomes `id IN (SELECT … JOIN …)` on
        the same table, which PostgreSQL planned as a nested loop inside long transactions."""
        ids = list(self.values_list("pk", flat=True))
        if not ids:
            return 0
        return Meeting.objects.filter(pk__in=ids).update(updated_at=timezone.now())


def next_meeting(meetings, now=None):
    """The first of `meetings` (in any order) not cancelled and not yet over, or None."""
    now = now or timezone.now()
    upcoming = [
        m for m in meetings if not m.is_cancelled and m.ends_at is not None and m.ends_at > now
    ]
    return min(upcoming, key=lambda m: (m.starts_at, m.section.weekday, m.pk), default=None)


@dataclass(frozen=True)
class MeetingState:
    """What members are told of a meeting: when (UTC; shown in the term's time zone), where,
    whether it happens, and its public note. Meeting changes send it before and after
    (`sections.signals.meeting_changed`)."""

    starts_at: datetime.datetime | None
    ends_at: datetime.datetime | None
    room: str
    status: str
    public_note: str

    @property
    def is_cancelled(self):
        return self.status == Meeting.Status.CANCELLED


class Meeting(models.Model):
    """One section's meeting in one week.

    Two sets of times: `scheduled_*` are the regular ones, always kept in step with the section
    and week by `sections.services.sync_meetings`; `starts_at`/`ends_at` are when it actually
    happens. Sync makes the actual times follow the regular ones until the meeting is moved
    (`is_rescheduled`); the services in `sections.services` make every change and raise
    `sequence` whenever a calendar would show it (time, room, status).
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="meetings")
    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="meetings")
    scheduled_starts_at = models.DateTimeField(
        null=True, blank=True, help_text="The regular start (from the section and week), in UTC."
    )
    scheduled_ends_at = models.DateTimeField(null=True, blank=True)
    scheduled_room = models.CharField(
        max_length=100, blank=True, help_text="The section's room, kept in step by the sync."
    )
    starts_at = models.DateTimeField(
        null=True, blank=True, help_text="When it actually starts, in UTC."
    )
    ends_at = models.DateTimeField(null=True, blank=True)
    is_rescheduled = models.BooleanField(
        default=False, help_text="Moved to another date or time: the sync leaves its times alone."
    )
    room_override = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_one_line],
        help_text="Leave empty to meet in the section's room.",
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.SCHEDULED)
    public_note = models.CharField(
        max_length=300,
        blank=True,
        validators=[validate_one_line],
        help_text="Shown to members, e.g. “No meeting: Veterans Day”.",
    )
    sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE: raised on every change of time, room or status."
    )
    changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was last cancelled, moved or restored."
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changed_meetings",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "week"], name="sections_meeting_unique_section_week"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="sections_meeting_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.section.name}, week {self.week.number}"

    def get_absolute_url(self):
        return self.week.get_absolute_url() + f"#section-{self.section.slug}"

    def get_calendar_url(self):
        """The one-meeting .ics file."""
        return reverse_url(
            "sections:meeting-calendar",
            term=self.section.term.slug,
            section=self.section.slug,
            number=self.week.number,
        )

    @property
    def room(self):
        return self.room_override or self.scheduled_room

    @property
    def location(self):
        """The room with the term's place: “2-151, MIT” (calendars' LOCATION)."""
        return self.section.term.location_of(self.room)

    def state(self) -> MeetingState:
        return MeetingState(
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            room=self.room,
            status=self.status,
            public_note=self.public_note,
        )

    @property
    def is_cancelled(self):
        return self.status == self.Status.CANCELLED

    @property
    def is_time_moved(self):
        return self.is_rescheduled and (self.starts_at, self.ends_at) != (
            self.scheduled_starts_at,
            self.scheduled_ends_at,
        )

    @property
    def is_room_moved(self):
        return bool(self.room_override) and self.room_override != self.scheduled_room

    @property
    def is_moved(self):
        return self.is_time_moved or self.is_room_moved

    def is_recently_changed(self, now=None):
        """Cancelled, moved or restored today or in the 7 days before, in the term's calendar."""
        if self.changed_at is None:
            return False
        tz = self.section.term.tz
        today = (now or timezone.now()).astimezone(tz).date()
        return self.changed_at.astimezone(tz).date() >= today - datetime.timedelta(days=7)

    @property
    def is_new_change(self):
        return self.is_recently_changed()

    def note_for(self, *, may_manage):
        """The discussion note to show: published ones to anyone, drafts only to those who may
        manage the meeting (its leads and organizers); None when there is none to show."""
        note = getattr(self, "note", None)
        if note is None or not (note.is_published or may_manage):
            return None
        return note

    def local_start(self):
        return self.starts_at.astimezone(self.section.term.tz) if self.starts_at else None

    def local_end(self):
        return self.ends_at.astimezone(self.section.term.tz) if self.ends_at else None

    def _when(self, start, end):
        if start is None or end is None:
            return "date to be set"
        tz = self.section.term.tz
        start, end = start.astimezone(tz), end.astimezone(tz)
        return f"{start:%a %b} {start.day}, {format_time_range(start.time(), end.time())}"

    @property
    def when_display(self):
        """“Wed Sep 14, 6–8 pm” in the term's time zone, or “date to be set”."""
        return self._when(self.starts_at, self.ends_at)

    @property
    def scheduled_when_display(self):
        """The regular time, shown struck through next to a moved meeting's new one."""
        return self._when(self.scheduled_starts_at, self.scheduled_ends_at)

    def check_move(self, *, starts_at, ends_at, room):
        """Raise ValidationError (keyed by the move form's fields) if this move is refused."""
        if self.is_cancelled:
            raise ValidationError(
                "This meeting is cancelled: restore it before moving it.", code="cancelled"
            )
        if ends_at <= starts_at:
            raise ValidationError(
                {
                    "end_time": ValidationError(
                        "The end must be after the start.", code="ends_before_start"
                    )
                }
            )
        term = self.section.term
        first, last = term.starts_on, term.ends_on
        day = starts_at.astimezone(term.tz).date()
        check_date_in_range(day, "date")  # a term without dates yet has no bounds of its own
        if first and last and not first <= day <= last:
            raise ValidationError(
                {
                    "date": ValidationError(
                        "Pick a date within the term (%(first)s to %(last)s).",
                        code="outside_term",
                        params={
                            "first": f"{first:%b} {first.day}",
                            "last": f"{last:%b} {last.day}",
                        },
                    )
                }
            )
        if (starts_at, ends_at, room) == (self.starts_at, self.ends_at, self.room):
            raise ValidationError(
                "That is when and where it already meets: nothing to change.", code="unchanged"
            )


# The columns of a meeting that members are shown (schedule.json; a calendar event adds
# `updated_at`): `ShownMeeting`'s, after its primary key, section and week.
SHOWN_COLUMNS = (
    "starts_at",
    "ends_at",
    "scheduled_starts_at",
    "scheduled_ends_at",
    "scheduled_room",
    "room_override",
    "is_rescheduled",
    "status",
    "public_note",
    "sequence",
)


class ShownMeeting:
    """A meeting as feeds, exports and the schedule show it (`MeetingQuerySet.for_term_calendar`,
    `sections.exports`, `MeetingQuerySet.shown_by_week`): its `SHOWN_COLUMNS` read as values
    rather than as a model object, with `Meeting`'s own properties over them (`room`,
    `location`, `is_cancelled`, `is_moved`, `when_display`, links…). `updated_at` is set when
    the calendar reads it; `changed_at` and `has_published_note` when the schedule does."""

    __slots__ = (
        "pk",
        "section",
        "week",
        *SHOWN_COLUMNS,
        "updated_at",
        "changed_at",
        "has_published_note",
    )

    Status = Meeting.Status
    room = Meeting.room
    location = Meeting.location
    is_cancelled = Meeting.is_cancelled
    is_time_moved = Meeting.is_time_moved
    is_room_moved = Meeting.is_room_moved
    is_moved = Meeting.is_moved
    _when = Meeting._when
    when_display = Meeting.when_display
    scheduled_when_display = Meeting.scheduled_when_display
    is_recently_changed = Meeting.is_recently_changed
    is_new_change = Meeting.is_new_change
    get_absolute_url = Meeting.get_absolute_url
    get_calendar_url = Meeting.get_calendar_url

    def __init__(
        self,
        pk,
        section,
        week,
        starts_at,
        ends_at,
        scheduled_starts_at,
        scheduled_ends_at,
        scheduled_room,
        room_override,
        is_rescheduled,
        status,
        public_note,
        sequence,
    ):
        self.pk, self.section, self.week = pk, section, week
        self.starts_at, self.ends_at = starts_at, ends_at
        self.scheduled_starts_at, self.scheduled_ends_at = scheduled_starts_at, scheduled_ends_at
        self.scheduled_room, self.room_override = scheduled_room, room_override
        self.is_rescheduled, self.status = is_rescheduled, status
        self.public_note, self.sequence = public_note, sequence

    @property
    def section_id(self):
        return self.section.pk

    @property
    def week_id(self):
        return self.week.pk


class DiscussionNote(models.Model):
    """A meeting's discussion notes, written by its leads. Every save is kept as a revision."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    # PROTECT: a meeting (or the week, section or term it belongs to) that holds notes cannot
    # be deleted by any path, so a lead's notes and their history are never lost in a cascade.
    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="note")
    body = models.TextField(blank=True, help_text="Markdown.")
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="discussion_notes"
    )
    version = models.PositiveIntegerField(
        default=0, help_text="The number of the latest revision; a save must name it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["meeting__starts_at", "pk"]

    def __str__(self):
        return f"Notes: {self.meeting}"

    def get_absolute_url(self):
        return self.meeting.get_absolute_url()

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED


class DiscussionNoteRevision(models.Model):
    """One saved version of a note: what it said, its status, who saved it and when."""

    note = models.ForeignKey(DiscussionNote, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=DiscussionNote.Status)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="discussion_note_revisions",
    )
    restored_from = models.PositiveIntegerField(
        null=True, blank=True, help_text="The revision whose text this one brought back."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["note", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["note", "number"], name="sections_discussionnoterevision_unique_number"
            ),
        ]

    def __str__(self):
        return f"{self.note}, version {self.number}"
