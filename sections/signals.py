"""Keep meetings in step with the weeks and sections they come from.

Receivers rather than explicit calls because weeks and terms live in `syllabus`, which must not
import upward. The sync is idempotent and cheap (a handful of queries), so it simply runs on
every save. Fixtures (`loaddata`) also go through here, so a loaded term gets its meetings.

Calendar feeds answer conditional GETs from the meetings' `updated_at` (one aggregate query), so
anything an event shows that lives elsewhere — the term's name, a week's title or tagline, its
readings, a paper's title — also "touches" the meetings it appears in.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from sections.models import Meeting, Section
from sections.services import sync_meetings
from syllabus.models import Paper, Reading, Term, Week


def _sync(term_id):
    sync_meetings(term=Term(pk=term_id))
    Meeting.objects.for_term(term_id).touch()


@receiver(post_save, sender=Term, dispatch_uid="sections.sync_meetings.term")
def term_saved(sender, instance, **kwargs):
    _sync(instance.pk)


@receiver(post_save, sender=Week, dispatch_uid="sections.sync_meetings.week")
def week_saved(sender, instance, **kwargs):
    _sync(instance.term_id)


@receiver(post_save, sender=Section, dispatch_uid="sections.sync_meetings.section")
def section_saved(sender, instance, **kwargs):
    _sync(instance.term_id)


@receiver(post_delete, sender=Week, dispatch_uid="sections.touch_meetings.week_deleted")
@receiver(post_delete, sender=Section, dispatch_uid="sections.touch_meetings.section_deleted")
def week_or_section_deleted(sender, instance, **kwargs):
    # The deleted one's meetings went with it; the feed's Last-Modified must still move on.
    Meeting.objects.for_term(instance.term_id).touch()


@receiver(post_save, sender=Reading, dispatch_uid="sections.touch_meetings.reading_saved")
@receiver(post_delete, sender=Reading, dispatch_uid="sections.touch_meetings.reading_deleted")
def reading_changed(sender, instance, **kwargs):
    Meeting.objects.filter(week_id=instance.week_id).touch()


@receiver(post_save, sender=Paper, dispatch_uid="sections.touch_meetings.paper_saved")
def paper_saved(sender, instance, **kwargs):
    Meeting.objects.filter(week__readings__paper=instance).touch()
