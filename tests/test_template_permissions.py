"""Templates show what their view decided about the user; they never decide it themselves."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# The site header shows who is logged in; Django's account pages are about the user.
ABOUT_THE_USER = {"includes/header.html"}
TAG = re.compile(r"\{[{%](.*?)[%}]\}", re.DOTALL)
USER = re.compile(r"(?<![\w.])(user|perms)(?!\w)")


def pages():
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name not in ABOUT_THE_USER and not name.startswith("registration/"):
            yield name


@pytest.mark.parametrize("name", list(pages()))
def test_template_leaves_who_may_do_what_to_its_view(name):
    text = (TEMPLATES / name).read_text()

    readings = [tag.strip() for tag in TAG.findall(text) if USER.search(tag)]

    assert readings == []
