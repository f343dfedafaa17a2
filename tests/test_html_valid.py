"""Every public page is valid HTML per the W3C Nu checker."""

import pytest

from sections.models import Meeting
from tests.factories import build_term, this_monday, write_note
from tests.html_checker import html_errors

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PUBLIC_PAGES = [
    "/",
    "/terms/",
    "/terms/fall-2022/weeks/6/",
    "/terms/fall-2022/sections/wednesday/",
    "/terms/fall-2022/readings/",
    "/terms/nowhere/",
    "/accounts/login/",
]


def test_public_pages_are_valid_html(client, fall2022, tmp_path, settings):
    """The pages above, and those of a term running now (notes marked and linked, weeks linked in
    turn, the join form), of one to come and of the past one (which say when each starts or
    ended; the join page refusing)."""
    settings.EMAIL_CONFIGURED = True
    now = build_term(weeks=4, sections=2, slug="now", first_monday=this_monday(weeks=-2))
    build_term(weeks=2, sections=1, slug="next", first_monday=this_monday(weeks=8))
    for meeting in Meeting.objects.for_term(now).filter(week__number__lte=2):
        write_note(meeting, "We read it.")
    section = now.sections.order_by("pk").first()
    urls = [
        *PUBLIC_PAGES,
        "/terms/now/",
        "/terms/now/weeks/2/",
        section.get_absolute_url(),
        section.get_absolute_url() + "join/",
        "/terms/next/",
        "/terms/fall-2022/",
        "/terms/fall-2022/sections/wednesday/join/",
    ]
    pages = {url: client.get(url).content.decode() for url in urls}

    errors = html_errors(pages, tmp_path)

    assert errors == {url: [] for url in urls}
