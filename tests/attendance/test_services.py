import threading
import time

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from attendance.models import AttendanceRecord, Enrollment, Member
from attendance.services import (
    Entry,
    Person,
    RosterConflict,
    WalkIn,
    add_walk_in,
    enroll_people,
    join_section,
    record_attendance,
)
from sections.models import Meeting
from tests.factories import AttendanceRecordFactory, EnrollmentFactory
from tests.threads import both_at_once, postgresql_only

pytestmark = pytest.mark.django_db

Status = AttendanceRecord.Status


def stored(meeting):
    return sorted(
        AttendanceRecord.objects.filter(meeting=meeting).values_list(
            "member__name", "status", "remark", "roster_version"
        )
    )


@pytest.fixture
def members(section):
    return [
        EnrollmentFactory(section=section, member__name=name).member
        for name in ("Ada", "Bea", "Cy")
    ]


def test_record_attendance_stores_each_status_exactly(meeting, members, lead):
    ada, bea, cy = members

    saved = record_attendance(
        meeting=meeting,
        entries=[
            Entry(ada.pk, Status.PRESENT),
            Entry(bea.pk, Status.LATE, "train"),
            Entry(cy.pk, ""),
        ],
        recorded_by=lead,
        expected_version=0,
    )

    assert saved.version == 1
    assert stored(meeting) == [("Ada", "present", "", 1), ("Bea", "late", "train", 1)]
    assert set(AttendanceRecord.objects.values_list("recorded_by", flat=True)) == {lead.pk}


def test_record_attendance_updates_only_what_changed(meeting, members, lead):
    ada, bea, _ = members
    entries = [Entry(ada.pk, Status.PRESENT), Entry(bea.pk, Status.ABSENT)]
    record_attendance(meeting=meeting, entries=entries, recorded_by=lead, expected_version=0)

    saved = record_attendance(
        meeting=meeting,
        entries=[Entry(ada.pk, Status.PRESENT), Entry(bea.pk, Status.EXCUSED, "ill")],
        recorded_by=lead,
        expected_version=1,
    )

    assert [r.member.name for r in saved.changed] == ["Bea"]
    assert stored(meeting) == [("Ada", "present", "", 1), ("Bea", "excused", "ill", 2)]


def test_saving_an_unchanged_roster_writes_nothing_and_keeps_the_version(meeting, members, lead):
    entries = [Entry(members[0].pk, Status.PRESENT)]
    record_attendance(meeting=meeting, entries=entries, recorded_by=lead, expected_version=0)

    saved = record_attendance(
        meeting=meeting, entries=entries, recorded_by=lead, expected_version=1
    )

    assert (saved.version, saved.changed) == (1, [])


def test_a_walk_in_with_a_known_email_in_other_capitals_reuses_the_member(
    meeting, section, other_section, lead
):
    known = EnrollmentFactory(
        section=other_section, member__name="Ada Lovelace", member__email="ada@example.edu"
    ).member

    saved = record_attendance(
        meeting=meeting,
        entries=[],
        recorded_by=lead,
        expected_version=0,
        walk_in=WalkIn(name="Ada L.", email="  ADA@Example.edu ", status=Status.LATE),
    )

    assert saved.walk_in == known
    assert list(Member.objects.values_list("name", "email")) == [
        ("Ada Lovelace", "ada@example.edu")
    ]
    assert sorted(Enrollment.objects.values_list("member", "section")) == sorted(
        [(known.pk, other_section.pk), (known.pk, section.pk)]
    )
    assert stored(meeting) == [("Ada Lovelace", "late", "", 1)]


def test_add_walk_in_twice_enrolls_once(section):
    first = add_walk_in(section=section, name="New Person", email="new@example.edu")
    again = add_walk_in(section=section, name="New Person", email="NEW@example.edu")

    assert first == again
    assert list(Enrollment.objects.values_list("member", "section")) == [(first.pk, section.pk)]


def test_a_walk_in_with_a_malformed_email_is_refused(section):
    with pytest.raises(ValidationError) as caught:
        add_walk_in(section=section, name="Typo", email="typo@")

    assert caught.value.message_dict == {"email": ["Enter a valid email address."]}
    assert Member.objects.count() == 0


def test_a_member_of_another_section_cannot_be_marked(meeting, members, other_section, lead):
    stranger = EnrollmentFactory(section=other_section).member

    with pytest.raises(ValidationError) as caught:
        record_attendance(
            meeting=meeting,
            entries=[Entry(members[0].pk, Status.PRESENT), Entry(stranger.pk, Status.PRESENT)],
            recorded_by=lead,
            expected_version=0,
        )

    assert [e.code for e in caught.value.error_list] == ["not_on_roster"]
    assert stored(meeting) == []


def test_an_unknown_status_is_refused_and_nothing_saved(meeting, members, lead):
    with pytest.raises(ValidationError) as caught:
        record_attendance(
            meeting=meeting,
            entries=[Entry(members[0].pk, Status.PRESENT), Entry(members[1].pk, "maybe")],
            recorded_by=lead,
            expected_version=0,
        )

    assert caught.value.messages == ["“maybe” is not a status."]
    assert stored(meeting) == []


def test_a_cancelled_meeting_cannot_be_marked(meeting, members, lead):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)

    with pytest.raises(ValidationError) as caught:
        record_attendance(
            meeting=meeting,
            entries=[Entry(members[0].pk, Status.PRESENT)],
            recorded_by=lead,
            expected_version=0,
        )

    assert [e.code for e in caught.value.error_list] == ["cancelled"]
    assert stored(meeting) == []


def test_a_stale_save_is_refused_and_told_what_changed(meeting, members, lead, other_lead):
    ada, bea, _ = members
    record_attendance(
        meeting=meeting,
        entries=[Entry(ada.pk, Status.LATE, "bus")],
        recorded_by=other_lead,
        expected_version=0,
    )

    with pytest.raises(RosterConflict) as caught:
        record_attendance(
            meeting=meeting,
            entries=[Entry(ada.pk, Status.PRESENT), Entry(bea.pk, Status.PRESENT)],
            recorded_by=lead,
            expected_version=0,
        )

    conflict = caught.value
    assert conflict.version == 1
    assert [(r.member.name, r.status, r.remark, r.recorded_by) for r in conflict.changes] == [
        ("Ada", "late", "bus", other_lead)
    ]
    assert stored(meeting) == [("Ada", "late", "bus", 1)]


def test_a_stale_save_is_refused_with_the_merge_a_save_would_make(
    meeting, members, lead, other_lead
):
    ada, bea, cy = members
    record_attendance(
        meeting=meeting,
        entries=[Entry(ada.pk, Status.LATE, "bus"), Entry(bea.pk, Status.PRESENT)],
        recorded_by=other_lead,
        expected_version=0,
    )

    # The lead's form was built before that save: nobody marked.
    with pytest.raises(RosterConflict) as caught:
        record_attendance(
            meeting=meeting,
            entries=[
                Entry(ada.pk, "", "", original_status="", original_remark=""),
                Entry(bea.pk, Status.ABSENT, "", original_status="", original_remark=""),
                Entry(cy.pk, Status.PRESENT, "", original_status="", original_remark=""),
            ],
            recorded_by=lead,
            expected_version=0,
        )

    conflict = caught.value
    assert conflict.merged == {
        ada.pk: {"status": "late", "remark": "bus"},
        bea.pk: {"status": "absent", "remark": ""},
        cy.pk: {"status": "present", "remark": ""},
    }
    assert [change.kept for change in conflict.kept] == [
        f"Kept {other_lead.get_full_name()}'s status on Ada: Late.",
        f"Kept {other_lead.get_full_name()}'s remark on Ada: “bus”.",
    ]
    assert [change.clash for change in conflict.clashes] == [
        f"{other_lead.get_full_name()} set the status on Bea to Present; you chose Absent. "
        "Saving again keeps yours."
    ]
    assert stored(meeting) == [("Ada", "late", "bus", 1), ("Bea", "present", "", 1)]


def test_saving_a_merge_writes_the_leads_changes_and_says_what_it_kept_and_replaced(
    meeting, members, lead, other_lead
):
    ada, bea, cy = members
    record_attendance(
        meeting=meeting,
        entries=[Entry(ada.pk, Status.LATE, "bus"), Entry(bea.pk, Status.PRESENT)],
        recorded_by=other_lead,
        expected_version=0,
    )

    # The merge as the conflict page showed it: originals are what is stored now.
    saved = record_attendance(
        meeting=meeting,
        entries=[
            Entry(ada.pk, Status.LATE, "bus", original_status="late", original_remark="bus"),
            Entry(bea.pk, Status.ABSENT, "", original_status="present", original_remark=""),
            Entry(cy.pk, Status.PRESENT, "", original_status="", original_remark=""),
        ],
        recorded_by=lead,
        expected_version=1,
        theirs=[(ada.pk, "status"), (ada.pk, "remark"), (bea.pk, "status")],
    )

    name = other_lead.get_full_name()
    assert [change.kept for change in saved.kept] == [
        f"Kept {name}'s status on Ada: Late.",
        f"Kept {name}'s remark on Ada: “bus”.",
    ]
    assert [change.replaced for change in saved.replaced] == [
        f"Replaced {name}'s status on Bea (Present) with yours (Absent)."
    ]
    assert stored(meeting) == [
        ("Ada", "late", "bus", 1),
        ("Bea", "absent", "", 2),
        ("Cy", "present", "", 2),
    ]


def test_a_field_left_as_the_form_showed_it_keeps_what_is_stored(
    meeting, members, lead, other_lead
):
    """Even at the current version: a form that shows an old remark does not write it back."""
    ada, bea, _ = members
    record_attendance(
        meeting=meeting,
        entries=[Entry(ada.pk, Status.LATE, "bus")],
        recorded_by=other_lead,
        expected_version=0,
    )

    record_attendance(
        meeting=meeting,
        entries=[
            Entry(ada.pk, Status.ABSENT, "", original_status="late", original_remark=""),
            Entry(bea.pk, Status.PRESENT, "", original_status="", original_remark=""),
        ],
        recorded_by=lead,
        expected_version=1,
    )

    assert stored(meeting) == [("Ada", "absent", "bus", 2), ("Bea", "present", "", 2)]


def test_a_conflicting_walk_in_is_not_kept(meeting, members, lead):
    AttendanceRecordFactory(meeting=meeting, member=members[0], roster_version=1)

    with pytest.raises(RosterConflict):
        record_attendance(
            meeting=meeting,
            entries=[],
            recorded_by=lead,
            expected_version=0,
            walk_in=WalkIn(name="Late Comer", email="late@example.edu"),
        )

    assert not Member.objects.filter(email="late@example.edu").exists()


ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL (row locks and two connections); .ci/run runs it there",
)
@pytest.mark.django_db(transaction=True)
def test_two_leads_saving_at_once_on_postgresql_lose_nothing(term, section, lead, other_lead):
    meeting = Meeting.objects.get(section=section, week__number=1)
    ada, bea = (
        EnrollmentFactory(section=section, member__name=name).member for name in ("Ada", "Bea")
    )
    first_saved, release_first = threading.Event(), threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                record_attendance(
                    meeting=meeting,
                    entries=[Entry(ada.pk, Status.PRESENT), Entry(bea.pk, Status.LATE)],
                    recorded_by=lead,
                    expected_version=0,
                )
                first_saved.set()
                release_first.wait(10)  # hold the transaction (and its lock) open
            outcomes["first"] = "saved"
        finally:
            connection.close()

    def second():
        try:
            record_attendance(
                meeting=meeting,
                entries=[Entry(ada.pk, Status.ABSENT), Entry(bea.pk, Status.ABSENT)],
                recorded_by=other_lead,
                expected_version=0,
            )
            outcomes["second"] = "saved"
        except RosterConflict as conflict:
            outcomes["second"] = sorted((r.member.name, r.status) for r in conflict.changes)
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert first_saved.wait(10)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.5)
    blocked = two.is_alive()  # waiting for the first save's lock, not racing it
    release_first.set()
    one.join(10)
    two.join(10)

    assert blocked
    assert outcomes == {"first": "saved", "second": [("Ada", "present"), ("Bea", "late")]}
    assert stored(meeting) == [("Ada", "present", "", 1), ("Bea", "late", "", 1)]


# --- Two requests adding one new email at once (PostgreSQL) -----------------------------------


def members_and_enrollments():
    return (
        sorted(Member.objects.values_list("name", "email")),
        sorted(Enrollment.objects.values_list("member__email", "section__name", "display_name")),
    )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_walk_ins_with_one_new_email_at_once_make_one_member(
    section, other_section, lead, other_lead
):
    outcomes, blocked = both_at_once(
        lambda: (
            add_walk_in(section=section, name="Dee", email="dee@example.edu", by=lead).roster_name
        ),
        lambda: (
            add_walk_in(
                section=other_section, name="Dee W.", email="DEE@example.edu", by=other_lead
            ).roster_name
        ),
    )

    assert blocked  # the second insert waited for the first to commit
    assert outcomes == {"first": "Dee", "second": "Dee W."}
    assert members_and_enrollments() == (
        [("Dee", "dee@example.edu")],
        sorted(
            [
                ("dee@example.edu", section.name, ""),
                ("dee@example.edu", other_section.name, "Dee W."),
            ]
        ),
    )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_bulk_adds_with_one_new_email_at_once_make_one_member(
    section, other_section, lead, other_lead
):
    outcomes, blocked = both_at_once(
        lambda: len(
            enroll_people(
                section=section,
                people=[Person("Dee", "dee@example.edu"), Person("Eve", "eve@example.edu")],
                by=lead,
            ).added
        ),
        lambda: len(
            enroll_people(
                section=other_section,
                people=[Person("Fay", "fay@example.edu"), Person("Dee W.", "DEE@example.edu")],
                by=other_lead,
            ).added
        ),
    )

    assert blocked
    assert outcomes == {"first": 2, "second": 2}
    assert members_and_enrollments() == (
        [("Dee", "dee@example.edu"), ("Eve", "eve@example.edu"), ("Fay", "fay@example.edu")],
        sorted(
            [
                ("dee@example.edu", section.name, ""),
                ("eve@example.edu", section.name, ""),
                ("dee@example.edu", other_section.name, "Dee W."),
                ("fay@example.edu", other_section.name, ""),
            ]
        ),
    )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_join_confirmations_with_one_new_email_at_once_make_one_member(here, there):
    section, other_section = here, there  # a term running now: a past one takes no one
    outcomes, blocked = both_at_once(
        lambda: join_section(section=section, name="Dee", email="dee@example.edu")[1],
        lambda: join_section(section=other_section, name="Dee W.", email="dee@example.edu")[1],
    )

    assert blocked
    assert outcomes == {"first": True, "second": True}
    assert members_and_enrollments() == (
        [("Dee", "dee@example.edu")],
        sorted(
            [("dee@example.edu", section.name, ""), ("dee@example.edu", other_section.name, "")]
        ),
    )
