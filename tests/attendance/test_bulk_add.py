"""Leads add several people at once: paste → preview → confirm (#11)."""

import time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from attendance.forms import parse_pasted_people
from attendance.models import Enrollment, Member
from attendance.services import Person, enroll_people
from tests.factories import EnrollmentFactory, MemberFactory
from tests.hostile import (
    NASTY_STRINGS,
    STORED_HTML,
    STORED_HTML_ESCAPED,
    STORED_HTML_LIVE,
    assert_not_server_error,
    hostile_settings,
    rolled_back,
)

pytestmark = pytest.mark.django_db

PASTE = "\n".join(
    [
        "Ada Lovelace <ada@example.edu>",
        "bea@example.edu, Bea Bell",
        "Cy Cole, cy@example.edu",
        "Dee Dunn\tdee@example.edu",
        "",
        "Name\tEmail",
        "just text",
        "ADA@example.edu, Ada again",
    ]
)


def url(section, **query):
    suffix = "".join(f"?{k}={v}" for k, v in query.items())
    return f"/attendance/sections/{section.pk}/add/{suffix}"


def enrolled(section):
    return sorted(
        Enrollment.objects.filter(section=section).values_list(
            "member__name", "member__email", "display_name"
        )
    )


def shown(response, key):
    return [(person.email, name) for person, name in getattr(response.context["preview"], key)]


# --- The parser -------------------------------------------------------------------------------


def test_parse_understands_each_format_and_says_why_not():
    lines = parse_pasted_people(PASTE)

    assert [(line.number, line.name, line.email, line.problem) for line in lines] == [
        (1, "Ada Lovelace", "ada@example.edu", ""),
        (2, "Bea Bell", "bea@example.edu", ""),
        (3, "Cy Cole", "cy@example.edu", ""),
        (4, "Dee Dunn", "dee@example.edu", ""),
        (6, "", "", "No email address."),
        (7, "", "", "No email address."),
        (8, "", "", "The same email as line 1."),
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("<ada@example.edu>", "No name."),
        ("ada@example.edu", "No name."),
        ("Ada <not an email>", "The part between < and > is not an email."),
        ("a@example.edu, b@example.edu", "More than one email address."),
        (
            "Lovelace, Ada, ada@example.edu",
            "More than one name: write “Name <email>” or “email, name”.",
        ),
        ("Ada\x1b[31m, ada@example.edu", "The name has control characters."),
        ("x" * 201 + ", ada@example.edu", "The name is longer than 200 characters."),
    ],
)
def test_parse_lists_a_line_it_does_not_understand(line, problem):
    assert [(p.text, p.problem) for p in parse_pasted_people(line)] == [(line, problem)]


@hostile_settings(max_examples=200)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(NASTY_STRINGS),
            st.text(max_size=80),
            st.builds(
                lambda a, b, sep: f"{a}{sep}{b}",
                st.text(max_size=20),
                st.emails(),
                st.sampled_from(["\t", ",", ";", " <", ", <"]),
            ),
        ),
        max_size=12,
    )
)
def test_parse_never_crashes_and_accounts_for_every_line(lines):
    text = "\n".join(lines)

    parsed = parse_pasted_people(text)

    assert [line.number for line in parsed] == [
        n for n, raw in enumerate(text.splitlines(), start=1) if raw.strip()
    ]
    for line in parsed:
        assert bool(line.problem) != bool(line.name and line.email)
        if not line.problem:
            assert line.name == " ".join(line.name.split())
            assert line.email in line.text


# --- The page ---------------------------------------------------------------------------------


def test_preview_lists_who_is_added_who_is_there_and_what_is_not_understood(
    client, lead, section, other_section
):
    EnrollmentFactory(section=section, member__name="Bea Bell", member__email="BEA@example.edu")
    EnrollmentFactory(
        section=other_section, member__name="Cyrus Stored", member__email="cy@example.edu"
    )
    client.force_login(lead)

    response = client.post(url(section), {"people": PASTE, "action": "preview"})

    assert shown(response, "added") == [
        ("ada@example.edu", "Ada Lovelace"),
        ("cy@example.edu", "Cy Cole"),  # another section's member: only what the lead typed
        ("dee@example.edu", "Dee Dunn"),
    ]
    assert shown(response, "already") == [("bea@example.edu", "Bea Bell")]
    assert [(line.number, line.problem) for line in response.context["form"].not_understood()] == [
        (6, "No email address."),
        (7, "No email address."),
        (8, "The same email as line 1."),
    ]
    assert "Cyrus Stored" not in response.content.decode()
    assert enrolled(section) == [("Bea Bell", "BEA@example.edu", "")]  # nothing saved yet


def test_confirm_enrolls_everyone_understood_once_and_goes_back_to_the_roster(
    client, lead, section, other_section, meeting
):
    EnrollmentFactory(section=section, member__name="Bea Bell", member__email="BEA@example.edu")
    stored = EnrollmentFactory(
        section=other_section, member__name="Cyrus Stored", member__email="cy@example.edu"
    ).member
    client.force_login(lead)

    response = client.post(
        url(section, meeting=meeting.pk), {"people": PASTE, "action": "confirm"}, follow=True
    )

    assert response.redirect_chain == [(f"/attendance/meetings/{meeting.pk}/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        f"Added 3 people to the {section.name} section. 1 were on its roster already. "
        "3 lines not understood were left out."
    ]
    assert enrolled(section) == [
        ("Ada Lovelace", "ada@example.edu", ""),
        ("Bea Bell", "BEA@example.edu", ""),
        ("Cyrus Stored", "cy@example.edu", "Cy Cole"),
        ("Dee Dunn", "dee@example.edu", ""),
    ]
    assert Member.objects.filter(email__iexact="cy@example.edu").get() == stored
    assert [line.member.roster_name for line in response.context["form"].lines()] == [
        "Ada Lovelace",
        "Bea Bell",
        "Cy Cole",
        "Dee Dunn",
    ]
    assert "Cyrus Stored" not in response.content.decode()


def test_confirm_without_a_roster_goes_to_the_section_report(client, organizer, section):
    client.force_login(organizer)

    response = client.post(url(section), {"people": "Ada <ada@example.edu>", "action": "confirm"})

    assert response.url == f"/attendance/sections/{section.pk}/report/"
    assert enrolled(section) == [("Ada", "ada@example.edu", "")]


def test_an_empty_paste_is_an_error_next_to_the_field(client, lead, section):
    client.force_login(lead)

    response = client.post(url(section), {"people": " \n\n ", "action": "confirm"})

    assert response.context["form"].errors == {"people": ["Paste at least one line."]}
    assert enrolled(section) == []


def test_a_paste_with_no_line_understood_adds_nobody(client, lead, section):
    client.force_login(lead)

    response = client.post(url(section), {"people": "just text", "action": "preview"})

    assert shown(response, "added") == []
    assert "Nobody new to add." in response.content.decode()
    assert 'value="confirm"' not in response.content.decode()


def test_hostile_names_are_shown_escaped_in_the_preview(client, lead, section):
    client.force_login(lead)
    paste = f"{STORED_HTML}, html@example.edu\n<script>alert(1)</script>"

    response = client.post(url(section), {"people": paste, "action": "preview"})

    content = response.content.decode()
    assert STORED_HTML_ESCAPED in content
    assert STORED_HTML_LIVE not in content
    assert escape("<script>alert(1)</script>") in content
    assert "<script>alert(1)</script>" not in content


@hostile_settings(max_examples=30)
@given(st.lists(st.sampled_from(NASTY_STRINGS) | st.text(max_size=40), max_size=6))
def test_hostile_pastes_never_break_the_page_nor_half_save(lead, section, lines):
    client = Client(raise_request_exception=False)
    client.force_login(lead)
    with rolled_back():
        before = enrolled(section)
        for action in ("preview", "confirm"):
            response = client.post(url(section), {"people": "\n".join(lines), "action": action})
            assert_not_server_error(response)
        if response.status_code != 302:
            assert enrolled(section) == before


def test_enroll_people_saves_nothing_when_one_person_is_invalid(lead, section):
    with pytest.raises(ValidationError):
        enroll_people(
            section=section,
            people=[Person("Ada", "ada@example.edu"), Person("Bad", "not an email")],
            by=lead,
        )

    assert Member.objects.count() == 0
    assert enrolled(section) == []


# --- Permissions ------------------------------------------------------------------------------

ROLES = ["anonymous", "nobody", "other_lead", "lead", "organizer"]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("get", ["login", 403, 404, 200, 200]),
        ("post", ["login", 403, 404, 302, 302]),
        ("put", [405, 405, 405, 405, 405]),
    ],
)
def test_permission_matrix(client, request, section, method, expected):
    results = []
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        data = {"people": f"Person <{role}@example.edu>", "action": "confirm"}
        response = getattr(client, method)(url(section), data if method == "post" else None)
        if response.status_code == 302 and "/accounts/login/" in response.url:
            results.append("login")
        else:
            results.append(response.status_code)

    assert results == expected
    if method == "post":
        assert [email for _, email, _ in enrolled(section)] == [
            "lead@example.edu",
            "organizer@example.edu",
        ]


# --- Query counts and speed -------------------------------------------------------------------


def people_paste(count, *, known=0, section=None):
    """`count` lines, the first `known` of them people already in `section`."""
    for member in MemberFactory.create_batch(known):
        EnrollmentFactory(section=section, member=member)
    known_lines = [f"{m.name} <{m.email}>" for m in Member.objects.order_by("pk")[:known]]
    new_lines = [f"new{n}@example.edu, New Person {n}" for n in range(count - known)]
    return "\n".join(known_lines + new_lines)


@pytest.mark.parametrize("size", [10, 200])
def test_preview_query_count_does_not_grow_with_the_paste(
    client, lead, section, django_assert_num_queries, size
):
    paste = people_paste(size, known=3, section=section)
    client.force_login(lead)

    # session, user (with its roles), section, existing members, known ones, roster ones
    with django_assert_num_queries(6):
        response = client.post(url(section), {"people": paste, "action": "preview"})

    assert len(response.context["preview"].added) == size - 3


@pytest.mark.parametrize("size", [10, 200])
def test_confirm_query_count_does_not_grow_with_the_paste(
    client, lead, section, meeting, django_assert_num_queries, size
):
    paste = people_paste(size, known=3, section=section)
    client.force_login(lead)

    started = time.perf_counter()
    # 14: the new members read back by email (another request may have added some meanwhile)
    # and the enrolled taken off the section's waiting list.
    with django_assert_num_queries(13):
        response = client.post(
            url(section, meeting=meeting.pk), {"people": paste, "action": "confirm"}
        )
    elapsed = time.perf_counter() - started

    assert response.status_code == 302
    assert Enrollment.objects.filter(section=section).count() == size
    print(f"\nconfirm of {size} lines: {elapsed:.3f} s")


# --- The section admin ------------------------------------------------------------------------


def test_section_admin_action_opens_the_add_page_for_one_section(client, organizer, section):
    client.force_login(organizer)

    response = client.post(
        "/admin/sections/section/",
        {"action": "add_people", "_selected_action": [section.pk]},
    )

    assert response.url == f"/attendance/sections/{section.pk}/add/"


def test_section_admin_action_wants_exactly_one_section(client, organizer, section, other_section):
    client.force_login(organizer)

    response = client.post(
        "/admin/sections/section/",
        {"action": "add_people", "_selected_action": [section.pk, other_section.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["Select exactly one section."]
