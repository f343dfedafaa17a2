"""Public exports that any web page may read from a browser (CORS).

A group's own web page, or a bot running in a browser, fetches schedule.json, a calendar feed or
readings.bib from another origin; without `Access-Control-Allow-Origin` the browser hides the
answer from it. These exports are the same for every visitor: `*` lets any origin read them but
never with the reader's cookies (browsers refuse credentials with `*`), so a draft term an
organizer could see stays theirs.
"""

import functools


def allow_any_origin(view):
    """Send `Access-Control-Allow-Origin: *` with every answer of `view`. Put it outside
    `cache_public_page`, so that a page from the cache and a 304 carry it too (a 304 keeps only
    a few headers of the page it stands for)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapped
