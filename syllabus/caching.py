"""Whole-page caching of public pages for anonymous visitors, never stale.

Every cached page's key carries version numbers: a site-wide one (bumped when any term changes:
new term, renamed slug, published flag) and the page's term's one (bumped on any change to that
term's weeks, readings, papers, sections, meetings or notes). Writers call `bump_term()` /
`bump_site()` (through the `post_save`/`post_delete` receivers of each app) in the same
transaction as the change, and again when it commits, so a reader can never file old data under
the new version. A cached hit reads only the cache: no SQL at all.

Versions live in the cache itself, so every process sees a bump only when the cache is shared:
with several server processes set CACHE_URL to Redis or Memcached (the per-process local-memory
default suits `runserver` and single-process deployments).
"""

import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_http_date, quote_etag

SITE_KEY = "rg:v:site"
PAGE_TIMEOUT = 60 * 60 * 24  # a day; versions, not timeouts, keep pages fresh


def _term_key(slug):
    # A URL may name a slug longer than any term's (100 characters): such a key would be too
    # long for memcached (250 bytes), which refuses it, so it is hashed (the page is a 404).
    if len(slug) > 100:
        slug = hashlib.sha256(slug.encode()).hexdigest()
    return f"rg:v:term:{slug}"


def _version(key):
    value = cache.get(key)
    if value is None:
        cache.add(key, time.time_ns(), timeout=None)
        value = cache.get(key)
    return value


def _bump(key):
    # A fresh, ever-growing number: distinct from every earlier value even after an eviction.
    cache.set(key, time.time_ns(), timeout=None)


def _bump_now_and_on_commit(keys):
    for key in keys:
        _bump(key)
    transaction.on_commit(lambda: [_bump(key) for key in keys])


def bump_term(*slugs):
    """Invalidate every cached page of these terms (call inside the writing transaction)."""
    _bump_now_and_on_commit([_term_key(slug) for slug in slugs if slug])


def bump_site():
    """Invalidate every cached public page (a term was added, removed, renamed, published)."""
    _bump_now_and_on_commit([SITE_KEY])


def may_use_shared_cache(request):
    """Anonymous GET/HEAD without a session or pending messages: the same page for everyone."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def cache_public_page(term_slug):
    """Decorate a public view: serve anonymous visitors from the cache under versioned keys.

    `term_slug(request, **kwargs)` names the term the page shows (None for cross-term pages);
    it must not query the database when the answer is cached.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not may_use_shared_cache(request):
                response = view(request, *args, **kwargs)
                patch_cache_control(response, private=True, no_cache=True)
                return response
            slug = term_slug(request, **kwargs)
            hour = timezone.now().strftime("%Y%m%d%H")  # "this week" and "new" flags move on
            parts = [
                "rg:page",
                str(_version(SITE_KEY)),
                str(_version(_term_key(slug))) if slug else "-",
                hour,
                hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32],
            ]
            key = ":".join(parts)
            cached = cache.get(key)
            if cached is None:
                response = view(request, *args, **kwargs)
                if response.status_code != 200:
                    return response
                if hasattr(response, "render"):
                    response.render()
                # Views with their own validators (the calendar feeds) keep them.
                if not response.has_header("ETag"):
                    digest = hashlib.sha256(response.content).hexdigest()[:32]
                    response["ETag"] = quote_etag(digest)
                if not response.has_header("Last-Modified"):
                    response["Last-Modified"] = http_date()
                patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
                patch_vary_headers(response, ["Cookie"])
                cache.set(key, response, PAGE_TIMEOUT)
                cached = response
            return get_conditional_response(
                request,
                etag=cached["ETag"],
                last_modified=parse_http_date(cached["Last-Modified"]),
                response=cached,
            )

        return wrapped

    return decorator


def term_from_url(request, term, **kwargs):
    return term


def no_term(request, **kwargs):
    return None


def current_term(request, **kwargs):
    """The current term's slug, from the cache when possible ("" when there is none)."""
    from syllabus.models import Term

    key = f"rg:current:{_version(SITE_KEY)}:{timezone.now():%Y%m%d%H}"
    slug = cache.get(key)
    if slug is None:
        term = Term.objects.current()
        request.current_term = term  # the view need not look it up again
        slug = term.slug if term else ""
        cache.set(key, slug, PAGE_TIMEOUT)
    return slug or None
