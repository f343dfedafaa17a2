"""URL helpers shared by every app."""

import functools

from django.urls import reverse


@functools.lru_cache(maxsize=8192)
def _reverse(name, items):
    return reverse(name, kwargs=dict(items))


def reverse_url(name, **kwargs):
    """`reverse()`, remembered: a schedule page links hundreds of weeks, sections and meetings,
    and the same URL always reverses to the same path (the URLconf does not change at run time).
    """
    return _reverse(name, tuple(sorted(kwargs.items())))
