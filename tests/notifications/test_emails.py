"""The meeting-change email shows stored names and the lead's reason as text: escaped in the
HTML part, verbatim in the plain one, on one line in the subject."""

import pytest
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from core.models import OutgoingEmail
from sections.models import Meeting
from sections.services import cancel_meeting
from syllabus.models import Week
from tests.hostile import (
    NASTY_STRINGS,
    STORED_HTML,
    STORED_HTML_ESCAPED,
    STORED_HTML_LIVE,
    hostile_settings,
    rolled_back,
)

pytestmark = pytest.mark.django_db

# What a lead may type as a reason (a service strips it and refuses it blank); PostgreSQL
# refuses NUL in text, and the column holds 300 characters.
reasons = st.one_of(
    st.sampled_from([s for s in NASTY_STRINGS if s.strip() and "\x00" not in s]),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=300),
).filter(lambda reason: reason.strip())


@pytest.fixture
def hostile_meeting(term, meeting):
    """Group, term, section, week and room names that are markup."""
    term.title = "<b>Deep</b> & <script>alert(1)</script>"
    term.name = STORED_HTML
    term.save()
    section = meeting.section
    section.name = STORED_HTML
    section.room = STORED_HTML
    section.save()  # the sync gives its meetings the new room
    Week.objects.filter(pk=meeting.week_id).update(title=STORED_HTML)
    return Meeting.objects.get(pk=meeting.pk)


@hostile_settings()
@given(reason=reasons)
def test_names_and_reasons_are_text_in_both_parts_and_the_subject(clock, hostile_meeting, reason):
    with rolled_back():
        cancel_meeting(meeting=hostile_meeting, reason=reason, by=None)

        email = OutgoingEmail.objects.first()
        assert STORED_HTML_LIVE not in email.html
        assert "<script>" not in email.html
        assert "&lt;b&gt;Deep&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in email.html
        # <title> (the subject), section, term, week (twice: text and link), room
        assert email.html.count(STORED_HTML_ESCAPED) == 6
        assert f"<p>Reason: {escape(reason.strip())}</p>" in email.html
        assert f"\nReason: {reason.strip()}\n" in email.text  # plain text: as typed
        assert STORED_HTML in email.text
        assert email.subject == (
            f"Cancelled: {STORED_HTML} section, Week 10 — Wed Nov 16, 6–8 pm EST"
        )
