"""Members' own pages: signing in with a link sent by email (no password), joining a section,
and /me/ (docs/members.md). Leads' pages are in attendance/views.py."""

from urllib.parse import urlencode

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from sesame.utils import get_query_string

from attendance.emails import send_join_confirmation, send_sign_in_link
from attendance.forms import JoinForm, SignInForm
from attendance.models import Member
from attendance.services import join_section, record_link_request, user_for_member
from sections.models import Section
from syllabus.models import Term

TOO_MANY = (
    "Too many links were asked for this address or from your network in the last hour. "
    "Try again later."
)


def _client(request):
    return (get_client_ip_address(request) or "")[:45]


MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


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


@require_http_methods(["GET", "HEAD"])
@login_required(login_url="members:signin")
def me(request):
    member = Member.objects.filter(user=request.user).order_by("pk").first()
    return render(request, "attendance/me.html", {"member": member})


# --- Joining a section (double opt-in) ---------------------------------------------------------

JOIN_SALT = "attendance.join"


def _joinable_section(request, term, section):
    return get_object_or_404(
        Section.objects.select_related("term"),
        term__in=Term.objects.visible_to(request.user),
        term__slug=term,
        slug=section,
    )


def _why_not_joinable(section):
    """ "closed", "full" or None, as the join page tells it before anyone types anything."""
    if not section.term.joining_open:
        return "closed"
    if section.capacity is not None and section.enrollments.count() >= section.capacity:
        return "full"
    return None


@require_http_methods(["GET", "HEAD", "POST"])
def join(request, term, section):
    """Name, email and affiliation; then a confirmation email. Nothing is saved here: the
    link carries what was typed, signed, and the member is enrolled only when they open it."""
    section = _joinable_section(request, term, section)
    context = {"term": section.term, "section": section}
    if not settings.EMAIL_CONFIGURED:
        return render(request, "attendance/sign_in_unavailable.html", context)
    context["refused"] = _why_not_joinable(section)
    if context["refused"]:
        return render(request, "attendance/join_form.html", context)
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
                },
                salt=JOIN_SALT,
                compress=True,
            )
            path = reverse("members:join-confirm") + "?" + urlencode({"token": token})
            send_join_confirmation(
                email=data["email"], section=section, url=request.build_absolute_uri(path)
            )
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
    and signs no one in: it says they are in already."""
    token = request.POST.get("token") if request.method == "POST" else request.GET.get("token")
    data = _join_request(token)
    if data is None:
        return render(request, "attendance/join_confirm.html", {"invalid": True}, status=400)
    section = data["section"]
    context = {"term": section.term, "section": section, "join": data, "token": token}
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
            return render(request, "attendance/join_confirm.html", context, status=409)
        if not enrolled:
            messages.info(request, f"You are in the {section.name} section already.")
            return redirect("members:me" if request.user.is_authenticated else "members:signin")
        _sign_in(request, user_for_member(member=member), backend=MODEL_BACKEND)
        messages.success(request, f"Welcome to the {section.name} section!")
        return redirect("members:me")
    return render(request, "attendance/join_confirm.html", context)
