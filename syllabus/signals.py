"""Cached public pages follow every change to the syllabus (see syllabus/caching.py)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from syllabus.caching import bump_site, bump_term
from syllabus.models import Paper, Reading, Term, Week


@receiver(post_save, sender=Term, dispatch_uid="syllabus.cache.term_saved")
@receiver(post_delete, sender=Term, dispatch_uid="syllabus.cache.term_deleted")
def term_changed(sender, instance, **kwargs):
    bump_site()
    bump_term(instance.slug)


@receiver(m2m_changed, sender=Term.organizers.through, dispatch_uid="syllabus.cache.organizers")
def organizers_changed(sender, instance, action, **kwargs):
    if action.startswith("post_") and isinstance(instance, Term):
        bump_term(instance.slug)
    elif action.startswith("post_"):
        bump_site()


@receiver(post_save, sender=Week, dispatch_uid="syllabus.cache.week_saved")
@receiver(post_delete, sender=Week, dispatch_uid="syllabus.cache.week_deleted")
def week_changed(sender, instance, created=False, **kwargs):
    if created or kwargs["signal"] is post_delete:
        bump_site()  # the term's span, and so which term is current, may change
    bump_term(Term.objects.filter(pk=instance.term_id).values_list("slug", flat=True).first())


@receiver(post_save, sender=Reading, dispatch_uid="syllabus.cache.reading_saved")
@receiver(post_delete, sender=Reading, dispatch_uid="syllabus.cache.reading_deleted")
def reading_changed(sender, instance, **kwargs):
    bump_term(*Term.objects.filter(weeks=instance.week_id).values_list("slug", flat=True))


@receiver(post_save, sender=Paper, dispatch_uid="syllabus.cache.paper_saved")
def paper_changed(sender, instance, **kwargs):
    bump_term(
        *Term.objects.filter(weeks__readings__paper=instance)
        .values_list("slug", flat=True)
        .distinct()
    )


@receiver(post_save, sender=get_user_model(), dispatch_uid="syllabus.cache.user_saved")
def person_changed(sender, instance, update_fields=None, **kwargs):
    # Names of organizers and leads appear on pages; a login only stamps last_login.
    if update_fields is None or set(update_fields) != {"last_login"}:
        bump_site()
