import logging
import sys
from functools import wraps

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles import finders
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError, connection, transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render, resolve_url
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from attendance.roles import can_take_attendance
from core.cors import allow_any_origin
from core.roles import is_organizer
from readinggroup.accounts import MUST_CHANGE_PASSWORD
from readinggroup.middleware import database_unavailable_response, is_database_unavailable
from readinggroup.models import OneTimePassword
from syllabus.models import Term

logger = logging.getLogger(__name__)


@require_safe
@never_cache
def healthz(request):
    """200 "ok" when the database answers a query, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def robots_txt(request):
    """Public pages may be indexed; lead pages and the admin may not."""
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /attendance/", "Disallow: /accounts/"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


SCHEMA_CONTENT_TYPE = "application/schema+json"


@require_safe
@allow_any_origin
def json_schema(request, name):
    """`/schema/<name>.json`: a JSON Schema file of `static/schema/` at an address that stays
    the same from one release to the next (`static()` names change with their content). The
    documents it describes point at it with `$schema`."""
    path = finders.find(f"schema/{name}.json")
    if path is None:
        raise Http404("No such schema.")
    response = FileResponse(open(path, "rb"), content_type=SCHEMA_CONTENT_TYPE)  # noqa: SIM115
    patch_cache_control(response, public=True, max_age=60 * 60)
    return response


@require_safe
def favicon(request):
    """Browsers (and the admin, which links no icon) ask for /favicon.ico."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


def bad_request(request, exception):
    """The 400 page, in the site's style; it says so when what was sent is over the size
    limits (settings.DATA_UPLOAD_MAX_*, REQUEST_BODY_MAX_SIZE), and never shows the exception
    itself."""
    context = {
        "too_large": isinstance(exception, RequestDataTooBig | TooManyFieldsSent),
        "max_fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        "max_megabytes": settings.REQUEST_BODY_MAX_SIZE // (1024 * 1024),
    }
    return render(request, "400.html", context, status=400)


def server_error(request):
    """The 500 page; but the database being unreachable is the 503 page wherever it surfaced,
    including outside a view, where DatabaseUnavailableMiddleware does not see it: a middleware
    reading the session, or the 404 or CSRF-failure page's header asking who is logged in
    (Django calls this handler while that exception is being handled)."""
    exception = sys.exc_info()[1]
    if is_database_unavailable(exception):
        return database_unavailable_response(request, exception)
    return defaults.server_error(request)


class SpendOneTimePasswordMixin:
    """For Django's views where users choose their own password: that spends their one-time
    password (readinggroup.accounts), and the site stops sending every page to the change."""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            OneTimePassword.objects.filter(user=form.user).delete()
        self.request.session.pop(MUST_CHANGE_PASSWORD, None)
        return response


class PasswordChangeView(SpendOneTimePasswordMixin, auth_views.PasswordChangeView):
    def get_context_data(self, **kwargs):
        one_time = bool(self.request.session.get(MUST_CHANGE_PASSWORD))
        return {**super().get_context_data(**kwargs), "one_time": one_time}


class PasswordResetConfirmView(SpendOneTimePasswordMixin, auth_views.PasswordResetConfirmView):
    pass


class LoginView(auth_views.LoginView):
    """Django's log-in, named after the site (Django's would name the host, "127.0.0.1:8000",
    as the sites framework is not installed); it offers the password reset only when mail can
    be sent. A safe `next` (Django checks it with `url_has_allowed_host_and_scheme`) says where
    to go after it; without one, each user goes where their work is (`landing_url`)."""

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "site_name": settings.SITE_NAME,
            "email_configured": settings.EMAIL_CONFIGURED,
        }

    def get_default_redirect_url(self):
        return landing_url(self.request.user)


def landing_url(user):
    """Where a log-in leads by default: organizers (staff) to the admin, section leads to
    "My meetings", everyone else to the schedule (LOGIN_REDIRECT_URL)."""
    if user.is_staff and is_organizer(user):
        return reverse("admin:index")
    if can_take_attendance(user):
        return reverse("attendance:dashboard")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def unless_email_is_configured(view):
    """The password reset pages, while no mail can be sent (settings.EMAIL_CONFIGURED), answer
    a page that says whom to ask rather than claim to send a link that never arrives."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if settings.EMAIL_CONFIGURED:
            return view(request, *args, **kwargs)
        term = Term.objects.current()
        organizers = list(term.organizers.order_by("last_name", "first_name")) if term else []
        context = {"term": term, "organizers": organizers}
        return render(request, "registration/password_reset_unavailable.html", context)

    return wrapper
