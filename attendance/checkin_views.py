"""Checking in at the door (docs/checkin.md): /checkin/ (type the code) and /checkin/<code>/ (what
the lead's QR code opens). The lead's page showing the code is in attendance/views.py."""

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from sesame.utils import get_query_string

from attendance import checkin
from attendance.emails import send_sign_in_link
from attendance.forms import CheckInCodeForm, CheckInEmailForm
from attendance.models import Member
from attendance.services import (
    may_try_a_code,
    record_email_check_in,
    record_link_request,
    record_wrong_code,
    self_check_in,
    user_for_member,
    walk_in_check_in,
)
from sections.models import Meeting

WRONG_CODE = (
    "This is not the code of a meeting now: codes change every 30 seconds. Type the one on the "
    "lead's screen."
)
TOO_MANY_CODES = (
    "Too many wrong codes were typed from your network in the last few minutes. Try again in "
    "10 minutes, or ask the lead to mark you."
)
TOO_MANY_EMAILS = (
    "Several people were checked in to this meeting from your device or network already. Each "
    "person checks in on their own phone, or asks the lead to mark them."
)
UNKNOWN_EMAIL = (
    "No member has this email. If you are new, give your name too: you join the %(section)s "
    "section as you check in."
)
# A code seen opens the page for this long: time enough to type an email after the code on the
# screen has changed (the window is checked again on saving).
TICKET_MAX_AGE = 600
TICKET_SALT = "attendance.checkin.ticket"


def _client(request):
    return (get_client_ip_address(request) or "")[:45]


def _meeting_from_ticket(ticket):
    try:
        pk = signing.loads(ticket, salt=TICKET_SALT, max_age=TICKET_MAX_AGE)
    except signing.BadSignature:
        return None
    return Meeting.objects.select_related("section__term", "week").filter(pk=pk).first()


@require_http_methods(["GET", "HEAD", "POST"])
def enter_code(request):
    """Type the code on the lead's screen: a right one opens its meeting's check-in."""
    form = CheckInCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        client = _client(request)
        code = form.cleaned_data["code"]
        if not may_try_a_code(client=client):
            form.add_error("code", TOO_MANY_CODES)
            status = 429
        elif checkin.meeting_for_code(code, timezone.now()) is None:
            record_wrong_code(client=client)
            form.add_error("code", WRONG_CODE)
            status = 400
        else:
            return redirect("members:checkin-code", code=code)
    return render(request, "attendance/checkin_enter.html", {"form": form}, status=status)


def _refused(request, meeting, error, status=403):
    context = {"meeting": meeting, "reasons": error.messages, "form": CheckInCodeForm()}
    return render(request, "attendance/checkin_refused.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def check_in(request, code):
    """The page a QR code opens. A signed-in member of the meeting's section confirms with one
    button; anyone else types their email (and their name if they are new)."""
    now = timezone.now()
    client = _client(request)
    meeting = None
    if request.method == "POST":
        meeting = _meeting_from_ticket(request.POST.get("ticket", ""))
    if meeting is None:
        if not may_try_a_code(client=client):
            return _refused(request, None, ValidationError(TOO_MANY_CODES), status=429)
        meeting = checkin.meeting_for_code(checkin.normalise_code(code)[:20], now)
        if meeting is None:
            record_wrong_code(client=client)
            return _refused(request, None, ValidationError(WRONG_CODE), status=404)
    try:
        checkin.check_open(meeting, now)
    except ValidationError as error:
        return _refused(request, meeting, error)

    member = Member.objects.of_user(request.user)
    ticket = signing.dumps(meeting.pk, salt=TICKET_SALT)
    context = {"meeting": meeting, "ticket": ticket, "code": code, "member": member}
    if member is not None:
        if request.method == "POST":
            try:
                done = self_check_in(meeting=meeting, member=member, at=now)
            except ValidationError as error:
                return _refused(request, meeting, error)
            return _done(request, meeting, done)
        return render(request, "attendance/checkin_confirm.html", context)

    form = CheckInEmailForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email, name = form.cleaned_data["email"], form.cleaned_data["name"]
        known = Member.objects.find_by_email(email)
        if known is None and not name:
            form.add_error(
                "name",
                ValidationError(
                    UNKNOWN_EMAIL, code="unknown", params={"section": meeting.section.name}
                ),
            )
        elif not record_email_check_in(meeting=meeting, email=email, client=client):
            form.add_error("email", TOO_MANY_EMAILS)
            status = 429
        else:
            link_sent = False
            try:
                if known is not None:
                    done = self_check_in(meeting=meeting, member=known, at=now)
                    link_sent = _send_sign_in_link(known, client)
                else:
                    done = walk_in_check_in(meeting=meeting, name=name, email=email, at=now)
            except ValidationError as error:
                form.add_error("email", error)
            else:
                return _done(request, meeting, done, link_sent=link_sent)
    context["form"] = form
    return render(request, "attendance/checkin_email.html", context, status=status)


def _send_sign_in_link(member, client):
    """A sign-in link by email for next time (within the sign-in page's limits): sent?"""
    if not settings.EMAIL_CONFIGURED or not record_link_request(email=member.email, client=client):
        return False
    user = user_for_member(member=member)
    path = reverse("members:signin-link") + get_query_string(user)
    send_sign_in_link(member=member, url=settings.SITE_URL + path)
    return True


def _done(request, meeting, done, *, link_sent=False):
    context = {"meeting": meeting, "done": done, "link_sent": link_sent}
    return render(request, "attendance/checkin_done.html", context)
