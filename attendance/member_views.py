"""Members' own pages: signing in with a link sent by email (no password), joining a section,
and /me/ (docs/members.md). Leads' pages are in attendance/views.py."""

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from sesame.utils import get_query_string

from attendance.emails import send_sign_in_link
from attendance.forms import SignInForm
from attendance.models import Member
from attendance.services import record_link_request, user_for_member

TOO_MANY = (
    "Too many links were asked for this address or from your network in the last hour. "
    "Try again later."
)


def _client(request):
    return (get_client_ip_address(request) or "")[:45]


def _sign_in(request, user):
    """Log `user` in on this browser for MEMBER_SESSION_AGE (longer than a lead's session)."""
    login(request, user)
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
