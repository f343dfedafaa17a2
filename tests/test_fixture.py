"""The Fall 2022 fixture: the published syllabus, exactly, on `/`."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from sections.models import Meeting, Section
from syllabus.models import Paper, Reading, Term, Week

pytestmark = pytest.mark.django_db

WEEKS = [
    (1, "Outlook for the Science of Deep Learning",
     "Is the task of understanding deep learning more like physics or biology?"),
    (2, "Scaling Laws", "Bigger networks are better, predictably."),
    (3, "Explanations of Scaling Laws", "Why are bigger networks better, predictably?"),
    (4, "Emergent Capabilities", "Neural network performance not so predictable after all?"),
    (5, "Induction bumps", "A \"phase change\" in model performance during training"),
    (6, "Grokking", "Neural Networks sometimes need a while to think"),
    (7, "Adversarial Examples", "Deep neural networks are alien minds"),
    (8, "The Infinite-Width Limit", "Super wide neural networks become simple"),
    (9, "Information theory", "Compression vs fitting in deep networks"),
    (10, "The Lottery Ticket Hypothesis",
     "You could have trained a much smaller network, if only you initialized it right"),
    (11, "The Generalization Mystery",
     "Neural Networks learn things which generalize when they could have memorized"),
]  # fmt: skip


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (get_user_model(), Term, Week, Paper, Reading, Section, Meeting)
    }


def test_fixture_loads_the_syllabus_letter_for_letter(fall2022):
    weeks = list(fall2022.weeks.order_by("number").values_list("number", "title", "tagline"))

    assert weeks == WEEKS
    assert (fall2022.name, fall2022.title, fall2022.institution) == (
        "Fall 2022",
        "The Science of Deep Learning",
        "MIT",
    )
    assert fall2022.intro.startswith("Welcome to the Science of Deep Learning Reading Group!")
    assert fall2022.format_note.startswith("For sections which are two hours, the first hour")
    assert sorted(u.get_full_name() for u in fall2022.organizers.all()) == [
        "Eric Michaud",
        "Guilhermo Cutrim Costa",
        "Kaivu Hariharan",
    ]


def test_fixture_sections_and_their_leads(fall2022):
    sections = {
        s.slug: (s.when_display, s.room, sorted(u.get_full_name() for u in s.leads.all()))
        for s in fall2022.sections.all()
    }

    assert sections == {
        "wednesday": ("Wednesdays, 6–8 pm", "2-151", ["Eric Michaud"]),
        "friday": ("Fridays, 7:30–8:30 pm", "4-146", ["Alex Infanger", "Eric Michaud"]),
    }
    assert Meeting.objects.count() == 22


def test_fixture_people_cannot_log_in_with_any_password(fall2022):
    assert [u.has_usable_password() for u in get_user_model().objects.all()] == [False] * 4


def test_fixture_loaded_twice_creates_no_duplicates(fall2022):
    before = counts()

    call_command("loaddata", "fall2022", verbosity=0)

    assert counts() == before
    assert before == {
        "User": 4,
        "Term": 1,
        "Week": 11,
        "Paper": 27,
        "Reading": 27,
        "Section": 2,
        "Meeting": 22,
    }


def test_ensure_demo_data_loads_only_into_an_empty_database(db):
    call_command("ensure_demo_data", verbosity=0)
    Week.objects.filter(number=1).update(title="Edited by an organizer")

    call_command("ensure_demo_data", verbosity=0)

    assert Week.objects.get(number=1).title == "Edited by an organizer"
    assert Term.objects.count() == 1


def test_home_page_shows_the_whole_published_syllabus(client, fall2022):
    response = client.get("/")

    content = response.content.decode()
    for number, title, tagline in WEEKS:
        assert f"Week {number}" in content
        assert title in content
        assert tagline.replace('"', "&quot;") in content
    for text in [
        "Wednesdays, 6–8 pm",
        "2-151",
        "Led by Eric Michaud",
        "Fridays, 7:30–8:30 pm",
        "4-146",
        "Led by Eric Michaud and Alex Infanger",
        "Organized by Eric Michaud, Kaivu Hariharan and Guilhermo Cutrim Costa",
        "MIT AI Alignment Club (MAIA)",
        "Wed Sep 14, 6–8 pm",
        "the first hour will mostly be for reading",
    ]:
        assert text in content, text
    assert "three sections" not in content
