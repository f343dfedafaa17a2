"""Starting the next term in the admin can take each section's members along
(attendance.services.copy_members, added to sections' action by attendance's TermAdmin)."""

import datetime
import time

import pytest
from django.core.exceptions import ValidationError

from attendance.models import Enrollment
from attendance.services import MembersCopied, copy_members
from sections.services import copy_term
from syllabus.models import Term
from tests.factories import (
    AttendanceRecordFactory,
    EnrollmentFactory,
    MemberFactory,
    SectionFactory,
    build_term,
    enroll_members,
)

pytestmark = pytest.mark.django_db

TERMS = "/admin/syllabus/term/"
MONDAY = datetime.date(2023, 9, 11)


def started(term):
    return (
        f"Started Fall 2023 from {term.name}: its weeks, readings, sections and meetings are "
        "copied. It is not published yet."
    )


def start(client, term, **extra):
    """Post the action's form for `term` (as its "Start the new term" button does), following
    the redirect to the new term's admin page."""
    return client.post(
        TERMS,
        {
            "action": "start_next_term",
            "_selected_action": [term.pk],
            "apply": "1",
            "name": "Fall 2023",
            "slug": "fall-2023",
            "first_monday": "2023-09-11",
            **extra,
        },
        follow=True,
    )


def enrollments(term):
    """Each enrollment of `term` as (section slug, member name, display name)."""
    return sorted(
        Enrollment.objects.filter(section__term=term).values_list(
            "section__slug", "member__name", "display_name"
        )
    )


def stored(term):
    """Each enrollment of `term` with every column, to see that nothing changed."""
    return sorted(
        Enrollment.objects.filter(section__term=term).values_list(
            "pk", "member_id", "section_id", "display_name", "created_at"
        )
    )


@pytest.fixture
def rosters(section, other_section):
    """Three members in `section` (one a walk-in without an email, one known to its leads by
    another name), two in `other_section` (one of them in both), and one who only came once."""
    ada = EnrollmentFactory(section=section, member__name="Ada").member
    EnrollmentFactory(section=section, member__name="Walk-in", member__email="")
    EnrollmentFactory(section=section, member__name="Cy", display_name="Cyrus")
    EnrollmentFactory(section=other_section, member=ada)
    EnrollmentFactory(section=other_section, member__name="Bea")
    AttendanceRecordFactory(meeting=section.meetings.first(), member__name="Came once")
    return {section.slug: section, other_section.slug: other_section}


def test_start_next_term_copies_each_sections_members_when_ticked(client, organizer, term, rosters):
    client.force_login(organizer)
    before = stored(term)

    response = start(client, term, copy_members="on")

    new = Term.objects.get(slug="fall-2023")
    assert enrollments(new) == enrollments(term)
    assert enrollments(new) == sorted(
        [
            (term.sections.order_by("weekday")[0].slug, "Ada", ""),
            (term.sections.order_by("weekday")[0].slug, "Walk-in", ""),
            (term.sections.order_by("weekday")[0].slug, "Cy", "Cyrus"),
            (term.sections.order_by("weekday")[1].slug, "Ada", ""),
            (term.sections.order_by("weekday")[1].slug, "Bea", ""),
        ]
    )
    assert stored(term) == before
    assert [str(m) for m in response.context["messages"]] == [
        started(term),
        "Copied 4 member(s) into 2 section(s); nobody was emailed.",
    ]


def test_start_next_term_with_the_box_unticked_copies_the_term_but_no_member(
    client, organizer, term, rosters
):
    client.force_login(organizer)
    before = stored(term)

    unticked = start(client, term)
    ticked = start(client, term, copy_members="on", name="Fall 2024", slug="fall-2024")

    new = Term.objects.get(slug="fall-2023")
    assert (enrollments(new), new.sections.count()) == ([], 2)
    assert [str(m) for m in unticked.context["messages"]] == [started(term)]
    # The same request with the box ticked copies them: the box is what decides.
    assert len(enrollments(Term.objects.get(slug="fall-2024"))) == 5
    assert len(ticked.context["messages"]) == 2
    assert stored(term) == before


def test_the_action_form_offers_to_copy_the_members_ticked_and_says_nobody_is_emailed(
    client, organizer, term
):
    client.force_login(organizer)

    response = client.post(TERMS, {"action": "start_next_term", "_selected_action": [term.pk]})

    field = response.context["form"]["copy_members"]
    assert (field.label, field.value()) == (
        "Copy each section's members to the new term's sections",
        True,
    )
    html = response.content.decode()
    assert (
        '<input type="checkbox" name="copy_members" aria-describedby="id_copy_members_helptext" '
        'id="id_copy_members" checked> <label for="id_copy_members" class="vCheckboxLabel">'
        "Copy each section&#x27;s members to the new term&#x27;s sections</label>"
    ) in html
    assert (
        '<div class="help" id="id_copy_members_helptext">Everyone enrolled in a section is '
        "enrolled in that section&#x27;s copy in the new term. Nobody is emailed; members can "
        "leave a section from their page (/me/).</div>"
    ) in html


def test_a_taken_slug_copies_neither_the_term_nor_its_members(client, organizer, term, rosters):
    client.force_login(organizer)
    taken = build_term(weeks=1, sections=0, slug="fall-2023")

    response = start(client, term, copy_members="on")

    assert response.context["form"].errors == {
        "slug": ["A term with the slug “fall-2023” already exists."]
    }
    assert response.context["form"]["copy_members"].value() is True  # still ticked
    assert (Term.objects.count(), enrollments(taken)) == (2, [])


def test_only_organizers_start_the_next_term_and_copy_its_members(client, request, term, rosters):
    outcomes = {}
    for name in ["lead", "nobody", "organizer"]:
        user = request.getfixturevalue(name)
        user.is_staff = True  # a lead or a user given the admin, without the organizers' rights
        user.save()
        client.force_login(user)
        response = start(client, term, copy_members="on", slug=f"fall-2023-{name}")
        copied = Enrollment.objects.filter(section__term__slug=f"fall-2023-{name}").count()
        outcomes[name] = (response.status_code, copied)

    assert outcomes == {"lead": (403, 0), "nobody": (403, 0), "organizer": (200, 5)}
    assert sorted(Term.objects.values_list("slug", flat=True)) == [
        "fall-2023-organizer",
        "spring-2023",
    ]


def test_the_members_box_and_the_skipped_weeks_work_together(client, organizer, term, rosters):
    client.force_login(organizer)
    monday = datetime.date(2023, 9, 11)

    laid_out = client.post(
        TERMS,
        {
            "action": "start_next_term",
            "_selected_action": [term.pk],
            "layout": "1",
            "name": "Fall 2023",
            "slug": "fall-2023",
            "first_monday": "2023-09-11",
            "skip_weeks": ["2023-09-18"],
        },
    )
    response = start(client, term, copy_members="on", skip_weeks=["2023-09-18"])

    assert laid_out.context["form"]["copy_members"].value() is False  # as sent: unticked
    assert [row.monday for row in laid_out.context["layout"] if not row.weeks] == [
        datetime.date(2023, 9, 18)
    ]
    new = Term.objects.get(slug="fall-2023")
    assert [w.starts_on for w in new.weeks.order_by("number")] == [
        monday + datetime.timedelta(weeks=n)
        for n in [0, 2, 3]  # none in the skipped 2nd
    ]
    assert len(enrollments(new)) == 5
    assert [str(m) for m in response.context["messages"]] == [
        started(term),
        "Copied 4 member(s) into 2 section(s); nobody was emailed.",
    ]


# --- The service -------------------------------------------------------------------------------


def test_copy_members_skips_those_enrolled_already_and_reports_sections_without_a_match(
    term, section, other_section, rosters
):
    new = copy_term(term=term, name="Fall 2023", slug="fall-2023", first_monday=MONDAY)
    new_section = new.sections.get(slug=section.slug)
    new.sections.get(slug=other_section.slug).delete()
    ada = rosters[section.slug].enrollments.get(member__name="Ada").member
    EnrollmentFactory(section=new_section, member=ada, display_name="Ada L.")
    SectionFactory(term=new, slug="new-one")

    copied = copy_members(from_term=term, to_term=new)

    assert copied == MembersCopied(enrollments=2, members=2, sections=1, unmatched=[other_section])
    assert enrollments(new) == sorted(
        [
            (section.slug, "Ada", "Ada L."),
            (section.slug, "Walk-in", ""),
            (section.slug, "Cy", "Cyrus"),
        ]
    )


def test_copy_members_refuses_to_copy_a_term_into_itself(term, rosters):
    with pytest.raises(ValidationError) as raised:
        copy_members(from_term=term, to_term=term)

    assert raised.value.messages == ["Choose another term to copy the members to."]
    assert Enrollment.objects.count() == 5


def big_term(slug, sections, members):
    """A term of `sections` sections of `members` members each, and its copy (no members)."""
    term = build_term(weeks=1, readings_per_week=0, sections=sections, slug=slug)
    for section in term.sections.all():
        enroll_members(section, members)
    return term, copy_term(term=term, name="Next", slug=f"{slug}-next", first_monday=MONDAY)


@pytest.mark.parametrize(("sections", "members"), [(2, 5), (20, 50)])
def test_copy_members_runs_the_same_queries_for_10_and_1000_enrollments(
    django_assert_num_queries, sections, members
):
    term, new = big_term("big", sections, members)

    # savepoint, sections without a match, the INSERT … SELECT, release
    with django_assert_num_queries(4):
        copied = copy_members(from_term=term, to_term=new)

    assert (copied.enrollments, copied.sections) == (sections * members, sections)
    assert Enrollment.objects.filter(section__term=new).count() == sections * members


@pytest.mark.slow
def test_copy_members_copies_50_sections_of_200_members_in_4_queries(django_assert_num_queries):
    term, new = big_term("huge", 50, 200)
    MemberFactory()  # one more member, in no section

    started = time.perf_counter()
    with django_assert_num_queries(4):
        copied = copy_members(from_term=term, to_term=new)
    elapsed = time.perf_counter() - started

    assert (copied.enrollments, copied.members, copied.sections) == (10_000, 10_000, 50)
    print(f"\ncopy_members of 50 sections × 200 members: {elapsed:.3f} s")
