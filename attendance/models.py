import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Count, F, FilteredRelation, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse

from sections.models import Meeting, Section
from syllabus.models import validate_one_line


class MemberQuerySet(models.QuerySet):
    def on_roster_of(self, section):
        """The section's roster: its enrolled members and anyone who came to it before, each
        with `roster_name`, the name the section's leads know them by (the enrollment's display
        name, else the member's own), in that name's order."""
        # Driven from the section's enrollments and records (indexed), never a scan of every
        # member the group ever had: the roster's cost follows the roster, not the history.
        enrolled = Enrollment.objects.filter(section=section).values("member_id").order_by()
        attended = (
            AttendanceRecord.objects.filter(meeting__section=section).values("member_id").order_by()
        )
        # The enrollment's display name by a LEFT JOIN (one enrollment per member and section):
        # a subquery here ran twice a member, for the name and again for the order.
        enrollment = FilteredRelation("enrollments", condition=Q(enrollments__section=section))
        shown = NullIf(F("section_enrollment__display_name"), Value(""))
        return (
            self.filter(Q(pk__in=enrolled) | Q(pk__in=attended))
            .annotate(section_enrollment=enrollment)
            .annotate(roster_name=Coalesce(shown, F("name")))
            .order_by(Lower("roster_name"), "pk")
        )

    def with_enrolled_at(self, section):
        """Annotate `enrolled_at`: when the member joined `section` (None if they are not in
        it, e.g. a walk-in who is only in its records). No query of its own."""
        since = Enrollment.objects.filter(section=section, member=OuterRef("pk")).order_by()
        return self.annotate(enrolled_at=Subquery(since.values("created_at")[:1]))

    def with_record_for(self, meeting):
        """Annotate `saved_status`, `saved_remark`, `saved_version` and `saved_source` of
        `meeting`'s record (None without one): the whole roster and its marks in one query."""
        # One LEFT JOIN (a member has at most one record per meeting), not four subqueries.
        record = FilteredRelation(
            "attendance_records", condition=Q(attendance_records__meeting=meeting)
        )
        return self.annotate(meeting_record=record).annotate(
            saved_status=F("meeting_record__status"),
            saved_remark=F("meeting_record__remark"),
            saved_version=F("meeting_record__roster_version"),
            saved_source=F("meeting_record__source"),
        )

    def with_apology_for(self, meeting):
        """Annotate `apology_reason`: the reason of the member's "I can't come" for `meeting`
        ("" without a reason, None when they said nothing). No query of its own."""
        apology = FilteredRelation("apologies", condition=Q(apologies__meeting=meeting))
        return self.annotate(meeting_apology=apology).annotate(
            apology_reason=F("meeting_apology__reason")
        )

    def with_preparation_for(self, meeting):
        """Annotate `read_at` (when the member said "I've read it", else None) and `question`
        (their question for `meeting`, else None). No query of its own."""
        preparation = FilteredRelation("preparations", condition=Q(preparations__meeting=meeting))
        return self.annotate(meeting_preparation=preparation).annotate(
            read_at=F("meeting_preparation__read_at"),
            question=F("meeting_preparation__question"),
        )

    def roster_for(self, meeting):
        """The roster of `meeting`'s section, annotated for `meeting` as the roster page needs it:
        exactly `on_roster_of(meeting.section).with_record_for(meeting).with_apology_for(meeting)
        .with_preparation_for(meeting)` (tests/attendance/test_models.py compares the two), as a
        list, from that query written out in SQL.

        The page's hottest query: the ORM took 0.8 ms to build it and 0.6 ms to compile it on
        every request (its four FilteredRelations), four times what running it costs."""
        roster = self.raw(
            f"""
            SELECT m.id, m.name, m.email, m.affiliation, m.user_id, m.created_at,
                m.calendar_secret, {ROSTER_NAME} AS roster_name,
                r.status AS saved_status, r.remark AS saved_remark,
                r.roster_version AS saved_version, r.source AS saved_source,
                a.reason AS apology_reason, p.read_at, p.question
            FROM attendance_member m
            LEFT OUTER JOIN attendance_enrollment e ON m.id = e.member_id AND e.section_id = %s
            LEFT OUTER JOIN attendance_attendancerecord r
                ON m.id = r.member_id AND r.meeting_id = %s
            LEFT OUTER JOIN attendance_apology a ON m.id = a.member_id AND a.meeting_id = %s
            LEFT OUTER JOIN attendance_preparation p ON m.id = p.member_id AND p.meeting_id = %s
            WHERE {ON_ROSTER}
            ORDER BY LOWER({ROSTER_NAME}), m.id
            """,
            [meeting.section_id, meeting.pk, meeting.pk, meeting.pk, *[meeting.section_id] * 2],
        )
        return _converted(roster, read_at=Preparation._meta.get_field("read_at"))

    def report_roster(self, section):
        """`on_roster_of(section).with_enrolled_at(section)`, the section report's query, as a
        list, from that query written out in SQL (as `roster_for`, and for the same reason: the
        ORM spent 1 ms building and compiling it per report; tests/attendance/test_models.py
        compares the two). `enrolled_at` is read from the enrollment the name comes from (one
        per member and section)."""
        roster = self.raw(
            f"""
            SELECT m.id, m.name, m.email, m.affiliation, m.user_id, m.created_at,
                m.calendar_secret, {ROSTER_NAME} AS roster_name, e.created_at AS enrolled_at
            FROM attendance_member m
            LEFT OUTER JOIN attendance_enrollment e ON m.id = e.member_id AND e.section_id = %s
            WHERE {ON_ROSTER}
            ORDER BY LOWER({ROSTER_NAME}), m.id
            """,
            [section.pk] * 3,
        )
        return _converted(roster, enrolled_at=Enrollment._meta.get_field("created_at"))

    def find_by_email(self, email):
        """The member with `email`, whatever its capitals (None for no email: many members
        have none, and none of them is "the" member without one)."""
        if not email.strip():
            return None
        return self.filter(email__iexact=email.strip()).first()

    def of_user(self, user):
        """The member `user` signs in as (None for anonymous users and users who are no member)."""
        if not user.is_authenticated:
            return None
        return self.filter(user=user).order_by("pk").first()


# The parts of the roster's SQL (MemberQuerySet.roster_for): the name the section's leads know a
# member by, and who is on the section's roster (its enrolled members and anyone who came),
# for a member `m` and the enrollment `e` in the section given as the query's last two values.
ROSTER_NAME = "COALESCE(NULLIF(e.display_name, ''), m.name)"
ON_ROSTER = """(
    m.id IN (SELECT member_id FROM attendance_enrollment WHERE section_id = %s)
    OR m.id IN (
        SELECT r0.member_id FROM attendance_attendancerecord r0
        INNER JOIN sections_meeting mt0 ON r0.meeting_id = mt0.id WHERE mt0.section_id = %s
    )
)"""


def _converted(raw, **fields):
    """The members of `raw` (a RawQuerySet) with their columns named in `fields` converted as
    the ORM converts a value of that model field (SQLite gives date-times as text): a raw
    query converts the model's own fields only."""
    connection = connections[raw.db]
    members = list(raw)
    for name, field in fields.items():
        column = field.get_col(field.model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        for member in members:
            value = getattr(member, name)
            for converter in converters:
                value = converter(value, column, connection)
            setattr(member, name, value)
    return members


def new_calendar_secret():
    return secrets.token_urlsafe(32)


class Member(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(
        max_length=254,
        blank=True,
        help_text="Unique, whatever the capitalisation; blank for a walk-in who gave none.",
    )
    affiliation = models.CharField(
        max_length=200, blank=True, help_text="For example “MIT EECS” or “Harvard”."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attendance_members",
        help_text="Optional: the site account of this member, if they have one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    calendar_secret = models.CharField(
        max_length=64,
        unique=True,
        default=new_calendar_secret,
        editable=False,
        help_text="The secret in the address of the member's own calendar feed.",
    )

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name"), "pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="attendance_member_unique_email",
                violation_error_code="unique_email",
                violation_error_message="A member with this email already exists.",
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.email else self.name

    def get_calendar_url(self):
        return reverse("members:calendar", kwargs={"secret": self.calendar_secret})

    def reset_calendar_secret(self):
        """A new address for the member's calendar feed: the old one stops working at once."""
        self.calendar_secret = new_calendar_secret()
        self.save(update_fields=["calendar_secret"])

    def personal_data(self):
        """Everything the site keeps about this member, for "Download my data": a dict that
        `json.dumps` takes as it is, dates and times in ISO 8601 (times in UTC, a meeting's
        date in its term's time zone). Four queries, whatever the history."""
        enrollments = self.enrollments.select_related("section__term").order_by("created_at", "pk")
        in_order = ("meeting__starts_at", "meeting__pk")
        meetings = ("meeting__section__term", "meeting__week")
        return {
            "name": self.name,
            "email": self.email,
            "affiliation": self.affiliation,
            "member_since": _iso(self.created_at),
            "enrollments": [
                {
                    "term": e.section.term.name,
                    "section": e.section.name,
                    "since": _iso(e.created_at),
                }
                for e in enrollments
            ],
            "attendance": [
                {**_meeting_data(r.meeting), "status": r.status, "remark": r.remark}
                for r in self.attendance_records.select_related(*meetings).order_by(*in_order)
            ],
            "apologies": [
                {**_meeting_data(a.meeting), "reason": a.reason, "sent_at": _iso(a.created_at)}
                for a in self.apologies.select_related(*meetings).order_by(*in_order)
            ],
            "preparations": [
                {
                    **_meeting_data(p.meeting),
                    "read": p.read_at is not None,
                    "read_at": _iso(p.read_at),
                    "question": p.question,
                    "updated_at": _iso(p.updated_at),
                }
                for p in self.preparations.select_related(*meetings).order_by(*in_order)
            ],
        }


def _iso(moment):
    """A date or datetime in ISO 8601 (datetimes in UTC), or None."""
    if moment is None:
        return None
    if isinstance(moment, datetime.datetime):
        return moment.astimezone(datetime.UTC).isoformat()
    return moment.isoformat()


def _meeting_data(meeting):
    """Which meeting, for a member's data: its term, section, week and date (in the term's
    time zone; None while it has no date)."""
    start = meeting.local_start()
    return {
        "term": meeting.section.term.name,
        "section": meeting.section.name,
        "week": meeting.week.number,
        "date": _iso(start.date()) if start else None,
    }


class Enrollment(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="enrollments")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="enrollments")
    display_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="The name this section's leads see, when a lead enrolled someone they did not "
        "know by another section (blank: the member's own name).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["section", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "section"], name="attendance_enrollment_unique_member_section"
            ),
        ]

    def __str__(self):
        return f"{self.member.name} in {self.section}"


class AttendanceRecordQuerySet(models.QuerySet):
    def for_section(self, section):
        return self.filter(meeting__section=section)

    def changed_since(self, meeting, version):
        """`meeting`'s records written by roster saves after `version`, oldest change first."""
        return (
            self.filter(meeting=meeting, roster_version__gt=version)
            .select_related("member", "recorded_by")
            .order_by("roster_version", Lower("member__name"))
        )

    def roster_version(self, meeting):
        """How many roster saves have changed `meeting`'s records (0 before the first)."""
        return self.filter(meeting=meeting).aggregate(v=Max("roster_version"))["v"] or 0


class AttendanceRecord(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        LATE = "late", "Late"
        EXCUSED = "excused", "Excused"
        ABSENT = "absent", "Absent"

    class Source(models.TextChoices):
        LEAD = "lead", "Lead"
        SELF = "self", "Self check-in"
        WALK_IN = "walk-in", "Walk-in check-in"

    ATTENDED = (Status.PRESENT, Status.LATE)

    # PROTECT: a meeting holding attendance (or its week, section or term) cannot be deleted
    # by any path; the records go only when deleted themselves.
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="attendance_records"
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="attendance_records")
    status = models.CharField(max_length=10, choices=Status)
    remark = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recorded_attendance",
    )
    recorded_at = models.DateTimeField()
    roster_version = models.PositiveIntegerField(
        default=0,
        help_text="The roster save that last changed this record (for concurrent-save checks).",
    )
    source = models.CharField(
        max_length=10,
        choices=Source,
        default=Source.LEAD,
        help_text="How the record was made: by a lead, by the member checking in at the door, or "
        "by someone new checking in as a walk-in. A lead's record is never changed by a check-in.",
    )

    objects = AttendanceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"], name="attendance_record_unique_meeting_member"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["present", "late", "excused", "absent"]),
                name="attendance_record_known_status",
            ),
            models.CheckConstraint(
                condition=Q(source__in=["lead", "self", "walk-in"]),
                name="attendance_record_known_source",
            ),
        ]

    def __str__(self):
        return f"{self.member.name}: {self.get_status_display()} ({self.meeting})"

    def get_absolute_url(self):
        return reverse("attendance:roster", kwargs={"pk": self.meeting_id})

    def clean(self):
        if self.meeting_id and self.meeting.is_cancelled:
            raise ValidationError(
                "This meeting was cancelled: attendance cannot be recorded.", code="cancelled"
            )


class LinkRequestQuerySet(models.QuerySet):
    def since(self, moment):
        return self.filter(created_at__gte=moment)


class LinkRequest(models.Model):
    """One request for an email with a link (a sign-in link, a join confirmation), kept for an
    hour to throttle them per email address and per client address. In the database, so that
    every server process counts the same requests. The address is kept as a keyed hash: the
    table holds no address of anyone who is not a member."""

    email_key = models.CharField(max_length=64)
    client = models.CharField(max_length=45, blank=True, help_text="The client's IP address.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = LinkRequestQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["email_key", "created_at"], name="attendance_linkreq_email"),
            models.Index(fields=["client", "created_at"], name="attendance_linkreq_client"),
        ]

    def __str__(self):
        return f"Link request from {self.client or 'unknown'} at {self.created_at:%Y-%m-%d %H:%M}"


class ApologyQuerySet(models.QuerySet):
    def of_member(self, member):
        return self.filter(member=member)


class Apology(models.Model):
    """A member's "I can't come" for one meeting of their section, said before it starts. The
    lead's roster shows it and pre-marks them excused; it is not attendance itself: a record
    the lead saves always wins. Its own row, not a field of a wider member × meeting model:
    it has its own life (undone by deleting it) and the roster reads it with one subquery."""

    REASON_MAX_LENGTH = 300

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="apologies")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="apologies")
    reason = models.CharField(
        max_length=REASON_MAX_LENGTH, blank=True, validators=[validate_one_line]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApologyQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "member"]
        verbose_name_plural = "apologies"
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"], name="attendance_apology_unique_meeting_member"
            ),
        ]

    def __str__(self):
        return f"{self.member.name} can't come ({self.meeting})"

    def get_absolute_url(self):
        return reverse("members:me")


class PreparationQuerySet(models.QuerySet):
    def questions(self):
        """The ones holding a question, oldest first (the order they were asked in)."""
        return self.exclude(question="").order_by("created_at", "pk")


class Preparation(models.Model):
    """What a member did before a meeting of their section: "I've read it" (`read_at`) and one
    question or comment (plain text). The section's leads see both with the member's name;
    after the meeting starts, the section's members see the questions without names. One row
    per member and meeting, deleted when it holds neither."""

    QUESTION_MAX_LENGTH = 1000

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="preparations")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="preparations")
    read_at = models.DateTimeField(null=True, blank=True)
    question = models.TextField(max_length=QUESTION_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PreparationQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"], name="attendance_preparation_unique_meeting_member"
            ),
        ]

    def __str__(self):
        return f"{self.member.name} before {self.meeting}"

    def get_absolute_url(self):
        return reverse("members:questions", kwargs={"pk": self.meeting_id})


def ordinal(number):
    """1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st."""
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


class WaitingListEntryQuerySet(models.QuerySet):
    def in_line(self):
        """First come, first served: the order places are given in."""
        return self.order_by("created_at", "pk")

    def with_position(self):
        """Annotate `position`: 1 for the first in line of the entry's section, 2 for the next…
        One subquery (no query of its own), whatever the number of entries."""
        ahead = (
            WaitingListEntry.objects.filter(section=OuterRef("section"))
            .filter(
                Q(created_at__lt=OuterRef("created_at"))
                | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
            )
            .order_by()
            .values("section")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(position=Coalesce(Subquery(ahead), 0) + 1)


class WaitingListEntry(models.Model):
    """A member waiting for a place in a full section (`Section.capacity`). When a place frees
    up, the first in line is enrolled and told by email (`attendance.services.fill_free_places`);
    a member enrolled in the section has no entry in its line."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="waiting_list")
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="waiting_list_entries"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WaitingListEntryQuerySet.as_manager()

    class Meta:
        ordering = ["section", "created_at", "pk"]
        verbose_name = "waiting-list place"
        verbose_name_plural = "waiting-list places"
        constraints = [
            models.UniqueConstraint(
                fields=["section", "member"], name="attendance_waitinglist_unique_section_member"
            ),
        ]
        indexes = [
            models.Index(fields=["section", "created_at"], name="attendance_waitinglist_line"),
        ]

    def __str__(self):
        return f"{self.member.name} waiting for {self.section}"

    def get_absolute_url(self):
        return reverse("members:me")

    @property
    def in_line(self):
        """ "3rd in line" (needs `with_position()`)."""
        return f"{ordinal(self.position)} in line"


class CheckInAttemptQuerySet(models.QuerySet):
    def since(self, moment):
        return self.filter(created_at__gte=moment)


class CheckInAttempt(models.Model):
    """One attempt at checking in, kept for a day to throttle them (docs/checkin.md): a wrong
    code typed from a client address, or an email checked in from a client to a meeting. In the
    database, so that every server process counts the same attempts; the email as a keyed hash,
    like LinkRequest's."""

    class Kind(models.TextChoices):
        WRONG_CODE = "wrong-code", "Wrong code"
        EMAIL = "email", "Email checked in"

    kind = models.CharField(max_length=10, choices=Kind)
    client = models.CharField(max_length=45, blank=True, help_text="The client's IP address.")
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="checkin_attempts",
    )
    email_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = CheckInAttemptQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["client", "kind", "created_at"], name="attendance_checkin_client"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.client or 'unknown'}"
