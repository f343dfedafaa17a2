"""Markdown to sanitised HTML: `markdown` renders, `nh3` (ammonia) keeps only safe markup."""

import functools

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Contents dropped with the tag (other disallowed tags are unwrapped and keep their text).
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "svg", "math", "template"}


def render_markdown(text: str) -> SafeString:
    """Render Markdown written by organizers or leads as HTML that is safe to show anyone.

    Headings, lists, emphasis, code, blockquotes, tables and links survive; links keep only
    absolute http, https and mailto targets (relative and protocol-relative ones are dropped)
    and get rel="nofollow noopener". Everything else (scripts, event handlers, styles, iframes,
    images, other URL schemes) is removed by nh3.

    The HTML depends on the text alone, so each process remembers the last few hundred texts it
    rendered (an edited text is a new key: nothing stale can be shown); a week page with four
    sections. notes rendered them on every request (≈0.3 ms for a short note).
    """
    return mark_safe(_render(text or ""))


@functools.lru_cache(maxsize=512)
def _render(text):
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        clean_content_tags=DROPPED_WITH_CONTENT,
        url_schemes=URL_SCHEMES,
        url_relative="deny",
        link_rel="nofollow noopener",
        strip_comments=True,
    )
