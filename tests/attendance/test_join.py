"""Joining a section: a form, a confirmation email, enrolled only once the link is used."""

import datetime
import re
import time
import types

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client

from attendance.models import Enrollment, Member
from attendance.services import join_section, join_waiting_list, move_enrollment
from syllabus.models import Term
from tests.factories import EnrollmentFactory, MemberFactory, UserFactory, build_term, this_monday
from tests.hostile import STORED_HTML, STORED_HTML_ESCAPED
from tests.mailbox import delivered

pytestmark = pytest.mark.django_db


@pytest.fixture
def term(db):
    """As the conftest's `term`, but running now (from last Monday): a term that has ended
    takes no new members (test_join.py: test_a_term_that_has_ended_takes_no_one)."""
    return build_term(
        weeks=3, readings_per_week=1, sections=2, slug="running", first_monday=this_monday(weeks=-1)
    )


LINK = re.compile(r"^(http://testserver/join/confirm/\?token=\S+)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def _email_configured(settings):
    settings.EMAIL_CONFIGURED = True


def join_url(section):
    return f"/terms/{section.term.slug}/sections/{section.slug}/join/"


def ask_to_join(client, section, name="Ada Lovelace", email="ada@example.edu", affiliation=""):
    return client.post(
        join_url(section), {"name": name, "email": email, "affiliation": affiliation}
    )


def confirm_link(message):
    (url,) = LINK.findall(message.body)
    return url


def confirm(client, url):
    """Open the link (a page with a button) and press the button."""
    page = client.get(url)
    assert page.status_code == 200, page.content.decode()[:500]
    return client.post("/join/confirm/", {"token": page.context["token"]})


def enrollments():
    return sorted(Enrollment.objects.values_list("member__email", "section__slug"))


def test_the_section_page_offers_joining_while_the_term_is_open(client, section):
    url = section.get_absolute_url()
    link = f'href="{join_url(section)}">Join this section</a>'

    assert link in client.get(url).content.decode()
    section.term.joining_open = False
    section.term.save()
    assert link not in client.get(url).content.decode()


def test_joining_sends_a_link_and_enrolls_no_one_until_it_is_used(client, section):
    response = ask_to_join(client, section, affiliation="MIT EECS")

    assert response.status_code == 200
    assert "We sent a link to <strong>ada@example.edu</strong>" in response.content.decode()
    (message,) = delivered()
    assert message.to == ["ada@example.edu"]
    assert message.subject == f"Confirm joining the {section.name} section"
    assert "Ada" not in message.body  # what a stranger typed never reaches someone's inbox
    assert "Ada" not in message.alternatives[0].content
    term = section.term
    assert f"the {section.name} section of {term.title} ({term.name})" in message.body
    assert (Member.objects.count(), Enrollment.objects.count()) == (0, 0)

    joined = confirm(client, confirm_link(message))

    assert joined.status_code == 302
    assert joined["Location"] == "/me/"
    member = Member.objects.get()
    assert (member.name, member.email, member.affiliation) == (
        "Ada Lovelace",
        "ada@example.edu",
        "MIT EECS",
    )
    assert enrollments() == [("ada@example.edu", section.slug)]
    assert int(client.session["_auth_user_id"]) == member.user_id
    assert client.session.get_expiry_age() == 30 * 24 * 3600


def test_a_known_member_joins_under_their_stored_name(client, section, other_section):
    known = EnrollmentFactory(
        section=other_section, member__name="Ada L.", member__email="Ada@Example.edu"
    ).member

    ask_to_join(client, section, name="Somebody Else", email="ADA@example.edu")
    confirm(client, confirm_link(delivered()[0]))

    assert list(Member.objects.values_list("pk", "name")) == [(known.pk, "Ada L.")]
    assert enrollments() == sorted(
        [("Ada@Example.edu", section.slug), ("Ada@Example.edu", other_section.slug)]
    )


def test_a_used_link_enrolls_no_one_twice_and_signs_no_one_in(client, section):
    ask_to_join(client, section)
    url = confirm_link(delivered()[0])
    confirm(client, url)

    someone_else = Client()
    again = confirm(someone_else, url)

    assert again.status_code == 302
    assert again["Location"] == "/signin/"
    assert "_auth_user_id" not in someone_else.session
    assert Enrollment.objects.count() == 1


def test_a_link_older_than_three_days_or_forged_is_refused(client, section, monkeypatch):
    ask_to_join(client, section)
    url = confirm_link(delivered()[0])
    token = client.get(url).context["token"]

    assert client.post("/join/confirm/", {"token": token[:-2] + "xx"}).status_code == 400
    assert client.get("/join/confirm/").status_code == 400
    later = time.time() + 3 * 24 * 3600 + 5
    monkeypatch.setattr("django.core.signing.time", types.SimpleNamespace(time=lambda: later))
    expired = client.post("/join/confirm/", {"token": token})

    assert expired.status_code == 400
    assert "This link no longer works" in expired.content.decode()
    assert Enrollment.objects.count() == 0


def test_a_full_section_says_so_and_offers_its_waiting_list(client, section):
    section.capacity = 1
    section.save()
    ask_to_join(client, section, email="first@example.edu")
    ask_to_join(client, section, email="second@example.edu")
    first, second = (confirm_link(m) for m in delivered())

    confirm(Client(), first)
    late = confirm(Client(), second)
    page = client.get(join_url(section))

    assert late.status_code == 409
    assert f"The {section.name} section is full." in late.content.decode()
    assert '<input type="hidden" name="action" value="wait">' in late.content.decode()
    assert enrollments() == [("first@example.edu", section.slug)]
    assert f"The {section.name} section is full." in page.content.decode()
    assert "Join the waiting list</button>" in page.content.decode()
    assert "Send me the link" not in page.content.decode()
    ask_to_join(client, section, email="third@example.edu")
    assert [m.subject for m in delivered()[2:]] == [
        f"Confirm joining the waiting list of the {section.name} section"
    ]
    assert enrollments() == [("first@example.edu", section.slug)]


def test_a_closed_term_takes_no_one(client, section):
    ask_to_join(client, section)
    section.term.joining_open = False
    section.term.save()

    refused = confirm(Client(), confirm_link(delivered()[0]))
    page = client.get(join_url(section))

    assert refused.status_code == 409
    assert f"Joining is closed for {section.term.name}." in refused.content.decode()
    assert Enrollment.objects.count() == 0
    assert "Joining is closed" in page.content.decode()


def test_a_term_that_has_ended_takes_no_one(client, section, django_assert_num_queries):
    ask_to_join(client, section)  # while it runs
    term = section.term
    term.first_monday = datetime.date(2022, 9, 12)  # three weeks: over on October 2, 2022
    term.save()
    current = build_term(
        weeks=2, sections=1, slug="current", name="Winter", first_monday=this_monday()
    )

    refused = confirm(Client(), confirm_link(delivered()[0]))
    with django_assert_num_queries(3):  # the section; its term's weeks (its end); the current term
        page = client.get(join_url(section))
    posted = ask_to_join(client, section, email="bea@example.edu")
    section_page = client.get(section.get_absolute_url()).content.decode()

    ended = f"{term.name} ended on October 2, 2022: its sections take no new members."
    assert refused.status_code == 409
    assert ended in refused.content.decode()
    assert Enrollment.objects.count() == 0
    assert "form" not in page.context
    assert (
        f'<p class="alert alert-warning join-refused">{ended} Join a section of '
        f'<a href="{current.get_absolute_url()}">Winter</a> instead.</p>'
    ) in page.content.decode()
    assert (posted.status_code, len(delivered())) == (200, 1)  # no second email
    assert ended in posted.content.decode()
    assert "Join this section" not in section_page


def test_no_one_joins_waits_for_or_moves_into_a_section_of_a_term_that_has_ended(section):
    member = EnrollmentFactory(section=section, member__email="ada@example.edu").member
    enrollment = Enrollment.objects.get(member=member)
    other = section.term.sections.exclude(pk=section.pk).get()
    Term.objects.filter(pk=section.term_id).update(first_monday=datetime.date(2022, 9, 12))
    section.refresh_from_db()
    other.refresh_from_db()
    attempts = {
        "join": lambda: join_section(section=other, name="Bea", email="bea@example.edu"),
        "wait": lambda: join_waiting_list(section=other, name="Bea", email="bea@example.edu"),
        "move": lambda: move_enrollment(enrollment=enrollment, to_section=other),
    }
    codes = {}

    for name, attempt in attempts.items():
        with pytest.raises(ValidationError) as caught:
            attempt()
        codes[name] = (caught.value.code, caught.value.messages)

    ended = [f"{section.term.name} ended on October 2, 2022: its sections take no new members."]
    assert codes == dict.fromkeys(attempts, ("ended", ended))
    assert enrollments() == [("ada@example.edu", section.slug)]


def test_bad_input_gets_errors_next_to_the_fields_and_no_email(client, section):
    response = ask_to_join(client, section, name="  \n ", email="ada@", affiliation="a\x1bb")

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["This field is required."],
        "email": ["Enter a valid email address."],
        "affiliation": [
            "Write this on one line: line breaks, tabs and other control characters are not "
            "allowed here."
        ],
    }
    assert delivered() == []


def test_five_join_requests_an_hour_per_address(client, section):
    answers = [ask_to_join(client, section).status_code for _ in range(6)]

    assert answers == [200, 200, 200, 200, 200, 429]
    assert len(delivered()) == 5


def test_a_typed_name_is_escaped_on_the_confirmation_page(client, section):
    ask_to_join(client, section, name=STORED_HTML)

    page = client.get(confirm_link(delivered()[0]))

    assert STORED_HTML_ESCAPED in page.content.decode()
    assert STORED_HTML not in page.content.decode()


def test_an_unpublished_term_has_no_join_page(client, section):
    assert client.get(join_url(section)).status_code == 200
    section.term.is_published = False
    section.term.save()

    assert client.get(join_url(section)).status_code == 404


def test_without_email_joining_says_to_ask_a_lead(client, settings, section):
    settings.EMAIL_CONFIGURED = False

    response = ask_to_join(client, section)

    assert "This site cannot send email yet" in response.content.decode()
    assert delivered() == []


@pytest.fixture
def people(section, other_section, lead):
    """The permission matrix's people: who they are and the user to log in as (None: no one)."""
    organizer = UserFactory(username="organizer", is_staff=True)
    organizer.groups.add(Group.objects.get(name="Organizers"))
    here = EnrollmentFactory(section=section).member
    there = EnrollmentFactory(section=other_section).member
    here.user, there.user = UserFactory(username="here"), UserFactory(username="there")
    here.save()
    there.save()
    return {
        "anonymous": None,
        "member of this section": here.user,
        "member of another section": there.user,
        "lead": lead,
        "organizer": organizer,
    }


@pytest.mark.parametrize(
    "who",
    ["anonymous", "member of this section", "member of another section", "lead", "organizer"],
)
def test_everyone_sees_the_same_join_form(client, section, people, who):
    if people[who]:
        client.force_login(people[who])

    response = client.get(join_url(section))

    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["name", "email", "affiliation"]
    assert f"<h1>Join the {section.name} section</h1>" in response.content.decode()


@pytest.mark.parametrize("terms", [1, 3])
def test_the_join_page_runs_a_fixed_number_of_queries(
    client, section, terms, django_assert_num_queries
):
    for n in range(terms - 1):
        build_term(weeks=2, sections=1, slug=f"earlier-{n}")
    MemberFactory()

    with django_assert_num_queries(2):  # the section; its term's weeks (has it ended?)
        response = client.get(join_url(section))
    assert response.status_code == 200
