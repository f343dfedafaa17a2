"""Discussion notes: the leads' pages (who may use them, preview, save, conflicts, history) and
the notes on the public week and section pages."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from sections.models import DiscussionNote, Meeting
from tests.factories import UserFactory, build_term, write_note

pytestmark = pytest.mark.django_db

DRAFT, PUBLISHED = DiscussionNote.Status.DRAFT, DiscussionNote.Status.PUBLISHED


@pytest.fixture
def meeting():
    """Week 1 of a term's first section (led by one lead), with a second section led by
    someone else."""
    term = build_term(weeks=2, readings_per_week=0, sections=2)
    return Meeting.objects.select_related("section__term", "week").get(
        section=term.sections.order_by("pk").first(), week__number=1
    )


def the_lead(meeting):
    return meeting.section.leads.get()


def edit_url(meeting):
    return reverse("sections:note-edit", kwargs={"meeting": meeting.pk})


def history_url(meeting):
    return reverse("sections:note-history", kwargs={"meeting": meeting.pk})


def restore_url(meeting, number):
    return reverse("sections:note-restore", kwargs={"meeting": meeting.pk, "number": number})


def post_note(client, meeting, body, *, status=PUBLISHED, version=0, button="save"):
    return client.post(
        edit_url(meeting), {"body": body, "status": status, "version": version, button: "1"}
    )


# --- Who may use the note pages: role × URL -------------------------------------------------


def user_for(role, meeting, organizer):
    if role == "anonymous":
        return None
    if role == "member":
        return UserFactory(username="member")
    if role == "other lead":
        return meeting.section.term.sections.exclude(pk=meeting.section_id).get().leads.get()
    if role == "lead":
        return the_lead(meeting)
    return organizer


REQUESTS = {
    "edit page": lambda c, m: c.get(edit_url(m)),
    "save": lambda c, m: post_note(c, m, "Our notes.", version=2),
    "history": lambda c, m: c.get(history_url(m)),
    "restore": lambda c, m: c.post(restore_url(m, 1)),
}
ALLOWED = {"edit page": 200, "save": 302, "history": 200, "restore": 302}


@pytest.mark.parametrize("action", list(REQUESTS))
@pytest.mark.parametrize("role", ["anonymous", "member", "other lead", "lead", "organizer"])
def test_note_pages_permission_matrix(client, meeting, organizer, role, action):
    write_note(meeting, "Version one.", "Version two.")
    user = user_for(role, meeting, organizer)
    if user:
        client.force_login(user)

    response = REQUESTS[action](client, meeting)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/meetings/")
    elif role in ("member", "other lead"):
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()
    else:
        assert response.status_code == ALLOWED[action]
        if response.status_code == 302:
            assert response["Location"] == edit_url(meeting)
    changed = role in ("lead", "organizer") and action in ("save", "restore")
    assert DiscussionNote.objects.get().version == (3 if changed else 2)


def test_restore_needs_post(client, meeting):
    write_note(meeting, "Version one.")
    client.force_login(the_lead(meeting))

    response = client.get(restore_url(meeting, 1))

    assert response.status_code == 405
    assert DiscussionNote.objects.get().version == 1


def test_unknown_meeting_or_version_is_a_404(client, meeting, organizer):
    write_note(meeting, "Version one.")
    client.force_login(organizer)

    assert client.get(reverse("sections:note-edit", kwargs={"meeting": 999999})).status_code == 404
    assert client.post(restore_url(meeting, 7)).status_code == 404


# --- Writing notes ----------------------------------------------------------------------------


def test_lead_publishes_notes_and_they_appear_safely_on_the_week_page(client, fall2022):
    meeting = Meeting.objects.get(section__slug="wednesday", week__number=6)
    lead = meeting.section.leads.order_by("pk").first()
    client.force_login(lead)
    body = (
        "## Grokking\n\nWe read [the paper](https://arxiv.org/abs/2201.02177).<script>x()</script>"
    )

    response = post_note(client, meeting, body)
    client.logout()
    week_page = client.get("/terms/fall-2022/weeks/6/").content.decode()

    assert response["Location"] == edit_url(meeting)
    assert (
        '<div class="note-body"><h2>Grokking</h2>\n<p>We read <a href="https://arxiv.org/abs/'
        '2201.02177" rel="nofollow noopener">the paper</a>.</p></div>'
    ) in week_page
    assert "<script>x()" not in week_page
    assert f"Notes by {lead.get_full_name()}" in week_page


def test_saving_says_what_happened(client, meeting):
    client.force_login(the_lead(meeting))

    def messages_after(response):
        return [str(m) for m in client.get(response["Location"]).context["messages"]]

    assert messages_after(post_note(client, meeting, "Draft.", status=DRAFT)) == [
        "Saved version 1 as a draft: only the meeting's leads and organizers see it."
    ]
    assert messages_after(post_note(client, meeting, "Final.", version=1)) == [
        "Saved version 2, published: members see it on the week page."
    ]
    assert messages_after(post_note(client, meeting, "Final.", version=2)) == [
        "Nothing changed, so no new version was saved."
    ]


def test_preview_renders_without_saving(client, meeting):
    client.force_login(the_lead(meeting))

    response = post_note(client, meeting, "**Bold** <img src=x onerror=alert(1)>", button="preview")

    assert str(response.context["preview"]) == "<p><strong>Bold</strong> </p>"
    assert "<strong>Bold</strong>" in response.content.decode()
    assert response.context["form"]["body"].value() == "**Bold** <img src=x onerror=alert(1)>"
    assert not DiscussionNote.objects.exists()


def test_empty_status_is_refused_next_to_the_field(client, meeting):
    client.force_login(the_lead(meeting))

    response = client.post(edit_url(meeting), {"body": "x", "status": "", "version": 0})

    assert response.context["form"].errors == {"status": ["This field is required."]}
    assert not DiscussionNote.objects.exists()


def test_second_lead_saving_an_old_version_is_told_and_keeps_their_text(client, meeting):
    lead = the_lead(meeting)
    co_lead = UserFactory(username="colead")
    meeting.section.leads.add(co_lead)
    write_note(meeting, "Start.", author=lead)
    post_note(client, meeting, "Lead's edit.", version=1)  # anonymous: refused, for contrast
    client.force_login(lead)
    post_note(client, meeting, "Lead's edit.", version=1)
    client.force_login(co_lead)

    response = post_note(client, meeting, "Co-lead's edit.", version=1)

    assert response.status_code == 409
    assert response.context["form"].errors == {
        "__all__": [
            "Version 2 of these notes was saved by someone else while you were editing version "
            "1. Nothing was saved: your text is still in the form and theirs is shown beside "
            "it; merge the two and save again."
        ]
    }
    assert response.context["form"]["body"].value() == "Co-lead's edit."
    assert response.context["form"]["version"].value() == 2
    assert response.context["theirs"].body == "Lead's edit."
    assert DiscussionNote.objects.get().body == "Lead's edit."

    merged = post_note(client, meeting, "Lead's edit. Co-lead's edit.", version=2)

    assert merged.status_code == 302
    assert list(DiscussionNote.objects.get().revisions.values_list("body", flat=True)) == [
        "Lead's edit. Co-lead's edit.",
        "Lead's edit.",
        "Start.",
    ]


def test_history_lists_versions_and_restore_brings_text_back(client, meeting):
    write_note(meeting, "one", "two", "three")
    client.force_login(the_lead(meeting))

    page = client.get(history_url(meeting))
    restored = client.post(restore_url(meeting, 2))

    assert [r.number for r in page.context["revisions"]] == [3, 2, 1]
    assert 'action="/meetings/' in page.content.decode()
    assert [str(m) for m in client.get(restored["Location"]).context["messages"]] == [
        "Version 4 now has the text of version 2."
    ]
    note = DiscussionNote.objects.get()
    assert (note.version, note.body) == (4, "two")


# --- Notes on the public pages ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees_draft"),
    [("anonymous", False), ("member", False), ("other lead", False), ("lead", True)],
)
def test_draft_notes_are_seen_only_by_the_meetings_leads(
    client, meeting, organizer, role, sees_draft
):
    write_note(meeting, "Secret draft.", status=DRAFT)
    user = user_for(role, meeting, organizer)
    if user:
        client.force_login(user)

    week = client.get(meeting.week.get_absolute_url()).content.decode()
    section = client.get(meeting.section.get_absolute_url()).content.decode()

    assert ("Secret draft." in week, "Secret draft." in section) == (sees_draft, sees_draft)


def test_organizer_sees_drafts_and_edit_links(client, meeting, organizer):
    write_note(meeting, "Secret draft.", status=DRAFT)
    client.force_login(organizer)

    week = client.get(meeting.week.get_absolute_url()).content.decode()

    assert "Secret draft." in week
    assert len(re.findall(r'href="/meetings/\d+/notes/"', week)) == 2  # both sections' meetings


def test_published_notes_show_to_everyone_on_both_pages(client, meeting):
    write_note(meeting, "Everyone may read *this*.")

    week = client.get(meeting.week.get_absolute_url()).content.decode()
    section = client.get(meeting.section.get_absolute_url()).content.decode()

    assert "<p>Everyone may read <em>this</em>.</p>" in week
    assert "<p>Everyone may read <em>this</em>.</p>" in section
    assert 'href="/meetings/' not in week + section


@pytest.mark.parametrize(
    ("role", "links"), [("anonymous", 0), ("other lead", 1), ("lead", 1), ("organizer", 2)]
)
def test_edit_links_on_the_week_page_only_for_those_who_may_manage(
    client, meeting, organizer, role, links
):
    user = user_for(role, meeting, organizer)
    if user:
        client.force_login(user)

    week = client.get(meeting.week.get_absolute_url()).content.decode()

    assert len(re.findall(r'href="/meetings/\d+/notes/"', week)) == links  # their own only
    assert (f'href="{edit_url(meeting)}"' in week) == (role in ("lead", "organizer"))


def test_section_page_links_each_meeting_to_its_notes_for_the_lead(client, meeting):
    client.force_login(the_lead(meeting))

    section = client.get(meeting.section.get_absolute_url()).content.decode()

    assert len(re.findall(r'href="/meetings/\d+/notes/"', section)) == 2  # one per week


# --- Query counts -------------------------------------------------------------------------------


def term_with_notes(*, sections, slug, first_monday=datetime.date(2022, 9, 12)):
    """A term whose week 2 meetings and first section's meetings all have published notes."""
    term = build_term(
        weeks=4, readings_per_week=2, sections=sections, slug=slug, first_monday=first_monday
    )
    first_section = term.sections.order_by("pk").first()
    for meeting in Meeting.objects.for_term(term).select_related("section"):
        if meeting.week.number == 2 or meeting.section_id == first_section.pk:
            write_note(meeting, f"Notes of {meeting.pk}.", "Edited.")
    return term, first_section


@pytest.mark.parametrize(
    ("page", "expected"),
    # With the page cache's read of the data version; the week's page with its term's week
    # numbers and titles, one query that spares it five subqueries, the section's with its
    # term's weeks (the term's end), one that spares it two (#16).
    [("week", 7), ("section", 6)],
)
def test_public_pages_with_notes_keep_a_constant_query_count(
    client, django_assert_num_queries, page, expected
):
    # Terms that run now: a past term's pages run one query more (tests/sections/test_views.py).
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday(), weeks=1)
    one, one_section = term_with_notes(sections=1, slug="one", first_monday=monday)
    many, many_section = term_with_notes(sections=6, slug="many", first_monday=monday)
    if page == "week":
        urls = [f"/terms/{term.slug}/weeks/2/" for term in (one, many)]
    else:
        urls = [section.get_absolute_url() for section in (one_section, many_section)]

    for url in urls:
        with django_assert_num_queries(expected):
            response = client.get(url)
        assert "Edited." in response.content.decode()


@pytest.mark.parametrize("page", ["edit", "history"])
def test_lead_pages_keep_a_constant_query_count(client, django_assert_num_queries, page):
    expected = {"edit": 4, "history": 5}[page]  # the header's "My meetings" comes with the user
    one, _ = term_with_notes(sections=1, slug="one")
    many, _ = term_with_notes(sections=1, slug="many", first_monday=datetime.date(2023, 1, 2))
    one_meeting = Meeting.objects.get(section__term=one, week__number=1)
    many_meeting = Meeting.objects.get(section__term=many, week__number=1)
    write_note(many_meeting, "three", "four", "five", "six")
    url = edit_url if page == "edit" else history_url

    for meeting in (one_meeting, many_meeting):
        client.force_login(the_lead(meeting))
        with django_assert_num_queries(expected):
            client.get(url(meeting))


def test_notes_over_100000_characters_get_a_clear_error_and_nothing_is_saved(client, meeting):
    client.force_login(the_lead(meeting))

    response = post_note(client, meeting, "x" * 100_001)

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "body": [
            "These notes are 100,001 characters long; notes take at most 100,000. "
            "Shorten them (or link to a longer document)."
        ]
    }
    assert DiscussionNote.objects.count() == 0


def test_notes_of_exactly_100000_characters_are_saved(client, meeting):
    client.force_login(the_lead(meeting))

    response = post_note(client, meeting, "x" * 100_000)

    assert response.status_code == 302
    assert len(DiscussionNote.objects.get().body) == 100_000
