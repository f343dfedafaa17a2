"""The discussion notes editor: a meeting's leads and organizers write, save and restore."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.markup import render_markdown
from sections.forms import DiscussionNoteForm
from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting
from sections.services import NoteConflictError, restore_revision, save_note


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
