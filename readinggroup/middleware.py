import logging

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers

from readinggroup.accounts import MUST_CHANGE_PASSWORD

logger = logging.getLogger("readinggroup.errors")


class PrivateResponsesMiddleware:
    """A response to someone with a session (a logged-in lead or organizer, or one with a form in
    progress) is theirs alone: shared caches must never keep it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES or request.path.startswith("/admin/"):
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ["Cookie"])
        return response


class RequestBodySizeMiddleware:
    """A request whose body is over settings.REQUEST_BODY_MAX_SIZE is refused with the 400
    page ("too much sent at once") before anything reads it, files included. Only the declared
    Content-Length counts: Django reads no more than that (and nothing of a body without one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django then reads nothing of the body either
        if length > settings.REQUEST_BODY_MAX_SIZE:
            raise RequestDataTooBig(
                f"Request body of {length} bytes exceeds {settings.REQUEST_BODY_MAX_SIZE}."
            )
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Someone who logged in with a one-time password (readinggroup.accounts) chooses their own
    before anything else: every page but the password change and logging out redirects to the
    password change. Reads only the session, and only when there is one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            and request.session.get(MUST_CHANGE_PASSWORD)
            and request.path not in (reverse("password_change"), reverse("logout"))
            and not request.path.startswith(settings.STATIC_URL)
        ):
            return redirect("password_change")
        return self.get_response(request)


class NulCharactersMiddleware:
    """A NUL character ("\\x00", %00) in the path or a URL parameter is a 400. It is never part
    of a real address, and PostgreSQL refuses it in text: Django's admin passes list filters
    such as ?time_zone=%00 to the database as they come, a 500. (Forms refuse NUL in what is
    posted by themselves.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            raise BadRequest("A NUL character in the address.")
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """When the database cannot be reached, answer a 503 page in the site's style (rendered
    without touching the database) instead of a 500; persistent connections are health-checked
    (CONN_HEALTH_CHECKS), so pages work again as soon as the database is back. This catches a
    view's queries; the 500 handler (views.server_error) catches the rest: a middleware reading
    the session, an error page whose header asks who is logged in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        return database_unavailable_response(request, exception)


def is_database_unavailable(exception):
    """Connection trouble, not a bad query: SQLite reports locks and bad SQL as
    OperationalError too."""
    if not isinstance(exception, OperationalError | InterfaceError):
        return False
    text = str(exception).lower()
    return "no such table" not in text and "syntax error" not in text


def database_unavailable_response(request, exception):
    logger.error("Database unavailable on %s %s: %s", request.method, request.path, exception)
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    patch_cache_control(response, no_store=True)
    return response
