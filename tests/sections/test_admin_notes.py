"""Organizers edit discussion notes in the admin: every save is a revision there too."""

import pytest

from sections.models import DiscussionNote, Meeting
from tests.factories import build_term, write_note
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/sections/discussionnote/"
# The read-only revisions inline still posts its management form.
NO_INLINE_FORMS = {"revisions-TOTAL_FORMS": 0, "revisions-INITIAL_FORMS": 0}


def notes_for(term):
    for meeting in Meeting.objects.for_term(term).select_related("section"):
        write_note(meeting, "one", "two")


def test_note_changelist_queries_do_not_grow_with_rows(client, organizer):
    client.force_login(organizer)
    notes_for(build_term(weeks=1, readings_per_week=0, sections=1, slug="one"))
    few = count_queries(client, CHANGELIST)

    notes_for(build_term(weeks=5, readings_per_week=0, sections=3, slug="many"))
    many = count_queries(client, CHANGELIST)

    assert many == few


def test_organizer_edit_in_the_admin_adds_a_revision_and_shows_the_history(client, organizer):
    client.force_login(organizer)
    build_term(weeks=1, readings_per_week=0, sections=1)
    note = write_note(Meeting.objects.select_related("section").get(), "From the lead.")
    url = f"/admin/sections/discussionnote/{note.pk}/change/"

    page = client.get(url)
    response = client.post(
        url,
        {
            "body": "Fixed by an organizer.",
            "status": "published",
            "expected_version": 1,
            **NO_INLINE_FORMS,
        },
    )

    inline = page.context["inline_admin_formsets"][0]
    assert [form.original.number for form in inline] == [1]
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.version, note.body) == (2, "Fixed by an organizer.")
    assert list(note.revisions.values_list("number", "author__username")) == [
        (2, "organizer"),
        (1, note.meeting.section.leads.get().username),
    ]


def test_admin_edit_of_an_old_version_is_refused_with_a_clear_message(client, organizer):
    client.force_login(organizer)
    build_term(weeks=1, readings_per_week=0, sections=1)
    note = write_note(Meeting.objects.select_related("section").get(), "one", "two")

    response = client.post(
        f"/admin/sections/discussionnote/{note.pk}/change/",
        {"body": "Stale edit.", "status": "published", "expected_version": 1, **NO_INLINE_FORMS},
    )

    assert response.context["adminform"].form.errors == {
        "__all__": [
            "Version 2 was saved by someone else while you were editing version 1. Nothing was "
            "saved; copy your text, reload the page and merge."
        ]
    }
    assert DiscussionNote.objects.get().body == "two"


def test_organizer_adds_a_note_in_the_admin(client, organizer):
    client.force_login(organizer)
    build_term(weeks=1, readings_per_week=0, sections=1)
    meeting = Meeting.objects.get()

    response = client.post(
        "/admin/sections/discussionnote/add/",
        {
            "meeting": meeting.pk,
            "body": "Added here.",
            "status": "draft",
            "expected_version": 0,
            **NO_INLINE_FORMS,
        },
    )

    assert response.status_code == 302
    note = DiscussionNote.objects.get()
    assert list(note.revisions.values_list("number", "body", "author__username")) == [
        (1, "Added here.", "organizer")
    ]


def test_notes_cannot_be_deleted_in_the_admin(client, organizer):
    client.force_login(organizer)
    build_term(weeks=1, readings_per_week=0, sections=1)
    note = write_note(Meeting.objects.select_related("section").get(), "Keep me.")

    response = client.post(f"/admin/sections/discussionnote/{note.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert DiscussionNote.objects.filter(pk=note.pk).exists()


def test_admin_refuses_notes_over_100000_characters_next_to_the_field(client, organizer):
    client.force_login(organizer)
    build_term(weeks=1, readings_per_week=0, sections=1)
    meeting = Meeting.objects.get()

    response = client.post(
        "/admin/sections/discussionnote/add/",
        {
            "meeting": meeting.pk,
            "body": "x" * 100_001,
            "status": "draft",
            "expected_version": 0,
            **NO_INLINE_FORMS,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "body": [
            "These notes are 100,001 characters long; notes take at most 100,000. "
            "Shorten them (or link to a longer document)."
        ]
    }
    assert DiscussionNote.objects.count() == 0
