"""Keep meetings in step with the weeks and sections they come from, and cached pages fresh.

Receivers rather than explicit calls because weeks and terms live in `syllabus`, which must not
import upward. The sync is idempotent and cheap (a handful of queries), so it simply runs on
every save. Fixtures (`loaddata`) also go through here, so a loaded term gets its meetings.

Calendar feeds answer conditional GETs from the meetings' `updated_at` (one aggregate query), so
anything an event shows that lives elsewhere — the term's name, a week's title or tagline, its
readings, a paper's title — also "touches" the meetings it appears in.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section
from sections.services import sync_meetings
from syllabus.caching import bump_site, bump_term
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


def _term_slug(term_id):
    return Term.objects.filter(pk=term_id).values_list("slug", flat=True).first()


@receiver(post_save, sender=Section, dispatch_uid="sections.cache.section_saved")
@receiver(post_delete, sender=Section, dispatch_uid="sections.cache.section_deleted")
def section_changed(sender, instance, **kwargs):
    bump_term(_term_slug(instance.term_id))


@receiver(m2m_changed, sender=Section.leads.through, dispatch_uid="sections.cache.leads")
def leads_changed(sender, instance, action, **kwargs):
    if not action.startswith("post_"):
        return
    if isinstance(instance, Section):
        bump_term(_term_slug(instance.term_id))
    else:
        bump_site()  # a user's sections changed from the user's side


@receiver(post_save, sender=Meeting, dispatch_uid="sections.cache.meeting_saved")
@receiver(post_delete, sender=Meeting, dispatch_uid="sections.cache.meeting_deleted")
def meeting_changed(sender, instance, **kwargs):
    bump_term(
        Term.objects.filter(sections=instance.section_id).values_list("slug", flat=True).first()
    )


@receiver(post_save, sender=DiscussionNoteRevision, dispatch_uid="sections.cache.note_saved")
@receiver(post_delete, sender=DiscussionNote, dispatch_uid="sections.cache.note_deleted")
def note_changed(sender, instance, **kwargs):
    # Every save of a note (services.save_note, restore_revision) adds a revision.
    meeting_id = (
        instance.note.meeting_id if sender is DiscussionNoteRevision else instance.meeting_id
    )
    bump_term(
        Term.objects.filter(sections__meetings=meeting_id).values_list("slug", flat=True).first()
    )
