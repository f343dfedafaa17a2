"""The public pages of Fall 2022 render byte for byte as they did before the speed work (#16).

The pages were rendered by the code before it was made faster and stored under
tests/golden/pages/; each test renders one page again, anonymously or as a lead, and compares
the bytes (the CSRF token masked). Fall 2022 is extended with what makes the markup vary: a
cancelled and a moved meeting, published and draft notes in Markdown, and text with the
characters HTML escapes. After a deliberate change to these pages, regenerate the files with
`READINGGROUP_UPDATE_GOLDEN=1 make test-fast` (or pytest on this file) and read the diff.
"""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from sections import services
from sections.models import DiscussionNote, Meeting
from syllabus.models import Paper, Week

GOLDEN = Path(__file__).parent / "golden" / "pages"
UPDATE = os.environ.get("READINGGROUP_UPDATE_GOLDEN") == "1"
HOSTILE = 'Tom & Jerry\'s "<b>bold</b>"'

PAGES = {
    "home": "/",
    "term": "/terms/fall-2022/",
    "readings": "/terms/fall-2022/readings/",
    **{f"week-{n}": f"/terms/fall-2022/weeks/{n}/" for n in (1, 3, 5, 6, 11)},
    "section-wednesday": "/terms/fall-2022/sections/wednesday/",
    "section-friday": "/terms/fall-2022/sections/friday/",
}


@pytest.fixture
def varied_fall2022(fall2022):
    """Fall 2022 with every state a meeting line and a note can be in."""
    lead = get_user_model().objects.get(username="emichaud")
    meeting = Meeting.objects.get
    services.cancel_meeting(
        meeting=meeting(section__slug="wednesday", week__number=5),
        reason=f"No meeting: {HOSTILE}",
        by=lead,
        notify=False,
    )
    moved = meeting(section__slug="friday", week__number=5)
    services.move_meeting(
        meeting=moved,
        date=moved.starts_at.date() + datetime.timedelta(days=1),
        start_time=datetime.time(17, 0),
        end_time=datetime.time(18, 30),
        room="32-G449",
        by=lead,
        note="Moved for the holiday",
        notify=False,
    )
    services.move_meeting(
        meeting=meeting(section__slug="wednesday", week__number=6),
        date=meeting(section__slug="wednesday", week__number=6).starts_at.date(),
        start_time=datetime.time(18, 0),
        end_time=datetime.time(20, 0),
        room="E25-111",
        by=lead,
        notify=False,
    )
    for number, status in ((3, "published"), (5, "draft")):
        services.save_note(
            meeting=meeting(section__slug="wednesday", week__number=number),
            body=f"## What we said\n\n- *Grokking* is {HOSTILE}\n- [a link](https://example.org/?a=1&b=2)"
            "\n\n<script>alert(1)</script>",
            status=status,
            author=lead,
            expected_version=0,
        )
    # Notes say when they were written: a fixed day, so that the pages do not change tomorrow.
    DiscussionNote.objects.update(updated_at=datetime.datetime(2022, 10, 1, tzinfo=datetime.UTC))
    Week.objects.filter(term=fall2022, number=3).update(
        summary=f"A **summary** with {HOSTILE}", tagline=HOSTILE
    )
    Paper.objects.filter(pk=Paper.objects.order_by("pk").first().pk).update(title=HOSTILE)
    return fall2022


def render(client, path):
    """The page's bytes, with the CSRF token masked and each meeting's primary key written as
    its section and week (PostgreSQL does not restart its sequences between tests)."""
    response = client.get(path)
    assert response.status_code == 200, path
    names = {
        str(pk).encode(): f"{section}-{week}".encode()
        for pk, section, week in Meeting.objects.values_list("pk", "section__slug", "week__number")
    }
    body = re.sub(rb'(name="csrfmiddlewaretoken" value=")[^"]+', rb"\1-", response.content)
    return re.sub(rb"/meetings/(\d+)/", lambda m: b"/meetings/%s/" % names[m[1]], body)


def check(name, body):
    path = GOLDEN / f"{name}.html"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    assert body == path.read_bytes(), f"{name} differs from {path}"


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_as_before_for_anyone(varied_fall2022, client, name):
    check(name, render(client, PAGES[name]))


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_as_before_for_its_lead(varied_fall2022, client, name):
    client.force_login(get_user_model().objects.get(username="emichaud"))
    check(f"{name}-lead", render(client, PAGES[name]))
