import pytest

from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting
from sections.services import NoteConflictError, restore_revision, save_note
from tests.factories import UserFactory, build_term, write_note

pytestmark = pytest.mark.django_db

DRAFT, PUBLISHED = DiscussionNote.Status.DRAFT, DiscussionNote.Status.PUBLISHED


@pytest.fixture
def meeting():
    build_term(weeks=1, readings_per_week=0, sections=1)
    return Meeting.objects.select_related("section").get()


def history(note):
    return list(note.revisions.order_by("number").values_list("number", "body", "status"))


def test_three_edits_leave_three_versions(meeting):
    note = write_note(meeting, "one", "two", "three")

    assert history(note) == [(1, "one", PUBLISHED), (2, "two", PUBLISHED), (3, "three", PUBLISHED)]
    assert (note.version, note.body) == (3, "three")


def test_restoring_a_version_brings_its_text_back_as_a_new_version(meeting):
    note = write_note(meeting, "one", "two", "three")
    lead = UserFactory()

    note = restore_revision(revision=note.revisions.get(number=1), author=lead)

    assert (note.version, note.body) == (4, "one")
    assert history(note)[-1] == (4, "one", PUBLISHED)
    assert note.revisions.get(number=4).restored_from == 1
    assert note.revisions.get(number=4).author == lead
    assert [r.body for r in note.revisions.order_by("number")] == ["one", "two", "three", "one"]


def test_restoring_keeps_the_current_status(meeting):
    note = write_note(meeting, "draft text", status=DRAFT)
    note = save_note(
        meeting=meeting, body="final", status=PUBLISHED, author=None, expected_version=1
    )

    note = restore_revision(revision=note.revisions.get(number=1), author=None)

    assert (note.body, note.status, note.version) == ("draft text", PUBLISHED, 3)


def test_second_of_two_concurrent_saves_is_told_and_nothing_is_lost(meeting):
    first, second = UserFactory(), UserFactory()
    write_note(meeting, "start", author=first)

    save_note(meeting=meeting, body="first's edit", status=DRAFT, author=first, expected_version=1)
    with pytest.raises(NoteConflictError) as raised:
        save_note(
            meeting=meeting, body="second's edit", status=DRAFT, author=second, expected_version=1
        )

    assert raised.value.current.body == "first's edit"
    assert raised.value.current.version == 2
    assert raised.value.code == "note_conflict"
    note = DiscussionNote.objects.get(meeting=meeting)
    assert history(note) == [(1, "start", PUBLISHED), (2, "first's edit", DRAFT)]
    assert set(note.authors.all()) == {first}


def test_conflicting_creation_of_a_new_note_is_told(meeting):
    save_note(meeting=meeting, body="mine", status=DRAFT, author=None, expected_version=0)

    with pytest.raises(NoteConflictError):
        save_note(meeting=meeting, body="yours", status=DRAFT, author=None, expected_version=0)

    assert DiscussionNote.objects.get(meeting=meeting).body == "mine"


def test_saving_unchanged_text_makes_no_new_version(meeting):
    write_note(meeting, "same")

    again = save_note(
        meeting=meeting, body="same", status=PUBLISHED, author=None, expected_version=1
    )

    assert again.version == 1
    assert DiscussionNoteRevision.objects.count() == 1


def test_authors_are_everyone_who_saved(meeting):
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    note = write_note(meeting, "one", author=ada)
    save_note(meeting=meeting, body="two", status=PUBLISHED, author=bob, expected_version=1)

    assert sorted(note.authors.values_list("username", flat=True)) == ["ada", "bob"]
