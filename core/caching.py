"""Whole-page caching of public pages for anonymous visitors, never stale.

A cached page's key carries the data version (core/freshness.py: one number in the database
that database triggers move on with every committed change to what members see), the hour
(pages say "this week" and "new"), the scheme and host (feeds and JSON hold absolute URLs),
the path, and only the query parameters the view reads. Reading the version is the one SQL
query of a cached hit. Because the version lives in the database, a change is seen on the very
next request by every worker process and every app server, whoever wrote it: the page bodies
themselves may stay in each process's local memory (the default) or be shared through Redis or
Memcached (CACHE_URL).

A reader who reads the old version and then newer data files a newer page under the old key,
which is harmless; a reader who reads the new version always reads the new data.
"""

import functools
import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_http_date, quote_etag

from core.freshness import current_version, version_time

PAGE_TIMEOUT = 60 * 60 * 24  # a day; the version, not a timeout, keeps pages true
_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}|last")


def may_use_shared_cache(request):
    """Anonymous GET/HEAD without a session or pending messages: the same page for everyone."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def _query_part(request, query):
    """The parameters the view reads, in a canonical form; None when a value is not canonical
    (such a request is answered but not stored, so no client can fill the cache with copies of
    one page: `?page=01`, `?page=1&x=2`, `?utm=…` all come down to a bounded set of keys)."""
    parts = []
    for name in query:
        values = request.GET.getlist(name)
        if not values:
            continue
        if len(values) > 1 or not _PAGE_NUMBER.fullmatch(values[0]):
            return None
        parts.append(f"{name}={values[0]}")
    return "&".join(parts)


def page_key(request, version, query=()):
    query_part = _query_part(request, query)
    if query_part is None:
        return None
    url = f"{request.scheme}://{request.get_host()}{request.path}?{query_part}"
    hour = timezone.now().strftime("%Y%m%d%H")
    return f"rg:page:{version}:{hour}:{hashlib.sha256(url.encode()).hexdigest()[:40]}"


def fragment_key(request):
    """The key of content that every visitor of this URL sees alike, whoever is signed in (a
    term's schedule: only the header differs for a lead): the page's key, by the same version
    and hour, for `{% cache %}`. A lead's page is never in the page cache, but its content can
    be; the version read for an anonymous visitor by `cache_public_page` is used again."""
    version = getattr(request, "data_version", None)
    return page_key(request, current_version() if version is None else version)


def cache_public_page(view=None, *, query=()):
    """Decorate a public view: serve anonymous visitors from the cache, keyed by the data version.

    `query` names the GET parameters the view reads (their values must be page numbers); every
    other parameter is left out of the key, so the view must not read any other.
    """
    if view is None:
        return functools.partial(cache_public_page, query=query)

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not may_use_shared_cache(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response
        version = request.data_version = current_version()
        key = page_key(request, version, query)
        cached = cache.get(key) if key else None
        if cached is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200:
                return response
            if hasattr(response, "render"):
                response.render()
            response["ETag"] = quote_etag(hashlib.sha256(response.content).hexdigest()[:32])
            # The last change, or the start of this hour (pages say "this week" and "new").
            hour = timezone.now().replace(minute=0, second=0, microsecond=0)
            response["Last-Modified"] = http_date(max(version_time(version), hour).timestamp())
            patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
            patch_vary_headers(response, ["Cookie"])
            if key:
                cache.set(key, response, PAGE_TIMEOUT)
            cached = response
        return get_conditional_response(
            request,
            etag=cached["ETag"],
            last_modified=parse_http_date(cached["Last-Modified"]),
            response=cached,
        )

    return wrapped
