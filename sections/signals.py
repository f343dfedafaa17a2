"""Keep meetings in step with the weeks and sections they come from.

Receivers rather than explicit calls because weeks and terms live in `syllabus`, which must not
import upward. The sync is idempotent and cheap (a handful of queries), so it simply runs on
every save. Fixtures (`loaddata`) also go through here, so a loaded term gets its meetings.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from sections.models import Section
from sections.services import sync_meetings
from syllabus.models import Term, Week


def _sync(term_id):
    sync_meetings(term=Term(pk=term_id))


@receiver(post_save, sender=Term, dispatch_uid="sections.sync_meetings.term")
def term_saved(sender, instance, **kwargs):
    _sync(instance.pk)


@receiver(post_save, sender=Week, dispatch_uid="sections.sync_meetings.week")
def week_saved(sender, instance, **kwargs):
    _sync(instance.term_id)


@receiver(post_save, sender=Section, dispatch_uid="sections.sync_meetings.section")
def section_saved(sender, instance, **kwargs):
    _sync(instance.term_id)
