from django.db import transaction

from sections.models import Meeting, Section
from syllabus.models import Term, Week


@transaction.atomic
def sync_meetings(*, term: Term) -> list[Meeting]:
    """Give every section of `term` exactly one meeting per week, at the times they imply.

    Idempotent: run it after any change to the term's weeks, sections or first Monday. It creates
    missing meetings and moves existing ones to the date and time their section and week give
    now; it never touches status, room override or public note, and never deletes (a week or
    section that goes takes its meetings with it through the foreign key).
    """
    term = Term.objects.get(pk=term.pk)  # fresh dates and time zone
    weeks = list(Week.objects.filter(term=term))
    sections = list(Section.objects.filter(term=term))
    for week in weeks:
        week.term = term
    for section in sections:
        section.term = term
    existing = {(m.section_id, m.week_id): m for m in Meeting.objects.filter(section__term=term)}
    to_create, to_update = [], []
    for section in sections:
        for week in weeks:
            times = section.local_times(week)
            starts_at, ends_at = times if times else (None, None)
            meeting = existing.get((section.pk, week.pk))
            if meeting is None:
                to_create.append(
                    Meeting(section=section, week=week, starts_at=starts_at, ends_at=ends_at)
                )
            elif meeting.starts_at != starts_at or meeting.ends_at != ends_at:
                meeting.starts_at, meeting.ends_at = starts_at, ends_at
                to_update.append(meeting)
    Meeting.objects.bulk_create(to_create)
    Meeting.objects.bulk_update(to_update, ["starts_at", "ends_at"])
    return Meeting.objects.filter(section__term=term)
