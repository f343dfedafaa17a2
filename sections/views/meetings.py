"""Cancelling, moving and restoring a meeting: its section's leads and organizers.

Each form offers “Email the members” with how many that is, when an app above tells members of
meeting changes (`audience_of`, sections/signals.py): sections asks, it never imports that app.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from sections.forms import MeetingCancelForm, MeetingMoveForm, MeetingRestoreForm
from sections.models import Meeting
from sections.services import cancel_meeting, move_meeting, restore_meeting
from sections.signals import audience_of


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
    audience = audience_of([meeting])
    move_form = MeetingMoveForm(meeting=meeting, audience=audience)
    cancel_form = MeetingCancelForm(audience=audience)
    restore_form = MeetingRestoreForm(audience=audience)
    label = f"The {meeting.section.name} meeting of week {meeting.week.number}"
    if request.method == "POST":
        if "cancel" in request.POST:
            cancel_form = MeetingCancelForm(request.POST, audience=audience)
            done = _apply(
                cancel_form, lambda **data: cancel_meeting(meeting=meeting, by=request.user, **data)
            )
            message = f"{label} is cancelled."
        elif "move" in request.POST:
            move_form = MeetingMoveForm(request.POST, meeting=meeting, audience=audience)
            done = _apply(
                move_form, lambda **data: move_meeting(meeting=meeting, by=request.user, **data)
            )
            message = f"{label} is moved."
        elif "restore" in request.POST:
            restore_form = MeetingRestoreForm(request.POST, audience=audience)
            done = _apply(
                restore_form,
                lambda **data: restore_meeting(meeting=meeting, by=request.user, **data),
            )
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
