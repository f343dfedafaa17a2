from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from sections.forms import DiscussionNoteForm
from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section
from sections.services import NoteConflictError, restore_revision, save_note
from syllabus.markup import render_markdown
from syllabus.models import Term, Week


def home(request):
    """`/`: the current term's schedule (the same page as `/terms/<term>/`)."""
    term = Term.objects.current()
    if term is None:
        return render(request, "sections/no_term.html")
    return _render_schedule(request, term)


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
    }
    return render(request, "sections/term_schedule.html", context)


def week_detail(request, term, number):
    week = get_object_or_404(
        Week.objects.with_readings().select_related("term"),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        number=number,
    )
    meetings = (
        Meeting.objects.for_week(week)
        .in_section_order()
        .with_notes()
        .prefetch_related("section__leads")
    )
    for meeting in meetings:
        meeting.may_manage = meeting.section.is_managed_by(request.user)
        meeting.shown_note = meeting.note_for(may_manage=meeting.may_manage)
    context = {
        "term": week.term,
        "week": week,
        "meetings": meetings,
        "is_current": week.covers(week.term.today()),
    }
    return render(request, "sections/week_detail.html", context)


def section_detail(request, term, section):
    section = get_object_or_404(
        Section.objects.select_related("term").with_leads(),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        slug=section,
    )
    meetings = section.meetings.select_related("week").with_notes().order_by("week__number")
    may_manage = section.is_managed_by(request.user)
    for meeting in meetings:
        # The term (slug, time zone) is loaded once; links and local times need it.
        meeting.section = section
        meeting.week.term = section.term
        meeting.may_manage = may_manage
        meeting.shown_note = meeting.note_for(may_manage=may_manage)
    context = {"term": section.term, "section": section, "meetings": meetings}
    return render(request, "sections/section_detail.html", context)


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
