"""export_term / import_term: a term goes out as one JSON document and comes back object by
object; a file that is broken, of another version or clashing with the database changes
nothing."""

import copy
import datetime
import io
import json
import os
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from attendance.models import AttendanceRecord, Enrollment, Member
from readinggroup.term_archive import export_term, import_term, read_term_file
from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section
from sections.services import cancel_meeting, move_meeting, restore_meeting, restore_revision
from syllabus.models import Paper, Reading, Term, Week
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    MemberFactory,
    PaperFactory,
    ReadingFactory,
    UserFactory,
    build_term,
    delete_terms,
    enroll_members,
    write_note,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
UTC = datetime.UTC
LATE, PRESENT, EXCUSED = "late", "present", "excused"


# --- A rich term, and every object of it as plain values -----------------------------------


@pytest.fixture
def term(organizer):
    """Four weeks (the last moved by an override), two sections (one with two leads and a
    capacity), papers by arXiv id, by DOI only and with no id (one also read in another term),
    a cancelled, a moved and a restored meeting, notes with a restored revision and a draft,
    members enrolled and walk-ins, attendance (also on a meeting cancelled afterwards)."""
    term = build_term(
        weeks=4,
        readings_per_week=2,
        sections=2,
        slug="fall-2022",
        name="Fall 2022",
        intro="Welcome, *everyone* — ünïcödé too.",
        reading_list_note="A sample reading list.",
    )
    term.organizers.add(organizer)
    monday, tuesday = term.sections.order_by("weekday")
    alex = UserFactory(username="alex", first_name="Alex", last_name="Infanger")
    monday.leads.add(alex)
    # Named, not numbered by the factory: the file lists sections (and their notes) by slug,
    # and "section-10" comes before "section-9".
    # A room the factory never gives ("2-<n>"): saving it must change the room, and so the
    # meetings' SEQUENCE, whichever tests ran before.
    monday.capacity, monday.room, monday.slug = 25, "E25-111", "monday"
    monday.save()
    tuesday.room, tuesday.slug = "4-146", "tuesday"
    tuesday.save()
    lead = monday.leads.exclude(pk=alex.pk).get()
    lead.username, lead.first_name, lead.last_name = "eric", "Eric", "Michaud"
    lead.save()
    tuesday.leads.update(username="dana")
    week4 = term.weeks.get(number=4)
    week4.starts_on_override = datetime.date(2022, 10, 10)
    week4.summary = "Moved a week later for *the holiday*."
    week4.save()
    week1 = term.weeks.get(number=1)
    ReadingFactory(
        week=week1,
        paper=PaperFactory(arxiv_id="", doi="10.23915/distill.00024.001", title="Zoom In"),
        kind=Reading.Kind.OPTIONAL,
        note="sections 1–3",
        order=7,
    )
    ReadingFactory(
        week=week1,
        paper=PaperFactory(arxiv_id="", title="Lecture notes", year=None, url="https://x.edu/n"),
        order=8,
    )
    other = build_term(weeks=1, readings_per_week=0, sections=1, slug="spring-2023")
    ReadingFactory(week=other.weeks.get(), paper=week1.readings.order_by("order").first().paper)
    EnrollmentFactory(section=other.sections.get(), member=MemberFactory(name="Elsewhere"))

    def meeting(section, number):
        return Meeting.objects.get(section=section, week__number=number)

    members = enroll_members(monday, 3) + enroll_members(tuesday, 2)
    kaivu = MemberFactory(
        email="Kaivu@Example.edu", user=UserFactory(username="kaivu", first_name="Kaivu")
    )
    EnrollmentFactory(member=kaivu, section=monday)
    walk_in = MemberFactory(name="Walk In", affiliation="")
    at = datetime.datetime(2022, 9, 12, 23, 5, 7, 123456, tzinfo=UTC)
    for member, status in zip(
        [*members[:3], kaivu], [PRESENT, LATE, EXCUSED, PRESENT], strict=True
    ):
        AttendanceRecordFactory(
            meeting=meeting(monday, 1),
            member=member,
            status=status,
            recorded_by=lead,
            recorded_at=at,
            remark="train was late" if status == LATE else "",
        )
    AttendanceRecordFactory(meeting=meeting(tuesday, 1), member=walk_in, recorded_by=None)
    AttendanceRecordFactory(
        meeting=meeting(tuesday, 2), member=members[3], recorded_by=organizer, roster_version=3
    )
    cancel_meeting(meeting=meeting(tuesday, 2), reason="No meeting: Veterans Day", by=organizer)
    move_meeting(
        meeting=meeting(monday, 3),
        date=datetime.date(2022, 9, 27),
        start_time=datetime.time(16, 30),
        end_time=datetime.time(18),
        room="4-231",
        by=lead,
        note="Exams in our room.",
    )
    move_meeting(
        meeting=meeting(monday, 2),
        date=datetime.date(2022, 9, 19),
        start_time=datetime.time(17),
        end_time=datetime.time(18, 30),
        room="10-250",
        by=alex,
    )
    restore_meeting(meeting=meeting(monday, 2), by=organizer)
    note = write_note(meeting(monday, 1), "# First draft", "Second *version*.", author=lead)
    restore_revision(revision=note.revisions.get(number=1), author=alex)
    write_note(meeting(tuesday, 1), "Only a draft.", status=DiscussionNote.Status.DRAFT)
    return Term.objects.get(pk=term.pk)


def natural(obj):
    """An object's identity without database ids."""
    match obj:
        case None:
            return None
        case User():
            return (obj.username, obj.first_name, obj.last_name, obj.email)
        case Term():
            return obj.slug
        case Week():
            return (obj.term.slug, obj.number)
        case Section():
            return (obj.term.slug, obj.slug)
        case Meeting():
            return (natural(obj.section), obj.week.number)
        case DiscussionNote():
            return natural(obj.meeting)
        case Paper():
            return (obj.arxiv_id, obj.doi, obj.title)
        case Member():
            return obj.email
    raise AssertionError(f"no natural key for {obj!r}")


# A member's calendar feed secret is a credential of this site, not term data: export files
# do not carry it, and an import gives each new member a new one.
NOT_ARCHIVED = {"calendar_secret"}


def row(obj):
    """Every field of `obj` (relations by natural key, many-to-many as sorted lists): a field
    added to a model later is compared too."""
    values = {}
    for field in type(obj)._meta.concrete_fields:
        if not field.primary_key and field.name not in NOT_ARCHIVED:
            value = getattr(obj, field.name)
            values[field.name] = natural(value) if field.is_relation else value
    for field in type(obj)._meta.many_to_many:
        values[field.name] = sorted(natural(user) for user in getattr(obj, field.name).all())
    return values


def rows(objects):
    return sorted((row(obj) for obj in objects), key=repr)


def snapshot(slug):
    """Every object of the term `slug`, as plain values."""
    term = Term.objects.get(slug=slug)
    readings = Reading.objects.filter(week__term=term)
    members = Member.objects.filter(enrollments__section__term=term) | Member.objects.filter(
        attendance_records__meeting__section__term=term
    )
    return {
        "term": row(term),
        "weeks": rows(term.weeks.all()),
        "papers": rows(Paper.objects.filter(readings__in=readings).distinct()),
        "readings": rows(readings),
        "sections": rows(term.sections.all()),
        "meetings": rows(Meeting.objects.filter(section__term=term)),
        "notes": rows(DiscussionNote.objects.filter(meeting__section__term=term)),
        "revisions": rows(DiscussionNoteRevision.objects.filter(note__meeting__section__term=term)),
        "members": rows(members.distinct()),
        "enrollments": rows(Enrollment.objects.filter(section__term=term)),
        "attendance": rows(AttendanceRecord.objects.filter(meeting__section__term=term)),
    }


MODELS = [
    User,
    Term,
    Term.organizers.through,
    Week,
    Paper,
    Reading,
    Section,
    Section.leads.through,
    Meeting,
    DiscussionNote,
    DiscussionNote.authors.through,
    DiscussionNoteRevision,
    Member,
    Enrollment,
    AttendanceRecord,
]


def counts():
    return {model._meta.label: model.objects.count() for model in MODELS}


def empty_the_database():
    delete_terms()
    Paper.objects.all().delete()
    Member.objects.all().delete()
    User.objects.all().delete()
    assert set(counts().values()) == {0}


def as_file(data):
    """What a file holds: the dict through JSON text and back."""
    return json.loads(json.dumps(data))


# --- The round trip --------------------------------------------------------------------------


def test_export_then_import_into_an_empty_database_restores_every_object(term):
    before = snapshot("fall-2022")
    data = as_file(export_term(term))
    empty_the_database()

    report = import_term(data)

    assert snapshot("fall-2022") == before
    assert {key: len(value) for key, value in before.items() if key != "term"} == {
        "weeks": 4,
        "papers": 10,
        "readings": 10,
        "sections": 2,
        "meetings": 8,
        "notes": 2,
        "revisions": 4,
        "members": 7,
        "enrollments": 6,
        "attendance": 6,
    }
    assert report.created == {
        "users": 5,
        "papers": 10,
        "members": 7,
        "weeks": 4,
        "readings": 10,
        "sections": 2,
        "meetings": 8,
        "notes": 2,
        "note revisions": 4,
        "enrollments": 6,
        "attendance records": 6,
    }
    assert (report.reused, report.differing) == ({"users": 0, "papers": 0, "members": 0}, [])


def test_a_term_closed_to_joining_comes_back_closed(term):
    Term.objects.filter(pk=term.pk).update(joining_open=False)
    data = as_file(export_term(term))
    empty_the_database()

    import_term(data)

    assert data["term"]["joining_open"] is False
    assert Term.objects.get(slug="fall-2022").joining_open is False


def test_a_file_written_before_terms_had_joining_open_imports_with_joining_open(term):
    Term.objects.filter(pk=term.pk).update(joining_open=False)
    data = as_file(export_term(term))
    assert data["term"].pop("joining_open") is False  # as files written before it were
    empty_the_database()

    report = import_term(data)

    assert (report.term.joining_open, Term.objects.get(slug="fall-2022").joining_open) == (
        True,
        True,
    )


def test_a_terms_place_goes_out_and_comes_back(term):
    Term.objects.filter(pk=term.pk).update(place="MIT, Cambridge MA")
    data = as_file(export_term(term))
    empty_the_database()

    import_term(data)

    assert data["term"]["place"] == "MIT, Cambridge MA"
    assert Term.objects.get(slug="fall-2022").place == "MIT, Cambridge MA"


def test_a_file_written_before_terms_had_a_place_imports_with_none(term):
    Term.objects.filter(pk=term.pk).update(place="MIT")
    data = as_file(export_term(term))
    assert data["term"].pop("place") == "MIT"  # as files written before it were
    empty_the_database()

    report = import_term(data)

    assert (report.term.place, Term.objects.get(slug="fall-2022").place) == ("", "")


def test_a_terms_reminder_hour_and_check_in_times_go_out_and_come_back(term):
    Term.objects.filter(pk=term.pk).update(
        reminder_hour=9,
        checkin_opens_before=datetime.timedelta(minutes=30),
        late_after=datetime.timedelta(minutes=5, seconds=30),
    )
    data = as_file(export_term(term))
    empty_the_database()

    import_term(data)

    assert [
        data["term"][key] for key in ("reminder_hour", "checkin_opens_before", "late_after")
    ] == [
        9,
        "00:30:00",
        "00:05:30",
    ]
    stored = Term.objects.get(slug="fall-2022")
    assert (stored.reminder_hour, stored.checkin_opens_before, stored.late_after) == (
        9,
        datetime.timedelta(minutes=30),
        datetime.timedelta(minutes=5, seconds=30),
    )


def test_a_file_written_before_reminders_and_check_in_imports_with_their_defaults(term):
    Term.objects.filter(pk=term.pk).update(reminder_hour=9, late_after=datetime.timedelta(0))
    data = as_file(export_term(term))
    for key in ("reminder_hour", "checkin_opens_before", "late_after"):
        del data["term"][key]  # as files written before they existed
    empty_the_database()

    report = import_term(data)

    assert (report.term.reminder_hour, report.term.late_after) == (
        18,
        datetime.timedelta(minutes=15),
    )
    stored = Term.objects.get(slug="fall-2022")
    assert (stored.reminder_hour, stored.checkin_opens_before, stored.late_after) == (
        18,
        datetime.timedelta(minutes=15),
        datetime.timedelta(minutes=15),
    )


def test_import_keeps_cancelled_moved_and_restored_meetings_as_they_were(term):
    data = as_file(export_term(term))
    empty_the_database()

    import_term(data)

    changed = Meeting.objects.filter(section__term__slug="fall-2022").exclude(changed_at=None)
    assert sorted(
        (
            m.week.number,
            m.status,
            m.when_display,
            m.room,
            m.public_note,
            m.sequence,
            m.changed_by.username,
        )
        for m in changed
    ) == [
        (
            2,
            "cancelled",
            "Tue Sep 20, 6–7:30 pm",
            "4-146",
            "No meeting: Veterans Day",
            2,
            "organizer",
        ),
        (2, "scheduled", "Mon Sep 19, 5–6:30 pm", "E25-111", "", 3, "organizer"),
        (3, "scheduled", "Tue Sep 27, 4:30–6 pm", "4-231", "Exams in our room.", 2, "eric"),
    ]


def test_imported_users_have_names_and_emails_but_no_password_or_staff_flag(term):
    people = {u.username: (u.first_name, u.last_name, u.email) for u in User.objects.all()}
    data = as_file(export_term(term))
    empty_the_database()

    import_term(data)

    assert {u.username: (u.first_name, u.last_name, u.email) for u in User.objects.all()} == {
        name: people[name] for name in ["alex", "dana", "eric", "kaivu", "organizer"]
    }
    assert {(u.has_usable_password(), u.is_staff, u.is_superuser) for u in User.objects.all()} == {
        (False, False, False)
    }


def test_import_into_a_database_holding_its_papers_and_people_reuses_them(term):
    before = snapshot("fall-2022")
    data = as_file(export_term(term))
    walk_in = next(member for member in data["members"] if member["name"] == "Walk In")
    Term.objects.filter(pk=term.pk).update(slug="fall-2022-old")
    Paper.objects.filter(title="Zoom In").update(title="Zoom In: An Introduction to Circuits")
    Member.objects.filter(name="Walk In").update(name="Wanda Walk-In")
    users, papers, members = User.objects.count(), Paper.objects.count(), Member.objects.count()

    report = import_term(data)

    assert (User.objects.count(), Paper.objects.count(), Member.objects.count()) == (
        users,
        papers,
        members,
    )
    assert report.reused == {"users": 5, "papers": 10, "members": 7}
    assert report.differing == [
        "paper doi:10.23915/distill.00024.001: the database's title kept",
        f"member {walk_in['email']}: the database's name kept",
    ]
    after = snapshot("fall-2022")
    assert after["papers"] == [
        {**paper, "title": "Zoom In: An Introduction to Circuits"}
        if paper["title"] == "Zoom In"
        else paper
        for paper in before["papers"]
    ]
    assert after["meetings"] == before["meetings"]
    assert after["attendance"] == [
        {**record, "member": record["member"]} for record in before["attendance"]
    ]


def test_import_shows_the_term_on_pages_cached_before(client, term):
    data = as_file(export_term(term))
    empty_the_database()
    assert "Fall 2022" not in client.get("/terms/").content.decode()

    import_term(data)

    assert "Fall 2022" in client.get("/terms/").content.decode()


# --- Members without an email ----------------------------------------------------------------


@pytest.fixture
def walk_ins(term):
    """The rich term and three members who gave no email: Ana and Bo enrolled in the Monday
    section (Bo in the Tuesday one too), Cy never enrolled; each with attendance of their own,
    so that two of them mixed up would show."""
    monday, tuesday = term.sections.order_by("weekday")
    ana, bo, cy = (
        MemberFactory(name=name, email="", affiliation="") for name in "Ana Bo Cy".split()
    )
    for member, section in [(ana, monday), (bo, monday), (bo, tuesday)]:
        EnrollmentFactory(member=member, section=section)
    for member, section, week, status in [
        (ana, monday, 1, PRESENT),
        (ana, monday, 3, PRESENT),
        (bo, monday, 1, LATE),
        (bo, tuesday, 1, EXCUSED),
        (cy, tuesday, 1, PRESENT),
        (cy, monday, 4, LATE),
    ]:
        meeting = Meeting.objects.get(section=section, week__number=week)
        AttendanceRecordFactory(meeting=meeting, member=member, status=status)
    return term


def rosters(slug):
    """What the lead pages show of the term `slug`: each section's roster (name, email), and
    every attendance record as (section weekday, week, member name, status)."""
    sections = Section.objects.filter(term__slug=slug).order_by("weekday")
    records = AttendanceRecord.objects.filter(meeting__section__term__slug=slug)
    fields = ["meeting__section__weekday", "meeting__week__number", "member__name", "status"]
    return {
        "rosters": [
            [(m.roster_name, m.email) for m in Member.objects.on_roster_of(section)]
            for section in sections
        ],
        "attendance": sorted(records.values_list(*fields)),
    }


def test_members_without_an_email_come_back_with_their_rosters_and_attendance(walk_ins):
    before, rows_before = rosters("fall-2022"), snapshot("fall-2022")
    data = as_file(export_term(walk_ins))
    empty_the_database()

    report = import_term(data)

    assert rosters("fall-2022") == before
    assert snapshot("fall-2022") == rows_before
    assert [a for a in before["attendance"] if a[2] in {"Ana", "Bo", "Cy"}] == [
        (0, 1, "Ana", PRESENT),
        (0, 1, "Bo", LATE),
        (0, 3, "Ana", PRESENT),
        (0, 4, "Cy", LATE),
        (1, 1, "Bo", EXCUSED),
        (1, 1, "Cy", PRESENT),
    ]
    assert [(m.get("ref"), m["name"]) for m in data["members"] if not m["email"]] == [
        ("m1", "Ana"),
        ("m2", "Bo"),
        ("m3", "Cy"),
    ]
    assert {
        key: report.created[key] for key in ["members", "enrollments", "attendance records"]
    } == {
        "members": 10,
        "enrollments": 9,
        "attendance records": 12,
    }


def test_importing_a_file_again_reuses_its_members_without_an_email(walk_ins):
    data = as_file(export_term(walk_ins))
    Term.objects.filter(pk=walk_ins.pk).update(slug="fall-2022-old")
    members = Member.objects.count()

    report = import_term(data)

    def roster_ids(slug):
        sections = Section.objects.filter(term__slug=slug).order_by("weekday")
        return [sorted(m.pk for m in Member.objects.on_roster_of(s)) for s in sections]

    assert Member.objects.count() == members
    assert report.reused == {"users": 5, "papers": 10, "members": 10}
    assert roster_ids("fall-2022") == roster_ids("fall-2022-old")
    assert report.differing == []


def test_import_never_makes_two_people_without_an_email_one(db):
    data = large_archive(4, walk_ins=1)  # Member 0 to 3, none with an email, created at `stamp`
    data["members"][1]["name"] = "Member 0"  # two of one name and time in the file: not told apart
    stamp = datetime.datetime(2022, 9, 1, 12, 0, 0, 123456, tzinfo=UTC)
    stored = {
        name: MemberFactory(name=name, email="", affiliation="")
        for name in ["Member 0", "Member 2", "Member 3"]
    }
    Member.objects.filter(name__in=["Member 0", "Member 3"]).update(created_at=stamp)

    report = import_term(data)

    section = Section.objects.get()
    assert [
        (m.name, m.pk in {s.pk for s in stored.values()})
        for m in Member.objects.on_roster_of(section)
    ] == [
        ("Member 0", False),
        ("Member 0", False),
        ("Member 2", False),  # the database's Member 2 was made at another time: someone else
        ("Member 3", True),  # the same name and microsecond, no email on either side: the same
    ]
    assert (report.created["members"], report.reused["members"]) == (3, 1)


def test_a_file_written_before_refs_imports_and_exports_again_with_refs(db):
    data = large_archive(3)  # the shape of files before refs: every member named by its email
    email = data["members"][0]["email"]
    data["members"][0]["email"] = ""  # a member without one was named by “”
    for record in [*data["enrollments"], *data["attendance"]]:
        record["member"] = "" if record["member"] == email else record["member"].upper()

    import_term(as_file(data))

    section = Section.objects.get()
    assert [(m.name, m.email) for m in Member.objects.on_roster_of(section)] == [
        ("Member 0", ""),
        ("Member 1", "member000001@example.edu"),
        ("Member 2", "member000002@example.edu"),
    ]
    assert sorted(AttendanceRecord.objects.values_list("member__name", "status")) == [
        ("Member 0", PRESENT),
        ("Member 2", PRESENT),
    ]
    again = export_term(Term.objects.get())
    assert [(m.get("ref"), m["email"]) for m in again["members"]] == [
        ("m1", ""),
        (None, "member000001@example.edu"),
        (None, "member000002@example.edu"),
    ]
    assert [e["member"] for e in again["enrollments"]] == [
        "m1",
        "member000001@example.edu",
        "member000002@example.edu",
    ]
    assert [a["member"] for a in again["attendance"]] == ["m1", "member000002@example.edu"]


# --- What the file holds ---------------------------------------------------------------------


def keys_anywhere(value):
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_anywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_anywhere(v)}
    return set()


def test_export_names_things_by_natural_keys_and_holds_no_ids_or_passwords(term):
    data = export_term(term)

    assert (data["format"], data["version"]) == ("readinggroup-term", 1)
    assert keys_anywhere(data) & {"id", "pk", "password", "term_id", "user_id"} == set()
    moved = next(m for m in data["meetings"] if m["public_note"] == "Exams in our room.")
    section = moved["section"]
    assert moved == {
        "section": section,
        "week": 3,
        "scheduled_starts_at": "2022-09-26T21:00:00+00:00",
        "scheduled_ends_at": "2022-09-26T22:30:00+00:00",
        "scheduled_room": "E25-111",
        "starts_at": "2022-09-27T20:30:00+00:00",
        "ends_at": "2022-09-27T22:00:00+00:00",
        "is_rescheduled": True,
        "room_override": "4-231",
        "status": "scheduled",
        "public_note": "Exams in our room.",
        "sequence": 2,
        "changed_at": moved["changed_at"],
        "updated_at": moved["updated_at"],
        "changed_by": "eric",
    }
    assert sorted(m["email"] for m in data["members"]) == sorted(
        Member.objects.exclude(name="Elsewhere").values_list("email", flat=True)
    )
    assert [p["key"] for p in data["papers"] if not p["key"].startswith("arXiv:")] == [
        "Lecture notes",
        "doi:10.23915/distill.00024.001",
    ]


def test_export_takes_the_same_number_of_queries_for_a_small_and_a_large_term(
    django_assert_num_queries,
):
    def build(size):
        term = build_term(weeks=size, readings_per_week=size, sections=size, slug=f"t{size}")
        for section in term.sections.all():
            members = enroll_members(section, size * 5)
            for meeting in section.meetings.all():
                write_note(meeting, "Notes.", "More notes.")
                for member in members:
                    AttendanceRecordFactory(meeting=meeting, member=member)
        return term

    small, large = build(1), build(3)

    for term in (small, large):
        with django_assert_num_queries(15):  # 13, and the test's SAVEPOINT and RELEASE
            export_term(term)


# --- Refusals: nothing changes ---------------------------------------------------------------


def mutate(path, value):
    """A change to the exported dict at `path` (keys and list indexes); DELETE removes it."""

    def apply(data):
        *parents, last = path
        target = data
        for key in parents:
            target = target[key]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
        return data

    return apply


DELETE = object()


def without_emails(data, *positions):
    """`data` with the members at `positions` stripped of their email, as members without one
    were written before refs, and without their enrollments and attendance."""
    gone = set()
    for position in positions:
        gone.add(data["members"][position]["email"])
        data["members"][position]["email"] = ""
    for name in ["enrollments", "attendance"]:
        data[name] = [record for record in data[name] if record["member"] not in gone]
    return data


REFUSALS = {
    "not an object": (
        lambda data: [data],
        "This is not a readinggroup term export (no “format”: “readinggroup-term”).",
    ),
    "another format": (
        mutate(["format"], "readinggroup-week"),
        "This is not a readinggroup term export (no “format”: “readinggroup-term”).",
    ),
    "a newer version": (
        mutate(["version"], 2),
        "This file is version 2 of the term export format; this site reads version 1.",
    ),
    "a version that is no number": (
        mutate(["version"], True),
        "The file has no version number (“version”: 1).",
    ),
    "no version": (
        mutate(["version"], DELETE),
        "The file has no version number (“version”: 1).",
    ),
    "a missing list": (mutate(["meetings"], DELETE), "The file has no “meetings”."),
    "an unknown key": (mutate(["rooms"], []), "The file has unexpected “rooms”."),
    "a list that is not one": (
        mutate(["weeks"], {}),
        "weeks: expected a list, found an object.",
    ),
    "a missing field": (mutate(["term", "slug"], DELETE), "term: missing “slug”."),
    "an unknown field": (
        mutate(["sections", 0, "colour"], "red"),
        "sections[0]: unexpected “colour”.",
    ),
    "text for joining open": (
        mutate(["term", "joining_open"], "no"),
        "term.joining_open: expected true or false, found a string.",
    ),
    "null for joining open": (
        mutate(["term", "joining_open"], None),
        "term.joining_open: expected true or false, found null.",
    ),
    "a check-in time that is no duration": (
        mutate(["term", "checkin_opens_before"], "soon"),
        "term.checkin_opens_before: “soon” value has an invalid format. It must be in "
        "[DD] [[HH:]MM:]ss[.uuuuuu] format.",
    ),
    "a reminder hour past the day": (
        mutate(["term", "reminder_hour"], 24),
        "term.reminder_hour: Ensure this value is less than or equal to 23.",
    ),
    "another field missing beside joining open": (
        lambda data: mutate(["term", "slug"], DELETE)(
            mutate(["term", "joining_open"], DELETE)(data)
        ),
        "term: missing “slug”.",
    ),
    "a number for the place": (
        mutate(["term", "place"], 3),
        "term.place: expected a string, found a whole number.",
    ),
    "a line break in the place": (
        mutate(["term", "place"], "MIT\nCambridge"),
        "term.place: Write this on one line: line breaks, tabs and other control characters "
        "are not allowed here.",
    ),
    "text for a number": (
        mutate(["weeks", 0, "number"], "1"),
        "weeks[0].number: expected a whole number, found a string.",
    ),
    "true for a number": (
        mutate(["sections", 0, "capacity"], True),
        "sections[0].capacity: expected a whole number or null, found true or false.",
    ),
    "null for text": (
        mutate(["papers", 0, "title"], None),
        "papers[0].title: expected a string, found null.",
    ),
    "an unknown choice": (
        mutate(["meetings", 0, "status"], "postponed"),
        "meetings[0].status: Value 'postponed' is not a valid choice.",
    ),
    "a date-time that is none": (
        mutate(["meetings", 0, "starts_at"], "next Tuesday"),
        "meetings[0].starts_at: “next Tuesday” value has an invalid format. It must be in "
        "YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format.",
    ),
    "a date-time without its offset": (
        mutate(["attendance", 0, "recorded_at"], "2022-09-12T23:05:07"),
        "attendance[0].recorded_at: give the UTC offset, e.g. +00:00.",
    ),
    "an unknown time zone": (
        mutate(["term", "time_zone"], "Mars/Olympus_Mons"),
        "term.time_zone: “Mars/Olympus_Mons” is not a known time zone; use a name such as "
        "America/New_York.",
    ),
    "too long a room": (
        mutate(["sections", 1, "room"], "x" * 101),
        "sections[1].room: Ensure this value has at most 100 characters (it has 101).",
    ),
    "a paper not in the file": (
        mutate(["readings", 0, "paper"], "arXiv:9999.99999"),
        "readings[0].paper: no paper “arXiv:9999.99999” in the file.",
    ),
    "a lead not in the file": (
        mutate(["sections", 0, "leads"], ["ghost"]),
        "sections[0].leads[0]: no user “ghost” in the file.",
    ),
    "a member not in the file": (
        mutate(["attendance", 0, "member"], "nobody@example.edu"),
        "attendance[0].member: no member with the email “nobody@example.edu” in the file.",
    ),
    # Members are named by their email, or by a `ref` (those without one).
    "a ref that is a number": (
        mutate(["members", 0, "ref"], 7),
        "members[0].ref: expected a string, found a whole number.",
    ),
    "an empty ref": (
        mutate(["members", 0, "ref"], ""),
        "members[0].ref: “” is no ref: a ref is 1 to 64 letters, digits, “.”, “-” or “_”.",
    ),
    "a ref that is an email": (
        mutate(["members", 0, "ref"], "ana@example.edu"),
        "members[0].ref: “ana@example.edu” is no ref: a ref is 1 to 64 letters, digits, “.”, "
        "“-” or “_”.",
    ),
    "a ref with a line break": (
        mutate(["members", 0, "ref"], "m1\n"),
        "members[0].ref: “m1\\n” is no ref: a ref is 1 to 64 letters, digits, “.”, “-” or “_”.",
    ),
    "a ref of 65 characters": (
        mutate(["members", 0, "ref"], "m" * 65),
        f"members[0].ref: “{'m' * 65}” is no ref: a ref is 1 to 64 letters, digits, “.”, “-” "
        "or “_”.",
    ),
    "a NUL character in a ref": (
        mutate(["members", 0, "ref"], "m\x001"),
        "members[0].ref: Null characters are not allowed.",
    ),
    "a second member with one ref": (
        lambda data: mutate(["members", 1, "ref"], "m1")(mutate(["members", 0, "ref"], "m1")(data)),
        "members[1]: a second member with the ref “m1”.",
    ),
    "a ref not in the file": (
        mutate(["enrollments", 0, "member"], "m9"),
        "enrollments[0].member: no member with the ref “m9” in the file.",
    ),
    "no member without an email or a ref to name by “”": (
        mutate(["attendance", 0, "member"], ""),
        "attendance[0].member: no member without an email or a “ref” in the file.",
    ),
    "two members with neither an email nor a ref": (
        lambda data: without_emails(data, 0, 1),
        "members[1]: a second member with neither an email nor a “ref”: give each a “ref”, "
        "for enrollments and attendance to name it by.",
    ),
    "a week not in the file": (
        mutate(["attendance", 0, "week"], 9),
        "attendance[0].week: no week “9” in the file.",
    ),
    "a second week 1": (
        lambda data: {**data, "weeks": [*data["weeks"], data["weeks"][0]]},
        "weeks[4]: a second week 1.",
    ),
    "a broken revision": (
        mutate(["notes", 0, "revisions", 0, "number"], DELETE),
        "notes[0].revisions[0]: missing “number”.",
    ),
    # What the models' clean() and the forms refuse, and the database's own rules, said before
    # anything is written.
    "a section that ends as it starts": (
        lambda data: mutate(["sections", 1, "end_time"], data["sections"][1]["start_time"])(data),
        "sections[1].end_time: The end time must be after the start time.",
    ),
    "a meeting that ends as it starts": (
        lambda data: mutate(["meetings", 0, "ends_at"], data["meetings"][0]["starts_at"])(data),
        "meetings[0].ends_at: The meeting must end after it starts.",
    ),
    "a first Monday that is a Tuesday": (
        mutate(["term", "first_monday"], "2022-09-13"),
        "term.first_monday: Pick a Monday: week dates count from it.",
    ),
    "a first Monday in the year 9999": (
        mutate(["term", "first_monday"], "9999-12-27"),
        "term.first_monday: Pick a date between 1900 and 2199.",
    ),
    "a week moved to the year 1": (
        mutate(["weeks", 0, "starts_on_override"], "0001-01-01"),
        "weeks[0].starts_on_override: Pick a date between 1900 and 2199.",
    ),
    "a meeting at the end of time": (
        mutate(["meetings", 0, "starts_at"], "9999-12-31T23:00:00-05:00"),
        "meetings[0].starts_at: Pick a date between 1900 and 2199.",
    ),
    "attendance recorded in 1899": (
        mutate(["attendance", 0, "recorded_at"], "1899-12-31T23:59:59+00:00"),
        "attendance[0].recorded_at: Pick a date between 1900 and 2199.",
    ),
    "a week 100": (
        lambda data: {**data, "weeks": [*data["weeks"], {**data["weeks"][0], "number": 100}]},
        "weeks[4].number: A term has at most 99 weeks.",
    ),
    "a NUL character in a name": (
        mutate(["sections", 0, "name"], "Mon\x00day"),
        "sections[0].name: Null characters are not allowed.",
    ),
    "a NUL character in a username": (
        mutate(["sections", 0, "leads"], ["eric\x00"]),
        "sections[0].leads[0]: Null characters are not allowed.",
    ),
    "a lone surrogate": (
        mutate(["notes", 0, "body"], "Notes \ud800"),
        "notes[0].body: \\ud800 is half of a UTF-16 surrogate pair, not a character.",
    ),
    "a note of 5,000,000 characters": (
        mutate(["notes", 0, "body"], "x" * 5_000_000),
        "notes[0].body: These notes are 5,000,000 characters long; notes take at most 100,000. "
        "Shorten them (or link to a longer document).",
    ),
    "a revision of 100,001 characters": (
        mutate(["notes", 0, "revisions", 1, "body"], "x" * 100_001),
        "notes[0].revisions[1].body: These notes are 100,001 characters long; notes take at "
        "most 100,000. Shorten them (or link to a longer document).",
    ),
    "an intro of 100,001 characters": (
        mutate(["term", "intro"], "x" * 100_001),
        "term.intro: Ensure this value has at most 100000 characters (it has 100001).",
    ),
    # Uniqueness, checked in memory.
    "a second reading of a paper in a week": (
        lambda data: {**data, "readings": [*data["readings"], data["readings"][0]]},
        lambda data: (
            f"readings[10]: a second reading of “{data['readings'][0]['paper']}” in week 1."
        ),
    ),
    "two papers with one arXiv id": (
        lambda data: mutate(["papers", 2, "arxiv_id"], data["papers"][1]["arxiv_id"])(data),
        lambda data: (
            f"papers[2]: a second paper with the arXiv id “{data['papers'][1]['arxiv_id']}”."
        ),
    ),
    "a lead named twice": (
        mutate(["sections", 0, "leads"], ["eric", "eric"]),
        "sections[0].leads[1]: a second “eric”.",
    ),
    "a second revision 1": (
        lambda data: mutate(["notes", 0, "revisions", 1, "number"], 1)(data),
        "notes[0].revisions[1]: a second revision 1.",
    ),
    "a second enrollment": (
        lambda data: {**data, "enrollments": [*data["enrollments"], data["enrollments"][0]]},
        lambda data: (
            "enrollments[6]: a second enrollment of “{member}” in section “{section}”.".format_map(
                data["enrollments"][0]
            )
        ),
    ),
    "a second attendance record": (
        lambda data: {**data, "attendance": [*data["attendance"], data["attendance"][0]]},
        lambda data: "attendance[6]: a second record of “{member}” at that meeting.".format_map(
            data["attendance"][0]
        ),
    ),
}


@pytest.fixture
def exported(term):
    """The rich term's export, in a database emptied since."""
    data = as_file(export_term(term))
    empty_the_database()
    return data


@pytest.mark.parametrize("case", list(REFUSALS))
def test_import_refuses_a_broken_file_and_changes_nothing(exported, case):
    change, message = REFUSALS[case]
    data = change(copy.deepcopy(exported))
    message = message(data) if callable(message) else message

    with pytest.raises(ValidationError) as caught:
        import_term(data)

    assert caught.value.messages == [message]
    assert set(counts().values()) == {0}


def test_import_refuses_a_term_whose_slug_exists_and_changes_nothing(term):
    data = as_file(export_term(term))
    data["term"]["name"] = "Fall 2022 (restored)"
    before, rows_before = counts(), snapshot("fall-2022")

    with pytest.raises(ValidationError) as caught:
        import_term(data)

    assert caught.value.messages == [
        "This database already has a term “fall-2022”: delete or rename it (in the admin) to "
        "restore it from the file."
    ]
    assert (counts(), snapshot("fall-2022")) == (before, rows_before)


def test_import_refuses_two_papers_of_the_file_that_are_one_in_the_database(term):
    data = as_file(export_term(term))
    data["term"]["slug"] = "fall-2022-copy"
    first, second = [p for p in data["papers"] if p["key"].startswith("arXiv:")][:2]
    Paper.objects.filter(arxiv_id=first["arxiv_id"]).update(doi="10.1000/ONE")
    second.update(arxiv_id="", doi="10.1000/one")
    before = counts()

    with pytest.raises(ValidationError) as caught:
        import_term(data)

    stored = Paper.objects.get(arxiv_id=first["arxiv_id"])
    assert caught.value.messages == [
        f"The papers “{first['key']}” and “{second['key']}” of the file are both the "
        f"database's paper “{stored}”."
    ]
    assert counts() == before


# --- The commands ----------------------------------------------------------------------------


def test_export_term_command_writes_the_export_to_standard_output(term):
    out = io.StringIO()

    call_command("export_term", "fall-2022", stdout=out)

    written = json.loads(out.getvalue())
    expected = as_file(export_term(term))
    assert {**written, "exported_at": None} == {**expected, "exported_at": None}


def test_export_and_import_commands_round_trip_through_a_file(term, tmp_path):
    before = snapshot("fall-2022")
    path = tmp_path / "fall-2022.json"
    err = io.StringIO()
    call_command("export_term", "fall-2022", "--output", str(path), stderr=err)
    empty_the_database()
    out = io.StringIO()

    call_command("import_term", str(path), stdout=out)

    assert snapshot("fall-2022") == before
    assert err.getvalue() == (f"Wrote term “fall-2022” to {path} ({path.stat().st_size} bytes).\n")
    assert out.getvalue().splitlines() == [
        "Imported term “fall-2022” (Fall 2022): 5 users, 10 papers, 7 members, 4 weeks, "
        "10 readings, 2 sections, 8 meetings, 2 notes, 4 note revisions, 6 enrollments, "
        "6 attendance records.",
        "New accounts have no password: give one with `make organizer` or `make lead`.",
    ]


def test_import_term_command_reports_what_it_reused(term, tmp_path):
    path = tmp_path / "term.json"
    call_command("export_term", "fall-2022", "--output", str(path), stderr=io.StringIO())
    Term.objects.filter(pk=term.pk).update(slug="old")
    out = io.StringIO()

    call_command("import_term", str(path), stdout=out)

    assert out.getvalue().splitlines() == [
        "Imported term “fall-2022” (Fall 2022): 0 users, 0 papers, 0 members, 4 weeks, "
        "10 readings, 2 sections, 8 meetings, 2 notes, 4 note revisions, 6 enrollments, "
        "6 attendance records.",
        "Already in the database and kept as they were: 5 users, 10 papers, 7 members.",
    ]


def test_export_term_command_names_the_known_terms_when_the_slug_is_wrong(term):
    with pytest.raises(CommandError) as caught:
        call_command("export_term", "fall-2021", stdout=io.StringIO())

    assert str(caught.value) == "No term “fall-2021”. Known terms: fall-2022, spring-2023."


def test_import_term_command_refuses_a_file_that_is_not_json(term, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "readinggroup-term", ', encoding="utf-8")
    before = counts()

    with pytest.raises(CommandError) as caught:
        call_command("import_term", str(path), stdout=io.StringIO())

    assert str(caught.value) == (
        f"Nothing was imported: {path} is not valid JSON (Expecting property name enclosed in "
        "double quotes at line 1, column 33)."
    )
    assert counts() == before


def test_import_term_command_refuses_a_newer_version_with_its_message(term, tmp_path):
    path = tmp_path / "future.json"
    path.write_text(json.dumps({**as_file(export_term(term)), "version": 2}), encoding="utf-8")
    delete_terms()
    before = counts()

    with pytest.raises(CommandError) as caught:
        call_command("import_term", str(path), stdout=io.StringIO())

    assert str(caught.value) == (
        "Nothing was imported: This file is version 2 of the term export format; this site "
        "reads version 1."
    )
    assert counts() == before


def test_import_term_command_says_when_the_file_is_missing(db, tmp_path):
    path = tmp_path / "missing.json"

    with pytest.raises(CommandError) as caught:
        call_command("import_term", str(path), stdout=io.StringIO())

    assert str(caught.value) == f"Cannot read {path}: No such file or directory."


# --- Large files -----------------------------------------------------------------------------


def large_archive(members, *, per_section=250, weeks=12, walk_ins=0):
    """A valid export of one term with `members` members, as a file holds it: a section for
    every `per_section` of them (a lead each), `weeks` weeks of two readings, every meeting of
    every week, a note with two revisions on each section's first meeting, each member
    enrolled in one section, one member in two recorded at one of its meetings. With
    `walk_ins`, one member in `walk_ins` has no email and is named by a ref."""
    sections = max(1, members // per_section)

    def walk_in(m):
        return walk_ins and m % walk_ins == 0

    def email(m):
        return "" if walk_in(m) else f"member{m:06d}@example.edu"

    def name(m):
        return f"m{m}" if walk_in(m) else email(m)

    stamp = "2022-09-01T12:00:00.123456+00:00"
    first_monday = datetime.date(2022, 9, 12)

    def at(week, weekday, hour):
        day = first_monday + datetime.timedelta(weeks=week - 1, days=weekday)
        return datetime.datetime.combine(day, datetime.time(hour), tzinfo=UTC).isoformat()

    def user(name):
        return {"username": name, "first_name": name, "last_name": "", "email": ""}

    def meeting(s, week):
        return {
            "section": f"s{s}",
            "week": week,
            "scheduled_starts_at": at(week, s % 5, 21),
            "scheduled_ends_at": at(week, s % 5, 22),
            "scheduled_room": f"room {s}",
            "starts_at": at(week, s % 5, 21),
            "ends_at": at(week, s % 5, 22),
            "is_rescheduled": False,
            "room_override": "",
            "status": "scheduled",
            "public_note": "",
            "sequence": 0,
            "changed_at": None,
            "updated_at": stamp,
            "changed_by": None,
        }

    def revision(number):
        return {
            "number": number,
            "body": f"Version {number}.",
            "status": "published",
            "restored_from": None,
            "created_at": stamp,
            "author": "lead0",
        }

    return {
        "format": "readinggroup-term",
        "version": 1,
        "exported_at": stamp,
        "term": {
            "slug": "large",
            "name": "Large",
            "title": "A large term",
            "institution": "",
            "intro": "",
            "format_note": "",
            "reading_list_note": "",
            "supporters": "",
            "first_monday": first_monday.isoformat(),
            "time_zone": "UTC",
            "is_published": True,
            "created_at": stamp,
            "updated_at": stamp,
            "organizers": ["organizer"],
        },
        "users": [user("organizer"), *(user(f"lead{s}") for s in range(sections))],
        "papers": [
            {
                "key": f"arXiv:2201.{n:05d}",
                "title": f"Paper {n}",
                "authors": "A. Author, B. Author",
                "year": 2022,
                "venue": "",
                "arxiv_id": f"2201.{n:05d}",
                "doi": "",
                "url": "",
                "abstract": "",
                "created_at": stamp,
                "updated_at": stamp,
            }
            for n in range(weeks * 2)
        ],
        "weeks": [
            {
                "number": week,
                "title": f"Week {week}",
                "tagline": "",
                "summary": "",
                "starts_on_override": None,
            }
            for week in range(1, weeks + 1)
        ],
        "readings": [
            {
                "week": n // 2 + 1,
                "paper": f"arXiv:2201.{n:05d}",
                "kind": "required",
                "order": n % 2,
                "note": "",
            }
            for n in range(weeks * 2)
        ],
        "sections": [
            {
                "slug": f"s{s}",
                "name": f"Section {s}",
                "weekday": s % 5,
                "start_time": "21:00:00",
                "end_time": "22:00:00",
                "room": f"room {s}",
                "capacity": None,
                "leads": [f"lead{s}"],
            }
            for s in range(sections)
        ],
        "meetings": [meeting(s, w) for s in range(sections) for w in range(1, weeks + 1)],
        "notes": [
            {
                "section": f"s{s}",
                "week": 1,
                "body": "Version 2.",
                "status": "published",
                "version": 2,
                "created_at": stamp,
                "updated_at": stamp,
                "authors": [f"lead{s}"],
                "revisions": [revision(1), revision(2)],
            }
            for s in range(sections)
        ],
        "members": [
            {
                **({"ref": name(m)} if walk_in(m) else {}),
                "email": email(m),
                "name": f"Member {m}",
                "affiliation": "MIT",
                "created_at": stamp,
                "user": None,
            }
            for m in range(members)
        ],
        "enrollments": [
            {
                "section": f"s{m % sections}",
                "member": name(m),
                "created_at": stamp,
            }
            for m in range(members)
        ],
        "attendance": [
            {
                "section": f"s{m % sections}",
                "week": m // sections % weeks + 1,
                "member": name(m),
                "status": "present",
                "remark": "",
                "recorded_at": stamp,
                "roster_version": 1,
                "recorded_by": f"lead{m % sections}",
            }
            for m in range(0, members, 2)
        ],
    }


def write(path, data):
    """`data` written as `export_term` writes it."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_import_writes_5000_members_in_batches_and_never_row_by_row(
    django_assert_max_num_queries,
):
    data = large_archive(5_000, walk_ins=10)  # 500 members without an email

    with django_assert_max_num_queries(150) as queries:  # row by row would be over 10,000
        report = import_term(as_file(data))

    assert report.created == {
        "users": 21,
        "papers": 24,
        "members": 5_000,
        "weeks": 12,
        "readings": 24,
        "sections": 20,
        "meetings": 240,
        "notes": 20,
        "note revisions": 40,
        "enrollments": 5_000,
        "attendance records": 2_500,
    }
    statements = [query["sql"] for query in queries.captured_queries]
    member_inserts = [
        sql for sql in statements if sql.startswith('INSERT INTO "attendance_member"')
    ]
    assert len(member_inserts) >= 5  # at most 1,000 rows a statement
    # Each row is written once: no UPDATE afterwards (to restore created_at, say).
    assert [sql for sql in statements if sql.startswith("UPDATE")] == []
    assert (
        Member.objects.filter(
            created_at=datetime.datetime(2022, 9, 1, 12, 0, 0, 123456, tzinfo=UTC)
        ).count()
        == 5_000
    )
    walk_in = Member.objects.get(name="Member 4990")
    assert (walk_in.email, list(walk_in.enrollments.values_list("section__slug", flat=True))) == (
        "",
        ["s10"],
    )
    assert Enrollment.objects.filter(member__email="").count() == 500


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("READINGGROUP_SLOW_TESTS"),
    reason="imports 100,000 members (half a minute): set READINGGROUP_SLOW_TESTS=1",
)
@pytest.mark.django_db(transaction=True)
def test_import_term_command_imports_100000_members_in_under_a_minute(tmp_path, capsys):
    path = write(tmp_path / "large.json", large_archive(100_000))
    out = io.StringIO()
    started, cpu = time.perf_counter(), time.process_time()

    call_command("import_term", str(path), stdout=out)

    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    with capsys.disabled():
        print(
            f"\nimport_term of 100,000 members ({path.stat().st_size:,} bytes) on "
            f"{connection.vendor}: {seconds:.1f} s ({cpu:.1f} s CPU of this process), load "
            f"average {os.getloadavg()[0]:.1f}"
        )
    assert out.getvalue().splitlines()[0] == (
        "Imported term “large” (Large): 401 users, 24 papers, 100000 members, 12 weeks, "
        "24 readings, 400 sections, 4800 meetings, 400 notes, 800 note revisions, "
        "100000 enrollments, 50000 attendance records."
    )
    assert seconds < 60


# --- What the command refuses before reading the records -------------------------------------


def test_import_term_command_refuses_a_file_over_50_mb_before_reading_it(db, tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.truncate(50_000_001)  # sparse: nothing is written

    with pytest.raises(CommandError) as caught:
        call_command("import_term", str(path), stdout=io.StringIO())

    assert str(caught.value) == (
        f"Nothing was imported: {path} is 50,000,001 bytes; a term file may be at most 50 MB "
        "(50,000,000 bytes)."
    )
    assert set(counts().values()) == {0}


def test_read_term_file_stops_reading_a_stream_after_50_mb():
    stream = io.BytesIO(b" " * 50_000_001)

    with pytest.raises(ValidationError) as caught:
        read_term_file(stream, "<stdin>")

    assert caught.value.messages == [
        "<stdin> holds more than 50 MB (50,000,000 bytes), the most a term file may be."
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            '{"format": "readinggroup-term", "term": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "nests lists and objects too deeply to be a term export.",
        ),
        (
            '{"format": "readinggroup-term", "version": ' + "9" * 5_000 + "}",
            "holds a number of more than 4,300 digits.",
        ),
    ],
    ids=["nested 100,000 deep", "a number of 5,000 digits"],
)
def test_import_term_command_refuses_json_python_cannot_read(db, tmp_path, text, reason):
    path = tmp_path / "hostile.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CommandError) as caught:
        call_command("import_term", str(path), stdout=io.StringIO())

    assert str(caught.value) == f"Nothing was imported: {path} {reason}"
    assert set(counts().values()) == {0}


def test_import_term_command_reads_a_file_that_starts_with_a_byte_order_mark(db, tmp_path):
    path = tmp_path / "saved-by-notepad.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(large_archive(10)).encode())

    call_command("import_term", str(path), stdout=io.StringIO())

    assert Term.objects.get().slug == "large"


def test_import_term_command_lists_every_problem_one_a_line(exported, tmp_path):
    exported["sections"][0]["room"] = "x" * 101
    exported["weeks"][1]["title"] = ""
    exported["members"][0]["affiliation"] = "x" * 201
    path = write(tmp_path / "broken.json", exported)

    with pytest.raises(CommandError) as caught:
        call_command("import_term", str(path), stdout=io.StringIO())

    assert str(caught.value).splitlines() == [
        "Nothing was imported: members[0].affiliation: Ensure this value has at most 200 "
        "characters (it has 201).",
        "  weeks[1].title: This field cannot be blank.",
        "  sections[0].room: Ensure this value has at most 100 characters (it has 101).",
    ]
    assert set(counts().values()) == {0}


def test_import_lists_20_problems_then_counts_the_others(db):
    data = large_archive(30)
    for member in data["members"][:25]:
        member["name"] = ""

    with pytest.raises(ValidationError) as caught:
        import_term(data)

    assert caught.value.messages == [
        *(f"members[{i}].name: This field cannot be blank." for i in range(20)),
        "… and 5 more problems.",
    ]
    assert set(counts().values()) == {0}
