""" "I've read it" and one question per meeting (docs/members.md): said from /me/ before the
meeting starts; leads see them with names on the roster and the questions page, the section's
members see the questions without names once the meeting has started."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from attendance.models import Preparation
from attendance.services import ask_question, mark_read
from tests.attendance.conftest import as_member
from tests.factories import EnrollmentFactory, build_term, write_note
from tests.hostile import STORED_HTML, STORED_HTML_ESCAPED, STORED_HTML_LIVE

pytestmark = pytest.mark.django_db

MATRIX = ["anonymous", "member of this section", "member of another section", "lead", "organizer"]


def rows():
    return sorted(
        (name, meeting, read, question)
        for name, meeting, read, question in Preparation.objects.values_list(
            "member__name", "meeting", "read_at", "question"
        ).iterator()
        for read in [read is not None]
    )


def log_in(client, people, who):
    if people[who]:
        client.force_login(people[who])


@pytest.mark.parametrize("who", MATRIX)
def test_only_a_member_of_the_section_can_say_they_read_it(client, people, coming, who):
    log_in(client, people, who)
    url = f"/meetings/{coming.pk}/read/"

    got, posted = client.get(url), client.post(url)

    assert got.status_code == 405
    if who == "anonymous":
        assert posted["Location"] == f"/signin/?next={url}"
    elif who == "member of this section":
        assert posted["Location"] == "/me/"
    else:
        assert posted.status_code == 404
    expected = [("Ada", coming.pk, True, "")] if who == "member of this section" else []
    assert rows() == expected


@pytest.mark.parametrize("who", MATRIX)
def test_only_a_member_of_the_section_can_ask_a_question(client, people, coming, who):
    log_in(client, people, who)
    url = f"/meetings/{coming.pk}/question/"

    got, posted = client.get(url), client.post(url, {"question": " Why?\nReally? "})

    if who == "anonymous":
        assert got["Location"] == posted["Location"] == f"/signin/?next={url}"
    elif who == "member of this section":
        assert "My question for week" in got.content.decode()
        assert posted["Location"] == "/me/"
    else:
        assert (got.status_code, posted.status_code) == (404, 404)
    expected = [("Ada", coming.pk, False, "Why?\nReally?")]
    assert rows() == (expected if who == "member of this section" else [])


@pytest.mark.parametrize("who", MATRIX)
def test_questions_page_after_the_meeting_shows_names_to_leads_only(client, people, past, who):
    Preparation.objects.create(
        member=people["ada"], meeting=past, question=STORED_HTML, read_at=timezone.now()
    )
    log_in(client, people, who)
    url = f"/meetings/{past.pk}/questions/"

    response = client.get(url)

    if who == "anonymous":
        assert response["Location"] == f"/signin/?next={url}"
        return
    if who == "member of another section":
        assert response.status_code == 404
        return
    html = response.content.decode()
    assert STORED_HTML_ESCAPED in html
    assert STORED_HTML_LIVE not in html
    named = who in ("lead", "organizer")
    assert ('<span class="fw-semibold question-author">Ada</span>' in html) == named
    assert ('<p class="readers">Ada</p>' in html) == named
    assert people["ada"].email not in html
    assert response["Cache-Control"] == "private, no-cache"


def test_members_see_the_questions_only_once_the_meeting_has_started(client, people, coming):
    ask_question(member=people["ada"], meeting=coming, question="Why?")
    url = f"/meetings/{coming.pk}/questions/"

    client.force_login(people["member of this section"])
    member_sees = client.get(url).content.decode()
    client.force_login(people["lead"])
    lead_sees = client.get(url).content.decode()

    assert "Why?" not in member_sees
    assert "shown here once the meeting has started" in member_sees
    assert '<span class="fw-semibold question-author">Ada</span>: ' in lead_sees
    assert '<span class="question-text">Why?</span>' in lead_sees


def test_my_page_offers_read_and_question_and_shows_them(client, people, coming):
    client.force_login(people["member of this section"])

    before = client.get("/me/").content.decode()
    client.post(f"/meetings/{coming.pk}/read/")
    client.post(f"/meetings/{coming.pk}/question/", {"question": "<b>Why</b>\nnow?"})
    after = client.get("/me/").content.decode()

    assert "I've read it</button>" in before
    assert f'href="/meetings/{coming.pk}/question/">Ask a question</a>' in before
    assert "You have read it." in after
    assert '<span class="my-question">&lt;b&gt;Why&lt;/b&gt;<br>now?</span>' in after
    assert "Change my question" in after


def test_taking_back_both_leaves_no_row(client, people, coming):
    client.force_login(people["member of this section"])
    client.post(f"/meetings/{coming.pk}/read/")
    client.post(f"/meetings/{coming.pk}/question/", {"question": "Why?"})

    client.post(f"/meetings/{coming.pk}/read/", {"action": "undo"})
    client.post(f"/meetings/{coming.pk}/question/", {"question": "  "})

    assert rows() == []


def test_a_question_can_be_edited_and_keeps_one_per_meeting(people, coming):
    ask_question(member=people["ada"], meeting=coming, question="First")
    mark_read(member=people["ada"], meeting=coming)
    ask_question(member=people["ada"], meeting=coming, question="Second")

    assert rows() == [("Ada", coming.pk, True, "Second")]


def test_a_too_long_question_gets_an_error_next_to_the_field(client, people, coming):
    client.force_login(people["member of this section"])

    response = client.post(f"/meetings/{coming.pk}/question/", {"question": "x" * 1001})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "question": ["Ensure this value has at most 1000 characters (it has 1001)."]
    }
    assert rows() == []


def test_no_question_or_read_once_the_meeting_has_started(client, people, past):
    client.force_login(people["member of this section"])

    asked = client.post(f"/meetings/{past.pk}/question/", {"question": "Late?"})
    read = client.post(f"/meetings/{past.pk}/read/", follow=True)

    assert asked.status_code == 409
    assert asked.context["form"].errors == {"question": ["This meeting has already started."]}
    assert [str(m) for m in read.context["messages"]] == [
        "This meeting has already started. Nothing was changed."
    ]
    assert rows() == []
    with pytest.raises(ValidationError):
        mark_read(member=people["bea"], meeting=past)


def test_the_roster_lists_questions_with_names_and_who_read_it(client, people, here, coming):
    carl = EnrollmentFactory(section=here, member__name="Carl").member
    ask_question(member=people["ada"], meeting=coming, question=STORED_HTML)
    mark_read(member=carl, meeting=coming)
    client.force_login(people["lead"])

    html = client.get(f"/attendance/meetings/{coming.pk}/").content.decode()

    assert (
        '<span class="fw-semibold question-author">Ada</span>: '
        f'<span class="question-text">{STORED_HTML_ESCAPED}</span>' in html
    )
    assert STORED_HTML_LIVE not in html
    assert '<span class="readers">Carl</span>' in html


@pytest.mark.parametrize("questions", [1, 3])
def test_questions_page_runs_a_fixed_number_of_queries(
    client, people, here, past, questions, django_assert_num_queries
):
    members = [people["ada"]] + [
        EnrollmentFactory(section=here).member for _ in range(questions - 1)
    ]
    for member in members:
        Preparation.objects.create(
            member=member, meeting=past, question="Q", read_at=past.starts_at
        )
    client.force_login(people["lead"])

    with django_assert_num_queries(4):
        response = client.get(f"/meetings/{past.pk}/questions/")

    assert len(response.context["questions"]) == questions


@pytest.mark.parametrize("terms", [1, 3])
def test_my_page_with_questions_keeps_its_query_count(
    client, people, coming, terms, django_assert_num_queries
):
    ada = people["ada"]
    ask_question(member=ada, meeting=coming, question="Why?")
    for n in range(terms - 1):
        section = build_term(weeks=4, sections=1, slug=f"old-{n}").sections.get()
        EnrollmentFactory(section=section, member=ada)
        for meeting in section.meetings.all():
            Preparation.objects.create(member=ada, meeting=meeting, question="Old")
    client.force_login(people["member of this section"])

    with django_assert_num_queries(13):
        response = client.get("/me/")

    assert '<span class="my-question">Why?</span>' in response.content.decode()


def test_after_the_meeting_members_see_the_questions_next_to_the_published_notes(
    client, people, here, past
):
    Preparation.objects.create(member=people["ada"], meeting=past, question="Why <b>scale</b>?")
    carl = EnrollmentFactory(section=here, member__name="Carl").member
    url = f"/meetings/{past.pk}/questions/"
    client.force_login(as_member(carl, "carl"))

    write_note(past, "Draft *notes*", status="draft")
    before = client.get(url).content.decode()
    write_note(past, "We talked about **scaling laws**.")
    after = client.get(url).content.decode()

    assert "Draft" not in before
    assert "Discussion notes" not in before
    notes = after.index("<strong>scaling laws</strong>")
    question = after.index('<span class="question-text">Why &lt;b&gt;scale&lt;/b&gt;?</span>')
    assert after.index('<h2 class="h5 mt-4">Discussion notes</h2>') < notes < question
    assert "Ada" not in after
    assert "question-author" not in after
