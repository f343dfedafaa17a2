"""The `people` filter: "A", "A and B", "A, B and C" from users, full name or user name, every
name escaped."""

import pytest
from django.template import Context, Template
from django.utils.html import escape

from tests.factories import UserFactory
from tests.hostile import NASTY_STRINGS, STORED_HTML, STORED_HTML_ESCAPED

pytestmark = pytest.mark.django_db


def render(users, autoescape=True):
    template = Template("{% load people %}{{ users|people }}")
    return template.render(Context({"users": users}, autoescape=autoescape))


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, ""),
        (1, "Ada Lovelace"),
        (2, "Ada Lovelace and Alan Turing"),
        (3, "Ada Lovelace, Alan Turing and Grace Hopper"),
        (4, "Ada Lovelace, Alan Turing, Grace Hopper and Edsger Dijkstra"),
    ],
)
def test_people_joins_names_with_commas_and_a_final_and(count, expected):
    names = [("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper"), ("Edsger", "Dijkstra")]
    users = [UserFactory(first_name=first, last_name=last) for first, last in names[:count]]

    assert render(users) == expected


def test_people_falls_back_to_the_user_name_without_a_full_name():
    users = [
        UserFactory(username="ada", first_name="Ada", last_name=""),
        UserFactory(username="turing", first_name="", last_name=""),
        UserFactory(username="hopper", first_name="", last_name="Hopper"),
    ]

    assert render(users) == "Ada, turing and Hopper"


def test_people_escapes_a_stored_link_in_a_name():
    users = [
        UserFactory(first_name=STORED_HTML, last_name=""),
        UserFactory(username=STORED_HTML, first_name="", last_name=""),
    ]

    assert render(users) == f"{STORED_HTML_ESCAPED} and {STORED_HTML_ESCAPED}"


def test_people_escapes_every_hostile_name_as_autoescape_would():
    # Full names are stripped (`get_full_name`), so only names without edge whitespace.
    names = [name for name in NASTY_STRINGS if name and name == name.strip()]
    users = [UserFactory.build(first_name=name, last_name="") for name in names]

    assert render(users) == ", ".join(escape(name) for name in names[:-1]) + (
        f" and {escape(names[-1])}"
    )


def test_people_leaves_names_alone_where_autoescape_is_off():
    users = [
        UserFactory.build(first_name="Tom & Jerry", last_name=""),
        UserFactory.build(first_name="<b>", last_name=""),
    ]

    assert render(users, autoescape=False) == "Tom & Jerry and <b>"
