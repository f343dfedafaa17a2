"""The README stays short enough to read, and no link in it or in docs/ leads nowhere."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
INLINE_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"(?m)^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
NAMED_DOCUMENT = re.compile(r"`([\w./-]+\.md)`")


def links(path):
    """The link targets written in the Markdown file `path`, outside code."""
    text = CODE.sub("", path.read_text(encoding="utf-8"))
    return INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)


def anchors(path):
    """The anchors GitHub gives the headings of `path`: lower case, spaces to hyphens,
    punctuation dropped."""
    text = re.sub(r"(?ms)^```.*?^```", "", path.read_text(encoding="utf-8"))
    slugs = set()
    for heading in re.findall(r"(?m)^#{1,6}\s+(.+?)\s*#*\s*$", text):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        slugs.add(slug)
    return slugs


def named_documents(path):
    """Markdown files named as code (`docs/style.md`), read from the file's folder or the root."""
    return NAMED_DOCUMENT.findall(re.sub(r"(?ms)^```.*?^```", "", path.read_text(encoding="utf-8")))


def inside(linked, root):
    return linked.exists() and root.resolve() in [linked, *linked.parents]


def leads_nowhere(path, target, root):
    file_part, _, anchor = target.partition("#")
    linked = (path.parent / file_part).resolve() if file_part else path
    if not inside(linked, root):
        return True
    return bool(anchor) and linked.suffix == ".md" and anchor not in anchors(linked)


def broken_links(path, root=ROOT):
    """Relative links of `path` to a file that is missing or outside `root`, or to a heading
    that the linked Markdown file does not have (https:, mailto: … are not checked)."""
    return [t for t in links(path) if not SCHEME.match(t) and leads_nowhere(path, t, root)] + [
        name
        for name in named_documents(path)
        if not any(inside((folder / name).resolve(), root) for folder in (path.parent, root))
    ]


def test_readme_is_at_most_12000_characters():
    length = len((ROOT / "README.md").read_text(encoding="utf-8"))

    assert length <= 12_000, f"README.md has {length} characters: move a manual to docs/"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_and_named_documents_are_files_in_the_repository(path):
    assert broken_links(path) == []


def test_the_link_check_finds_a_missing_file_an_outside_file_and_a_missing_heading(tmp_path):
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## A heading, with `code`\n")
    page.write_text(
        "[ok](other.md) [ok](other.md#a-heading-with-code) [ok](#here) [web](https://x.org/y)\n"
        "`[code](missing.md)`\n\n# Here\n\n"
        "[gone](missing.md) [anchor](other.md#nowhere) [outside](../../STYLE.md)\n"
        "See `other.md` and `../shared/STYLE.md`.\n"
    )

    assert [t for t in links(page) if not SCHEME.match(t)] == [
        "other.md",
        "other.md#a-heading-with-code",
        "#here",
        "missing.md",
        "other.md#nowhere",
        "../../STYLE.md",
    ]
    assert broken_links(page, root=tmp_path) == [
        "missing.md",
        "other.md#nowhere",
        "../../STYLE.md",
        "../shared/STYLE.md",
    ]
