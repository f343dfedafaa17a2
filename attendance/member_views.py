"""Members' own pages: signing in with a link sent by email (no password), joining a section,
and /me/ (docs/members.md). Leads' pages are in attendance/views.py."""

from urllib.parse import urlencode

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods
from sesame.utils import get_query_string

from attendance.emails import (
    send_join_confirmation,
    send_sign_in_link,
    send_waiting_list_confirmation,
)
from attendance.forms import (
    ApologyForm,
    EmailSettingsForm,
    JoinForm,
    MoveForm,
    QuestionForm,
    SignInForm,
)
from attendance.models import (
    Apology,
    AttendanceRecord,
    Enrollment,
    Member,
    Preparation,
    WaitingListEntry,
)
from attendance.services import (
    ask_question,
    forget_member,
    join_section,
    join_waiting_list,
    leave_section,
    leave_waiting_list,
    mark_read,
    move_enrollment,
    record_link_request,
    save_email_settings,
    send_apology,
    user_for_member,
    withdraw_apology,
)
from sections.calendars import UID_DOMAIN, meetings_calendar, subscribe_links
from sections.models import Meeting, Section
from syllabus.models import Term

TOO_MANY = (
    "Too many links were asked for this address or from your network in the last hour. "
    "Try again later."
)


def _client(request):
    return (get_client_ip_address(request) or "")[:45]


MODEL_BACKEND = "attendance.backends.ModelBackend"  # see settings.AUTHENTICATION_BACKENDS


def _sign_in(request, user, backend=None):
    """Log `user` in on this browser for MEMBER_SESSION_AGE (longer than a lead's session)."""
    login(request, user, backend=backend)
    request.session.set_expiry(int(settings.MEMBER_SESSION_AGE.total_seconds()))


@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request):
    """Ask for a sign-in link. The answer is the same whether or not the address is a
    member's (same page, same status): only a member's address is sent a link, and nothing
    is sent to anyone else, so the page cannot be used to find out who is a member nor to make
    the site mail strangers. Links are throttled per address and per client, for every address
    asked for, known or not."""
    if not settings.EMAIL_CONFIGURED:
        return render(request, "attendance/sign_in_unavailable.html")
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if record_link_request(email=email, client=_client(request)):
            member = Member.objects.find_by_email(email)
            if member is not None:
                user = user_for_member(member=member)
                path = reverse("members:signin-link") + get_query_string(user)
                send_sign_in_link(member=member, url=request.build_absolute_uri(path))
            context = {"email": email, "minutes": _minutes(settings.SESAME_MAX_AGE)}
            return render(request, "attendance/sign_in_sent.html", context)
        form.add_error("email", TOO_MANY)
        status = 429
    return render(request, "attendance/sign_in.html", {"form": form}, status=status)


def _minutes(delta):
    return int(delta.total_seconds() // 60)


@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_link(request):
    """The link from the email. Opening it shows a button; the sign-in happens on POST, so a
    mail scanner that opens links to check them does not use up the one-time link."""
    token = request.POST.get("sesame") if request.method == "POST" else request.GET.get("sesame")
    if not token or len(token) > 200:
        return render(request, "attendance/sign_in_link_invalid.html", status=400)
    if request.method == "POST":
        user = authenticate(request, sesame=token)
        if user is None:
            return render(request, "attendance/sign_in_link_invalid.html", status=400)
        _sign_in(request, user)
        return redirect("members:me")
    return render(request, "attendance/sign_in_link.html", {"token": token})


# --- My page ------------------------------------------------------------------------------------

RECENT_LIMIT = 3  # started meetings whose questions /me/ links to


def _with_my_preparation(meetings, member):
    """Annotate `my_read_at` and `my_question` (the member's "I've read it" and question, or
    None): no query of their own."""
    mine = Preparation.objects.filter(meeting=OuterRef("pk"), member=member)
    return meetings.annotate(
        my_read_at=Subquery(mine.values("read_at")[:1]),
        my_question=Subquery(mine.values("question")[:1]),
    )


def _upcoming(meetings):
    """The coming meetings up to and including the first that takes place (cancelled ones
    before it are shown, so a member sees the change)."""
    shown = []
    for meeting in meetings:
        shown.append(meeting)
        if not meeting.is_cancelled:
            break
    return shown


@require_http_methods(["GET", "HEAD"])
@login_required(login_url="members:signin")
def me(request):
    """The member's sections this term, their next meeting, their own attendance and their
    calendar feed. A user who is not a member is told how to join."""
    member = Member.objects.of_user(request.user)
    if member is None:
        return render(request, "attendance/me.html", {"member": None})
    term = Term.objects.current()
    sections = list(
        Section.objects.filter(enrollments__member=member, term=term)
        .select_related("term")
        .with_leads()
        .order_by("weekday", "start_time", "name")
    )
    # Every meeting still to come this term, in one query (and one for their readings): the
    # next ones in full, then the later ones in a compact list, each with the member's actions.
    coming = list(
        _with_my_preparation(Meeting.objects.for_calendar(), member)
        .filter(section__in=sections, ends_at__gt=timezone.now())
        .order_by("starts_at", "pk")
    )
    upcoming = _upcoming(coming)
    asked = (
        Meeting.objects.filter(section__in=sections, starts_at__lte=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("section", "week")
        .order_by("-starts_at", "-pk")[:RECENT_LIMIT]
    )
    _attach_apologies(member, coming)
    later = [m for m in coming[len(upcoming) :] if m.before_start]
    records = (
        AttendanceRecord.objects.filter(member=member, meeting__section__in=sections)
        .select_related("meeting__week", "meeting__section")
        .order_by("meeting__starts_at", "meeting__pk")
    )
    waiting = (
        WaitingListEntry.objects.filter(member=member)
        .with_position()
        .select_related("section__term")
        .in_line()
    )
    context = {
        "term": term,
        "member": member,
        "sections": sections,
        "waiting": waiting,
        "upcoming": upcoming,
        "later": later,
        "records": records,
        "recent": asked,
        "calendar": subscribe_links(request, member.get_calendar_url()),
        "email_settings": EmailSettingsForm.for_member(member),
    }
    return render(request, "attendance/me.html", context)


def _attach_apologies(member, meetings):
    """Set `my_apology` (the member's "I can't come", or None) on each of `meetings`: one
    query, and none without meetings."""
    if not meetings:
        return
    apologies = {
        apology.meeting_id: apology
        for apology in Apology.objects.filter(member=member, meeting__in=meetings)
    }
    now = timezone.now()
    for meeting in meetings:
        meeting.my_apology = apologies.get(meeting.pk)
        meeting.before_start = (
            not meeting.is_cancelled and meeting.starts_at is not None and meeting.starts_at > now
        )


def _my_meeting(request, pk):
    """The signed-in member and meeting `pk` of one of their sections, else 404."""
    member = Member.objects.of_user(request.user)
    meeting = get_object_or_404(
        Meeting.objects.select_related("section__term", "week", "note"),
        pk=pk,
        section__enrollments__member=member,
    )
    return member, meeting


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="members:signin")
def cant_come(request, pk):
    """ "I can't come" (with an optional reason) to a meeting of one of the member's sections,
    or, with `action=undo`, take it back; both only before the meeting starts. A GET shows the
    form on a page of its own (the reminder email links to it). Meetings of other sections are
    404 (whoever asks)."""
    member, meeting = _my_meeting(request, pk)
    what = f"the {meeting.section.name} section's meeting of week {meeting.week.number}"
    if request.method != "POST":
        return _apology_page(request, member, meeting, ApologyForm())
    form = ApologyForm(request.POST)
    undo = request.POST.get("action") == "undo"
    if undo or form.is_valid():
        try:
            if undo:
                withdraw_apology(member=member, meeting=meeting)
            else:
                send_apology(member=member, meeting=meeting, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, f"{error.messages[0]} Nothing was changed.")
        else:
            if undo:
                messages.success(request, f"You are expected at {what} again.")
            else:
                messages.success(request, f"The leads know you can't come to {what}.")
        return redirect("members:me")
    return _apology_page(request, member, meeting, form, status=400)


def _apology_page(request, member, meeting, form, status=200):
    """The "I can't come" page: the form, what the member said already, or why it is too late."""
    if meeting.is_cancelled:
        closed = "This meeting was cancelled."
    elif meeting.starts_at is None or meeting.starts_at <= timezone.now():
        closed = "This meeting has already started."
    else:
        closed = ""
    context = {
        "term": meeting.section.term,
        "meeting": meeting,
        "form": form,
        "closed": closed,
        "apology": Apology.objects.filter(member=member, meeting=meeting).first(),
    }
    return render(request, "attendance/apology_form.html", context, status=status)


@require_http_methods(["POST"])
@login_required(login_url="members:signin")
def read(request, pk):
    """ "I've read it" for a meeting of one of the member's sections (`action=undo` takes it
    back), before the meeting starts."""
    member, meeting = _my_meeting(request, pk)
    undo = request.POST.get("action") == "undo"
    try:
        mark_read(member=member, meeting=meeting, read=not undo)
    except ValidationError as error:
        messages.error(request, f"{error.messages[0]} Nothing was changed.")
    else:
        messages.success(
            request,
            "Taken back: you have not read it yet."
            if undo
            else "Noted: you have read the papers for this meeting.",
        )
    return redirect("members:me")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="members:signin")
def question(request, pk):
    """The member's one question or comment for a meeting, editable until it starts."""
    member, meeting = _my_meeting(request, pk)
    current = Preparation.objects.filter(member=member, meeting=meeting).first()
    form = QuestionForm(
        request.POST if request.method == "POST" else None,
        initial={"question": current.question if current else ""},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            saved = ask_question(
                member=member, meeting=meeting, question=form.cleaned_data["question"]
            )
        except ValidationError as error:
            form.add_error("question", error)
            status = 409
        else:
            messages.success(
                request,
                "Your question is saved: the leads see it now, the section after the meeting "
                "starts."
                if saved and saved.question
                else "You have no question for this meeting.",
            )
            return redirect("members:me")
    elif request.method == "POST":
        status = 400
    context = {"term": meeting.section.term, "meeting": meeting, "form": form}
    return render(request, "attendance/question_form.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
@login_required(login_url="members:signin")
def questions(request, pk):
    """A meeting's questions: for its section's leads (and organizers) with their authors'
    names and who has read the papers, at any time; for the section's members without names,
    once the meeting has started, next to its published discussion notes. Anyone else: 404."""
    meeting = (
        Meeting.objects.manageable_by(request.user)
        .select_related("section__term", "week", "note")
        .filter(pk=pk)
        .first()
    )
    is_lead = meeting is not None
    if not is_lead:
        _, meeting = _my_meeting(request, pk)
    started = meeting.starts_at is not None and meeting.starts_at <= timezone.now()
    shown = is_lead or (started and not meeting.is_cancelled)
    preparations = (
        meeting.preparations.select_related("member").order_by("created_at", "pk")
        if shown
        else Preparation.objects.none()
    )
    preparations = list(preparations)
    context = {
        "term": meeting.section.term,
        "meeting": meeting,
        "is_lead": is_lead,
        "shown": shown,
        "note": meeting.note_for(may_manage=is_lead) if shown else None,
        "questions": [p for p in preparations if p.question],
        "readers": [p.member for p in preparations if p.read_at] if is_lead else [],
    }
    response = render(request, "attendance/preparation_list.html", context)
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _my_enrollment(request, pk):
    """The signed-in member's enrollment in section `pk`, else 404 (whoever else asks)."""
    member = Member.objects.of_user(request.user)
    return get_object_or_404(
        Enrollment.objects.select_related("section__term", "member"), member=member, section=pk
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="members:signin")
def leave(request, pk):
    """Leave a section: a GET asks, a POST leaves. Attendance already taken stays."""
    enrollment = _my_enrollment(request, pk)
    if request.method == "POST":
        leave_section(enrollment=enrollment)
        messages.success(request, f"You have left the {enrollment.section.name} section.")
        return redirect("members:me")
    context = {"term": enrollment.section.term, "section": enrollment.section}
    return render(request, "attendance/enrollment_confirm_delete.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="members:signin")
def waiting_list_leave(request, pk):
    """Leave the waiting list of section `pk`: a GET asks, a POST leaves. Only the member's own
    place: anyone else's (or none) is a 404."""
    member = Member.objects.of_user(request.user)
    entry = get_object_or_404(
        WaitingListEntry.objects.with_position().select_related("section__term"),
        member=member,
        section=pk,
    )
    section = entry.section
    if request.method == "POST":
        leave_waiting_list(entry=entry)
        messages.success(request, f"You left the waiting list of the {section.name} section.")
        return redirect("members:me")
    context = {"term": section.term, "section": section, "entry": entry}
    return render(request, "attendance/waitinglistentry_confirm_delete.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="members:signin")
def move(request, pk):
    """Move to another section of the same term (joining open, room in it)."""
    enrollment = _my_enrollment(request, pk)
    section = enrollment.section
    form = MoveForm(request.POST or None, section=section)
    if request.method == "POST" and form.is_valid():
        try:
            move_enrollment(enrollment=enrollment, to_section=form.cleaned_data["section"])
        except ValidationError as error:
            form.add_error("section", error)
        else:
            messages.success(
                request,
                f"You moved from the {section.name} section to the "
                f"{form.cleaned_data['section'].name} section.",
            )
            return redirect("members:me")
    context = {"term": section.term, "section": section, "form": form}
    return render(request, "attendance/enrollment_move.html", context)


def _me(request):
    """The signed-in member, else 404 (a lead or organizer who is no member, say)."""
    member = Member.objects.of_user(request.user)
    if member is None:
        raise Http404("You are not a member.")
    return member


@require_http_methods(["POST"])
@login_required(login_url="members:signin")
def calendar_reset(request):
    member = _me(request)
    member.reset_calendar_secret()
    messages.success(
        request, "Your calendar has a new address: the old one no longer works. Subscribe again."
    )
    return redirect("members:me")


@require_http_methods(["POST"])
@login_required(login_url="members:signin")
def email_settings(request):
    """The signed-in member's email settings (the form on /me/): their own, nobody else's."""
    member = Member.objects.of_user(request.user)
    if member is None or not member.email:
        raise Http404("You are not a member with an email address.")
    form = EmailSettingsForm(request.POST)
    form.is_valid()  # tick boxes: whatever is posted reads as ticked or not
    wanted = form.wanted()
    save_email_settings(member=member, wanted=wanted)
    told = [
        ("" if wanted[kind] else "no ") + what
        for kind, what in (
            ("reminder", "reminders the day before each meeting"),
            ("meeting-change", "emails when a meeting is cancelled or moved"),
        )
    ]
    messages.success(request, f"Your email settings are saved: you get {' and '.join(told)}.")
    return redirect(reverse("members:me") + "#email-settings")


@require_http_methods(["GET", "HEAD"])
@login_required(login_url="members:signin")
def my_data(request):
    """ "Download my data": everything kept about the signed-in member, as a JSON file."""
    member = _me(request)
    response = JsonResponse(
        member.personal_data(), json_dumps_params={"indent": 2, "ensure_ascii": False}
    )
    response["Content-Disposition"] = 'attachment; filename="my-reading-group-data.json"'
    response["X-Robots-Tag"] = "noindex"
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="members:signin")
def delete_account(request):
    """ "Delete my account": a GET says what happens, a POST does it (`forget_member`) and
    signs the member out."""
    member = _me(request)
    if request.method == "POST":
        forget_member(member=member)
        logout(request)
        messages.success(
            request,
            "Your account is deleted: your name, email and questions are gone, and you are "
            "signed out. Your past attendance is kept in the sections' counts as “Former "
            "member”.",
        )
        return redirect("sections:home")
    context = {
        # A lead's or organizer's account (it has a password) stays; see `forget_member`.
        "keeps_account": request.user.has_usable_password(),
        "sections": list(
            Section.objects.filter(enrollments__member=member)
            .select_related("term")
            .order_by("-term__first_monday", "weekday", "name")
        ),
    }
    return render(request, "attendance/member_confirm_delete.html", context)


@require_http_methods(["GET", "HEAD"])
def calendar(request, secret):
    """`/me/calendar/<secret>.ics`: the meetings of the member's sections, every term. Not in
    the page cache (enrollments are not part of the public data version) and private."""
    member = get_object_or_404(Member, calendar_secret=secret)
    meetings = list(
        Meeting.objects.for_calendar()
        .filter(section__enrollments__member=member)
        .order_by("starts_at", "pk")
    )
    term = meetings[-1].section.term if meetings else Term.objects.current()
    body = meetings_calendar(
        name=f"{settings.SITE_NAME}: {member.name}",
        uid=f"member-{member.pk}@{UID_DOMAIN}",
        term=term,
        meetings=meetings,
        request=request,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="my-sections.ics"'
    response["X-Robots-Tag"] = "noindex"
    patch_cache_control(response, private=True, no_cache=True)
    return response


# --- Joining a section (double opt-in) ---------------------------------------------------------

JOIN_SALT = "attendance.join"


def _joinable_section(request, term, section):
    section = get_object_or_404(
        Section.objects.visible_to(request.user).select_related("term"),
        term__slug=term,
        slug=section,
    )
    section.term.load_week_count()
    return section


def _why_not_joinable(section):
    """ "ended", "closed", "full" or None, as the join page tells it before anyone types
    anything. A section with people on its waiting list is full (its free places are theirs)."""
    if section.term.has_ended:
        return "ended"
    if not section.term.joining_open:
        return "closed"
    if section.capacity is not None and (
        section.enrollments.count() >= section.capacity or section.waiting_list.exists()
    ):
        return "full"
    return None


@require_http_methods(["GET", "HEAD", "POST"])
def join(request, term, section):
    """Name, email and affiliation; then a confirmation email. Nothing is saved here: the
    link carries what was typed, signed, and the member is enrolled only when they open it.
    A full section offers its waiting list instead, with the same form and the same kind of
    link (which puts them in line)."""
    section = _joinable_section(request, term, section)
    context = {"term": section.term, "section": section}
    if not settings.EMAIL_CONFIGURED:
        return render(request, "attendance/sign_in_unavailable.html", context)
    context["refused"] = _why_not_joinable(section)
    if context["refused"] == "ended":
        context["current_term"] = Term.objects.current_after(section.term)
    if context["refused"] in ("ended", "closed"):
        return render(request, "attendance/join_form.html", context)
    wait = context["refused"] == "full"
    form = JoinForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if record_link_request(email=data["email"], client=_client(request)):
            token = signing.dumps(
                {
                    "section": section.pk,
                    "name": data["name"],
                    "email": data["email"],
                    "affiliation": data["affiliation"],
                    "wait": wait,
                },
                salt=JOIN_SALT,
                compress=True,
            )
            path = reverse("members:join-confirm") + "?" + urlencode({"token": token})
            send = send_waiting_list_confirmation if wait else send_join_confirmation
            send(email=data["email"], section=section, url=request.build_absolute_uri(path))
            context["email"] = data["email"]
            context["days"] = settings.JOIN_CONFIRMATION_MAX_AGE.days
            return render(request, "attendance/join_sent.html", context)
        form.add_error("email", TOO_MANY)
        status = 429
    context["form"] = form
    return render(request, "attendance/join_form.html", context, status=status)


def _join_request(token):
    """What a join link carries, or None when it is forged, broken or too old."""
    if not token or len(token) > 4000:
        return None
    try:
        data = signing.loads(
            token, salt=JOIN_SALT, max_age=settings.JOIN_CONFIRMATION_MAX_AGE.total_seconds()
        )
    except signing.BadSignature:  # SignatureExpired too
        return None
    section = Section.objects.select_related("term").filter(pk=data.get("section")).first()
    if section is None:
        return None
    return {**data, "section": section}


@require_http_methods(["GET", "HEAD", "POST"])
def join_confirm(request):
    """The link of the confirmation email: a page with a button (mail scanners open links),
    whose POST enrolls the member and signs them in. A link used again enrolls no one twice
    and signs no one in: it says they are in already. A waiting-list link (or a join link
    whose section filled up meanwhile, with `action=wait`) puts them in line instead."""
    token = request.POST.get("token") if request.method == "POST" else request.GET.get("token")
    data = _join_request(token)
    if data is None:
        return render(request, "attendance/join_confirm.html", {"invalid": True}, status=400)
    section = data["section"]
    context = {"term": section.term, "section": section, "join": data, "token": token}
    wait = data.get("wait") is True or request.POST.get("action") == "wait"
    if request.method == "POST" and wait:
        return _confirm_waiting(request, data, context)
    if request.method == "POST":
        try:
            member, enrolled = join_section(
                section=section,
                name=data["name"],
                email=data["email"],
                affiliation=data["affiliation"],
            )
        except ValidationError as error:
            context["error"] = error.messages[0]
            context["may_wait"] = error.code == "full"
            return render(request, "attendance/join_confirm.html", context, status=409)
        if not enrolled:
            messages.info(request, f"You are in the {section.name} section already.")
            return redirect("members:me" if request.user.is_authenticated else "members:signin")
        _sign_in(request, user_for_member(member=member), backend=MODEL_BACKEND)
        messages.success(request, f"Welcome to the {section.name} section!")
        return redirect("members:me")
    return render(request, "attendance/join_confirm.html", context)


def _confirm_waiting(request, data, context):
    """The POST of a waiting-list link: the member is put in line (or enrolled, if a place is
    free and no one waits for it) and signed in; the page says their place in line. Used
    again, it changes nothing and signs no one in."""
    section = data["section"]
    try:
        place = join_waiting_list(
            section=section, name=data["name"], email=data["email"], affiliation=data["affiliation"]
        )
    except ValidationError as error:
        context["error"] = error.messages[0]
        return render(request, "attendance/join_confirm.html", context, status=409)
    if place.new:
        _sign_in(request, user_for_member(member=place.member), backend=MODEL_BACKEND)
    if place.position is None:
        if place.new:
            messages.success(request, f"A place was free: welcome to the {section.name} section!")
            return redirect("members:me")
        messages.info(request, f"You are in the {section.name} section already.")
        return redirect("members:me" if request.user.is_authenticated else "members:signin")
    context["place"] = place
    return render(request, "attendance/waitinglistentry_confirm.html", context)
