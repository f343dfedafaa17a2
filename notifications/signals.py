"""notifications' receivers of what sections tells the apps above it (sections/signals.py):
lower apps never import this one."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from notifications.reminders import withdraw_unsent_reminders
from notifications.services import count_audience, note_meeting_change, withdraw_notices
from sections.models import Meeting
from sections.signals import meeting_audience, meeting_changed


@receiver(meeting_changed, dispatch_uid="notifications.meeting_changed")
def meeting_changed_received(sender, meeting, before, after, notify, **kwargs):
    note_meeting_change(meeting=meeting, before=before, after=after, notify=notify)


@receiver(meeting_audience, dispatch_uid="notifications.meeting_audience")
def meeting_audience_asked(sender, meetings, **kwargs):
    return count_audience(meetings)


@receiver(pre_delete, sender=Meeting, dispatch_uid="notifications.meeting_deleted")
def meeting_deleted(sender, instance, **kwargs):
    withdraw_notices(meeting=instance)


@receiver(meeting_changed, dispatch_uid="notifications.reminders.meeting_changed")
def meeting_changed_withdraws_reminders(sender, meeting, before, **kwargs):
    withdraw_unsent_reminders(meeting=meeting, before=before)


@receiver(pre_delete, sender=Meeting, dispatch_uid="notifications.reminders.meeting_deleted")
def meeting_deleted_withdraws_reminders(sender, instance, **kwargs):
    withdraw_unsent_reminders(meeting=instance, before=instance.state())
