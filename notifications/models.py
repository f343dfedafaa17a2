from django.db import models

from sections.models import Meeting, MeetingState


class MeetingChangeNoticeQuerySet(models.QuerySet):
    def latest_for(self, meeting):
        """`meeting`'s newest notice that was not withdrawn, or None."""
        return (
            self.filter(meeting=meeting, withdrawn_at__isnull=True)
            .order_by("-opened_at", "-pk")
            .first()
        )


class MeetingChangeNotice(models.Model):
    """The email a section's members get when one of its meetings is cancelled, moved or
    restored: one per change, or one for several changes made before it goes out.

    It keeps the meeting as the members last knew it (`before_*`); its messages (outbox rows
    keyed `meeting-change:<notice id>:<member id>`) always describe the meeting's latest state
    and go out at `send_after` (opened_at + MEETING_CHANGE_EMAIL_DELAY). A change that brings
    the meeting back to `before_*` before then withdraws it: nothing is sent.
    See notifications/services.py and docs/notifications.md.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="change_notices")
    before_starts_at = models.DateTimeField(null=True, blank=True)
    before_ends_at = models.DateTimeField(null=True, blank=True)
    before_room = models.CharField(max_length=100, blank=True)
    before_status = models.CharField(max_length=10, choices=Meeting.Status)
    before_public_note = models.CharField(max_length=300, blank=True)
    opened_at = models.DateTimeField(help_text="When the first change it tells of was made.")
    send_after = models.DateTimeField(help_text="When its messages go out.")
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a later change brought the meeting back as it was: nothing was sent.",
    )

    objects = MeetingChangeNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = "meeting change notice"
        ordering = ["-opened_at", "-pk"]

    def __str__(self):
        return f"Notice of a change to {self.meeting}"

    @property
    def key_prefix(self):
        return f"meeting-change:{self.pk}:"

    def key_for(self, member_id):
        return f"{self.key_prefix}{member_id}"

    @property
    def before(self) -> MeetingState:
        return MeetingState(
            starts_at=self.before_starts_at,
            ends_at=self.before_ends_at,
            room=self.before_room,
            status=self.before_status,
            public_note=self.before_public_note,
        )
