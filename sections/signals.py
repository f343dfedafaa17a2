"""What follows a change to the data meetings and calendar events come from: the one place.

Page caches need nothing here: database triggers move the data version on with every write
(core/freshness.py). What is left is the meetings' own data:

- **sync**: `sections.services.sync_meetings(term=…)` gives every section one meeting a week at
  the times its section and week imply (idempotent);
- **touch**: `Meeting.objects.….touch()` stamps meetings' `updated_at`, which calendar events
  carry as LAST-MODIFIED and DTSTAMP, when something an event shows changes elsewhere.

| change | made by | what follows |
|---|---|---|
| Term saved | syllabus's admin, `copy_term`, `loaddata` | sync the term, touch its meetings |
| Week saved | syllabus's admin (Week page, Term inline), `loaddata` | sync its term, touch |
| Section saved | sections' admin, `loaddata`, test factories | sync its term, touch |
| Week or Section deleted | the admin | touch the term's remaining meetings |
| Reading saved or deleted | syllabus's admin (Week inline, Reading page) | touch its week's |
| Paper saved | syllabus's admin, `import_papers`, `loaddata` | touch the meetings reading it |
| Meeting cancelled, moved, restored | its service (`cancel_meeting`, …) | send `meeting_changed` |

Receivers, because syllabus's admin and `import_papers` save terms, weeks, readings and papers
and must not import upward; and because `loaddata` calls no code of ours but sends these
signals, so a loaded fixture gets its meetings (its sections come after its weeks: that is why
a section's save has a receiver too). Meeting changes (`cancel_meeting`, `move_meeting`,
`restore_meeting`) stamp their own meeting. Bulk writes send no signals: `copy_term`,
`generate_demo` and `build_term` call `sync_meetings` themselves; `import_term` writes meetings
as exported.

Inside `one_sync_per_term()` the receivers only note what to do, and each term is synced and
touched once when the block ends, in its transaction: the Term admin wraps its saves in it, so
a term saved with 15 changed weeks inline syncs once rather than 16 times.

**Signals sections sends to the apps above it** (which must not be imported from here; they
connect receivers in their `AppConfig.ready()`):

- `meeting_changed`: sent by `cancel_meeting`, `move_meeting` and `restore_meeting` inside their
  transaction, after the meeting is saved and while its row is still locked, with `meeting`
  (saved; its `section.term` and `week` loaded), `before` and `after` (`MeetingState`s: times,
  room, status, public note), `by` (the user, or None) and `notify` (False when whoever made
  the change chose not to tell the members). Receivers write in the same transaction: if one
  raises, the change is rolled back; if the change is rolled back, so is what they wrote.
  `notifications` receives it (docs/notifications.md).
- `meeting_audience`: sent by the pages that change meetings (the lead's change page, the
  admin's actions) before a change, with `meetings` (a list); a receiver answers how many
  emails a change to each of them would send, summed (an int). `audience_of(meetings)` adds
  the answers up: None when no app answers (then nobody is told and the pages offer no
  choice).
"""

import contextlib
import contextvars

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from sections.models import Meeting, Section
from syllabus.models import Paper, Reading, Term, Week

meeting_changed = Signal()
meeting_audience = Signal()


def audience_of(meetings) -> int | None:
    """How many emails a change to each of `meetings` would send, as the apps that tell members
    count them (`meeting_audience`); None when no app would tell anyone."""
    answers = [
        answer
        for _, answer in meeting_audience.send(sender=Meeting, meetings=list(meetings))
        if answer is not None
    ]
    return sum(answers) if answers else None


# While a `one_sync_per_term()` block runs: term id -> True to sync it at the end, False to
# touch its meetings only.
_pending = contextvars.ContextVar("sections_pending_syncs", default=None)


@contextlib.contextmanager
def one_sync_per_term():
    """Sync (and touch) each term whose term, weeks or sections are saved in this block once,
    when it ends without an error (nothing runs if it raises). A nested block joins the outer."""
    if _pending.get() is not None:
        yield
        return
    pending = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    for term_id, sync in pending.items():
        if sync:
            _sync(term_id)
        else:
            _touch(term_id)


def _sync(term_id):
    # Imported here: sections.services imports this module (it sends `meeting_changed`).
    from sections.services import sync_meetings

    sync_meetings(term=Term(pk=term_id))
    _touch(term_id)


def _touch(term_id):
    Meeting.objects.for_term(term_id).touch()


def _term_changed(term_id, *, sync):
    pending = _pending.get()
    if pending is not None:
        pending[term_id] = pending.get(term_id, False) or sync
    elif sync:
        _sync(term_id)
    else:
        _touch(term_id)


@receiver(post_save, sender=Term, dispatch_uid="sections.sync_meetings.term")
def term_saved(sender, instance, **kwargs):
    _term_changed(instance.pk, sync=True)


@receiver(post_save, sender=Week, dispatch_uid="sections.sync_meetings.week")
def week_saved(sender, instance, **kwargs):
    _term_changed(instance.term_id, sync=True)


@receiver(post_save, sender=Section, dispatch_uid="sections.sync_meetings.section")
def section_saved(sender, instance, **kwargs):
    _term_changed(instance.term_id, sync=True)


@receiver(post_delete, sender=Week, dispatch_uid="sections.touch_meetings.week_deleted")
@receiver(post_delete, sender=Section, dispatch_uid="sections.touch_meetings.section_deleted")
def week_or_section_deleted(sender, instance, **kwargs):
    # The deleted one's meetings went with it; the feed's events must still move on.
    _term_changed(instance.term_id, sync=False)


@receiver(post_save, sender=Reading, dispatch_uid="sections.touch_meetings.reading_saved")
@receiver(post_delete, sender=Reading, dispatch_uid="sections.touch_meetings.reading_deleted")
def reading_changed(sender, instance, **kwargs):
    Meeting.objects.filter(week_id=instance.week_id).touch()


@receiver(post_save, sender=Paper, dispatch_uid="sections.touch_meetings.paper_saved")
def paper_saved(sender, instance, **kwargs):
    Meeting.objects.filter(week__readings__paper=instance).touch()
