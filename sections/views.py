from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.caching import cache_public_page
from core.cors import allow_any_origin
from sections.calendars import (
    UID_DOMAIN,
    meeting_uid,
    meetings_calendar,
    one_line,
    subscribe_links,
)
from sections.forms import (
    DiscussionNoteForm,
    MeetingCancelForm,
    MeetingMoveForm,
    MeetingRestoreForm,
)
from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section, next_meeting
from sections.services import (
    NoteConflictError,
    cancel_meeting,
    move_meeting,
    restore_meeting,
    restore_revision,
    save_note,
)
from syllabus.markup import render_markdown
from syllabus.models import Term, Week
from syllabus.roles import is_organizer

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"


@cache_public_page
def home(request):
    """`/`: the current term's schedule (the same page as `/terms/<term>/`)."""
    term = Term.objects.current()
    if term is None:
        return render(request, "sections/no_term.html")
    return _render_schedule(request, term)


@cache_public_page
def term_schedule(request, term):
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    return _render_schedule(request, term)


def _render_schedule(request, term):
    weeks = list(term.weeks.with_readings())
    Meeting.objects.for_term(term).attach_to_weeks(weeks)
    sections = list(term.sections.with_leads())
    today = term.today()
    context = {
        "term": term,
        "weeks": weeks,
        "sections": sections,
        "organizers": term.organizers.order_by("pk"),
        "current_week": next((week for week in weeks if week.covers(today)), None),
        "next_meeting": next_meeting(m for week in weeks for m in week.section_meetings),
        "calendar": subscribe_links(
            request, reverse("sections:term-calendar", kwargs={"term": term.slug})
        ),
    }
    return render(request, "sections/term_schedule.html", context)


@cache_public_page
def week_detail(request, term, number):
    week = get_object_or_404(
        Week.objects.with_readings().select_related("term"),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        number=number,
    )
    meetings = list(
        Meeting.objects.for_week(week)
        .in_section_order()
        .with_notes()
        .prefetch_related("section__leads")
    )
    for meeting in meetings:
        meeting.week = week
        meeting.may_manage = meeting.section.is_managed_by(request.user)
        meeting.shown_note = meeting.note_for(may_manage=meeting.may_manage)
    context = {
        "term": week.term,
        "week": week,
        "meetings": meetings,
        "is_current": week.covers(week.term.today()),
        "is_organizer": is_organizer(request.user),
    }
    return render(request, "sections/week_detail.html", context)


@cache_public_page
def section_detail(request, term, section):
    section = get_object_or_404(
        Section.objects.select_related("term").with_leads(),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        slug=section,
    )
    meetings = list(section.meetings.select_related("week").with_notes().order_by("week__number"))
    may_manage = section.is_managed_by(request.user)
    for meeting in meetings:
        # The term (slug, time zone) is loaded once; links and local times need it.
        meeting.section = section
        meeting.week.term = section.term
        meeting.may_manage = may_manage
        meeting.shown_note = meeting.note_for(may_manage=may_manage)
    calendar_path = reverse(
        "sections:section-calendar", kwargs={"term": section.term.slug, "section": section.slug}
    )
    context = {
        "term": section.term,
        "section": section,
        "meetings": meetings,
        "next_meeting": next_meeting(meetings),
        "calendar": subscribe_links(request, calendar_path),
        "can_change": may_manage,
    }
    return render(request, "sections/section_detail.html", context)


# --- Meeting changes (leads and organizers) ---------------------------------------------------


def _apply(form, change):
    """Validate `form`, then call `change(**cleaned_data)`; a service's ValidationError goes next
    to the form's fields. True when the change was made."""
    if not form.is_valid():
        return False
    try:
        change(**form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def meeting_change(request, pk):
    """Cancel, move or restore one meeting: its section's leads and organizers only (else 404)."""
    meeting = get_object_or_404(
        Meeting.objects.manageable_by(request.user).select_related(
            "section__term", "week", "changed_by"
        ),
        pk=pk,
    )
    meeting.week.term = meeting.section.term  # for the week's URL
    move_form = MeetingMoveForm(meeting=meeting)
    cancel_form = MeetingCancelForm()
    restore_form = MeetingRestoreForm()
    label = f"The {meeting.section.name} meeting of week {meeting.week.number}"
    if request.method == "POST":
        if "cancel" in request.POST:
            cancel_form = MeetingCancelForm(request.POST)
            done = _apply(
                cancel_form,
                lambda reason: cancel_meeting(meeting=meeting, reason=reason, by=request.user),
            )
            message = f"{label} is cancelled."
        elif "move" in request.POST:
            move_form = MeetingMoveForm(request.POST, meeting=meeting)
            done = _apply(
                move_form, lambda **data: move_meeting(meeting=meeting, by=request.user, **data)
            )
            message = f"{label} is moved."
        elif "restore" in request.POST:
            restore_form = MeetingRestoreForm(request.POST)
            done = _apply(restore_form, lambda: restore_meeting(meeting=meeting, by=request.user))
            message = f"{label} is back at its regular time and room."
        else:
            raise Http404("Unknown change.")
        if done:
            messages.success(request, message)
            return redirect("sections:meeting-change", pk=meeting.pk)
        messages.error(request, "Nothing was changed: see the message below.")
    context = {
        "term": meeting.section.term,
        "meeting": meeting,
        "move_form": move_form,
        "cancel_form": cancel_form,
        "restore_form": restore_form,
    }
    return render(request, "sections/meeting_form.html", context)


# --- Calendar feeds (RFC 5545) and JSON -------------------------------------------------------
#
# Conditional GET (ETag from the body, Last-Modified from the data version) is answered by the
# page cache (core/caching.py), which every write moves on, however it is made.


def _calendar_response(body, filename, *, attachment=False):
    response = HttpResponse(body, content_type=CALENDAR_CONTENT_TYPE)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@allow_any_origin
@cache_public_page
def term_calendar(request, term):
    """`/terms/<term>/calendar.ics`: every meeting of every section."""
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    meetings = Meeting.objects.for_term(term).for_calendar().order_by("starts_at", "pk")
    body = meetings_calendar(
        name=f"{one_line(term.title)} ({one_line(term.name)})",
        uid=f"term-{term.pk}@{UID_DOMAIN}",
        term=term,
        meetings=meetings,
        request=request,
    )
    return _calendar_response(body, f"{term.slug}.ics")


@allow_any_origin
@cache_public_page
def section_calendar(request, term, section):
    """`/terms/<term>/sections/<section>/calendar.ics`: one section's meetings."""
    section = get_object_or_404(
        Section.objects.select_related("term"),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        slug=section,
    )
    meetings = section.meetings.for_calendar().order_by("starts_at", "pk")
    body = meetings_calendar(
        name=(
            f"{one_line(section.term.title)} "
            f"({one_line(section.term.name)}, {one_line(section.name)})"
        ),
        uid=f"section-{section.pk}@{UID_DOMAIN}",
        term=section.term,
        meetings=meetings,
        request=request,
    )
    return _calendar_response(body, f"{section.term.slug}-{section.slug}.ics")


@allow_any_origin
@cache_public_page
def meeting_calendar(request, term, section, number):
    """`/terms/<term>/sections/<section>/meetings/<n>.ics`: one meeting, to add by hand."""
    meeting = (
        Meeting.objects.for_calendar()
        .filter(
            section__term__in=Term.objects.visible_to(request.user),
            section__term__slug=term,
            section__slug=section,
            week__number=number,
        )
        .first()
    )
    if meeting is None or meeting.starts_at is None:
        raise Http404("No such meeting.")
    body = meetings_calendar(
        name=(
            f"{one_line(meeting.section.term.name)}: {one_line(meeting.section.name)}, "
            f"week {meeting.week.number}"
        ),
        uid=f"meeting-file-{meeting.pk}@{UID_DOMAIN}",
        term=meeting.section.term,
        meetings=[meeting],
        request=request,
    )
    filename = f"{meeting.section.term.slug}-{meeting.section.slug}-week-{meeting.week.number}.ics"
    return _calendar_response(body, filename, attachment=True)


# schedule.json's version, and its schema's name (static/schema/schedule-v1.json, served at
# /schema/schedule-v1.json): see docs/exports.md for what a version keeps.
SCHEDULE_VERSION = 1


@allow_any_origin
@cache_public_page
def schedule_json(request, term):
    """`/terms/<term>/schedule.json`: the term, its weeks with readings, sections with meetings."""
    term = get_object_or_404(Term.objects.visible_to(request.user), slug=term)
    weeks = list(term.weeks.with_readings())
    sections = list(term.sections.with_leads())
    week_by_pk = {week.pk: week for week in weeks}
    section_by_pk = {section.pk: section for section in sections}
    meetings_by_section = {section.pk: [] for section in sections}
    for meeting in Meeting.objects.for_term(term).order_by("week__number", "pk"):
        meeting.section = section_by_pk[meeting.section_id]
        meeting.week = week_by_pk[meeting.week_id]
        meetings_by_section[meeting.section_id].append(meeting)
    for week in weeks:
        week.term = term
    for section in sections:
        section.term = term

    def url(path):
        return request.build_absolute_uri(path)

    def local(moment):
        return moment.astimezone(term.tz).isoformat() if moment else None

    data = {
        "$schema": url(reverse("json-schema", kwargs={"name": f"schedule-v{SCHEDULE_VERSION}"})),
        "version": SCHEDULE_VERSION,
        "term": {
            "name": term.name,
            "slug": term.slug,
            "title": term.title,
            "institution": term.institution,
            "time_zone": term.time_zone,
            "first_monday": term.first_monday.isoformat() if term.first_monday else None,
            "url": url(term.get_absolute_url()),
            "calendar": url(reverse("sections:term-calendar", kwargs={"term": term.slug})),
        },
        "weeks": [
            {
                "number": week.number,
                "title": week.title,
                "tagline": week.tagline,
                "starts_on": week.starts_on.isoformat() if week.starts_on else None,
                "ends_on": week.ends_on.isoformat() if week.ends_on else None,
                "url": url(week.get_absolute_url()),
                "readings": [
                    {
                        "title": reading.paper.title,
                        "authors": reading.paper.authors,
                        "year": reading.paper.year,
                        "kind": reading.kind,
                        "note": reading.note,
                        "url": reading.paper.primary_url,
                        "arxiv_id": reading.paper.arxiv_id,
                        "doi": reading.paper.doi,
                    }
                    for reading in week.readings.all()
                ],
            }
            for week in weeks
        ],
        "sections": [
            {
                "name": section.name,
                "slug": section.slug,
                "weekday": section.get_weekday_display(),
                "start_time": section.start_time.isoformat("minutes"),
                "end_time": section.end_time.isoformat("minutes"),
                "room": section.room,
                "leads": [lead.get_full_name() or lead.username for lead in section.leads.all()],
                "url": url(section.get_absolute_url()),
                "calendar": url(
                    reverse(
                        "sections:section-calendar",
                        kwargs={"term": term.slug, "section": section.slug},
                    )
                ),
                "meetings": [
                    {
                        "id": meeting.pk,
                        "uid": meeting_uid(meeting),
                        "week": meeting.week.number,
                        "starts_at": local(meeting.starts_at),
                        "ends_at": local(meeting.ends_at),
                        "room": meeting.room,
                        "status": meeting.status,
                        "note": meeting.public_note,
                        "moved": meeting.is_moved,
                        "regular_starts_at": local(meeting.scheduled_starts_at),
                        "regular_room": meeting.scheduled_room,
                        "sequence": meeting.sequence,
                    }
                    for meeting in meetings_by_section[section.pk]
                ],
            }
            for section in sections
        ],
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})


def _note_page_context(meeting, **extra):
    return {"term": meeting.section.term, "meeting": meeting, **extra}


def _manageable_meeting(request, meeting_id):
    """The meeting if `request.user` may manage it (its leads, organizers), else 404."""
    meeting = get_object_or_404(
        Meeting.objects.manageable_by(request.user).select_related("section__term", "week"),
        pk=meeting_id,
    )
    meeting.week.term = meeting.section.term  # for links, without another query
    return meeting


@login_required
def note_edit(request, meeting):
    """A lead writes their meeting's notes: preview, save as draft or publish."""
    meeting = _manageable_meeting(request, meeting)
    note = DiscussionNote.objects.filter(meeting=meeting).first()
    instance = note or DiscussionNote(meeting=meeting)
    preview = theirs = None
    status = 200
    if request.method == "POST":
        form = DiscussionNoteForm(request.POST, instance=instance)
        if form.is_valid() and "preview" in request.POST:
            preview = render_markdown(form.cleaned_data["body"])
        elif form.is_valid():
            try:
                saved = save_note(
                    meeting=meeting,
                    body=form.cleaned_data["body"],
                    status=form.cleaned_data["status"],
                    author=request.user,
                    expected_version=form.cleaned_data["version"],
                )
            except NoteConflictError as conflict:
                theirs = conflict.current
                data = request.POST.copy()
                data["version"] = theirs.version  # saving again (after merging) goes through
                form = DiscussionNoteForm(data, instance=instance)
                form.add_error(None, conflict)
                status = 409
            else:
                if saved.version == form.cleaned_data["version"]:
                    messages.info(request, "Nothing changed, so no new version was saved.")
                elif saved.is_published:
                    messages.success(
                        request,
                        f"Saved version {saved.version}, published: members see it on the "
                        "week page.",
                    )
                else:
                    messages.success(
                        request,
                        f"Saved version {saved.version} as a draft: only the meeting's leads "
                        "and organizers see it.",
                    )
                return redirect("sections:note-edit", meeting=meeting.pk)
    else:
        form = DiscussionNoteForm(instance=instance, initial={"version": instance.version})
    context = _note_page_context(meeting, form=form, note=note, preview=preview, theirs=theirs)
    return render(request, "sections/discussionnote_form.html", context, status=status)


@login_required
def note_history(request, meeting):
    """Every saved version of a meeting's notes, newest first, each with a restore button."""
    meeting = _manageable_meeting(request, meeting)
    note = DiscussionNote.objects.filter(meeting=meeting).first()
    revisions = note.revisions.select_related("author") if note else []
    context = _note_page_context(meeting, note=note, revisions=revisions)
    return render(request, "sections/discussionnoterevision_list.html", context)


@login_required
@require_POST
def note_restore(request, meeting, number):
    meeting = _manageable_meeting(request, meeting)
    revision = get_object_or_404(
        DiscussionNoteRevision.objects.select_related("note"), note__meeting=meeting, number=number
    )
    version_before = revision.note.version
    note = restore_revision(revision=revision, author=request.user)
    if note.version != version_before:
        messages.success(request, f"Version {note.version} now has the text of version {number}.")
    else:
        messages.info(request, f"Version {number} already has the current text.")
    return redirect("sections:note-edit", meeting=meeting.pk)
