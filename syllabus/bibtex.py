"""BibTeX and arXiv ids in and out, with no database access (see `syllabus.services` for that).

Writing: `papers_to_bibtex(papers)` gives one entry per paper with a stable, unique citation key.
Reading: `parse_paste(text)` turns pasted BibTeX (one or many entries) and arXiv ids or URLs into
`Candidate`s, each either paper fields or the reason it could not be read.
"""

import re
import string
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

import bibtexparser
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.middlewares import RemoveEnclosingMiddleware, default_unparse_stack
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    Entry,
    ExplicitComment,
    Field,
    ImplicitComment,
    ParsingFailedBlock,
    Preamble,
    String,
)
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from pylatexenc.latex2text import LatexNodes2Text

# --- arXiv identifiers -------------------------------------------------------------------------

_NEW_ID = r"\d{4}\.\d{4,5}"  # 2201.02177 (since 2007)
_OLD_ID = r"[a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7}"  # hep-th/9901001, math.GT/0309136
ARXIV_ID = re.compile(
    r"^(?:arxiv:\s*)?"
    r"(?:(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)?"
    rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?:v\d+)?(?:\.pdf)?/?$",
    re.IGNORECASE,
)
ARXIV_IN_TEXT = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf)/|arxiv:\s*)(?P<id>{_NEW_ID}|{_OLD_ID})", re.IGNORECASE
)


def parse_arxiv_id(text: str) -> str | None:
    """The bare id (no version) of an arXiv id or abs/pdf URL, or None if `text` is neither."""
    match = ARXIV_ID.match(text.strip())
    return _canonical_arxiv_id(match["id"]) if match else None


def _canonical_arxiv_id(arxiv_id: str) -> str:
    if "/" in arxiv_id:  # old style: lower-case archive, upper-case subject class
        archive, number = arxiv_id.split("/")
        name, _, subject = archive.partition(".")
        return f"{name.lower()}{'.' + subject.upper() if subject else ''}/{number}"
    return arxiv_id


# --- Text helpers ------------------------------------------------------------------------------

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": "{^}",
    # A bare @ at the start of a line would begin a new entry (bibtexparser recovers from a
    # broken entry that way); in braces it is only text.
    "@": "{@}",
    # LaTeX reads `` and '' as curly quotes and ?` !` as inverted marks: a grave accent is
    # always braced, a dash or quote before another one is closed with {}, so the text reads
    # back unchanged (- - rather than an en dash).
    "`": "{`}",
}
_LIGATURES = re.compile(r"([-'])(?=\1)")
_LATEX_TRANSLATION = str.maketrans(_LATEX_SPECIALS)
_DECODER = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)
_CIRCUMFLEX_MACRO = re.compile(r"\\textasciicircum(?![a-zA-Z])(?:\s*\{\})?")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
STOP_WORDS = {
    "a", "an", "and", "are", "at", "by", "do", "does", "for", "from", "how", "in", "is", "of",
    "on", "the", "to", "what", "when", "why", "with",
}  # fmt: skip


def latex_escape(text: str) -> str:
    """Plain text as a BibTeX value that LaTeX and `latex_decode` read back as the same text
    (with white space as `single_spaced` leaves it)."""
    return _LIGATURES.sub(r"\1{}", text.translate(_LATEX_TRANSLATION))


def latex_decode(text: str, *, keep_lines: bool = False) -> str:
    """A BibTeX value as plain text: accents resolved, protective braces dropped, spaces
    collapsed (line breaks kept with `keep_lines`, for abstracts)."""
    if keep_lines:
        return "\n".join(latex_decode(line) for line in text.strip().split("\n"))
    # pylatexenc reads \textasciicircum as the modifier letter ˆ; BibTeX means a plain ^.
    text = _CIRCUMFLEX_MACRO.sub("{^}", text)
    return " ".join(_DECODER.latex_to_text(text).split())


def single_spaced(text: str) -> str:
    """`text` with each run of white space a single space, none at the ends: what
    `latex_decode` gives back, and so how `Paper` stores its one-line texts."""
    return " ".join(text.split())


def single_spaced_lines(text: str) -> str:
    """`single_spaced` line by line (line breaks kept): how `Paper` stores its abstract."""
    return "\n".join(single_spaced(line) for line in text.strip().splitlines())


def brace_problem(value: str) -> str:
    """Why `value` cannot be written verbatim in braces (DOI, URL, arXiv id), or "".

    BibTeX ends a braced value at the brace that closes its first one, and a backslash before
    a brace hides that brace from bibtexparser but not from BibTeX: so braces must pair up,
    none may follow a backslash and a backslash may not come last. A line break could start
    a new entry."""
    if _CONTROL_CHARACTERS.search(value):
        return "has a line break or another control character"
    if re.search(r"\\(?=[{}]|$)", value):
        return "has a backslash before a brace or at its end"
    depth = 0
    for char in value:
        depth += (char == "{") - (char == "}")
        if depth < 0:
            break
    if depth:
        return "has braces { } that do not pair up"
    return ""


def bibtex_verbatim(value: str) -> str:
    """`value` as it is when it can be written verbatim, else with the characters in the way
    percent-encoded (%7B for {), as a URL would have them: an old row that no form checked
    still cannot end its entry early or add another."""
    if not brace_problem(value):
        return value
    return "".join(
        quote(char, safe="") if char in "{}\\" or _CONTROL_CHARACTERS.match(char) else char
        for char in value
    )


def ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def normalise_title(title: str) -> str:
    """Titles compared this way match across case, accents, punctuation and spacing."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded.lower()).split())


def normalise_doi(doi: str) -> str:
    doi = doi.strip()
    doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi, flags=re.IGNORECASE)
    return doi


def split_authors(authors: str) -> list[str]:
    """Our `Paper.authors` (comma-separated) as a list of names."""
    return [name.strip() for name in authors.split(",") if name.strip()]


# --- Writing -----------------------------------------------------------------------------------


def base_key(paper) -> str:
    """First author's last name + year + first significant title word: `power2022grokking`."""
    names = split_authors(paper.authors)
    last = ascii_word(names[0].split()[-1]) if names and names[0] != "et al." else ""
    words = [w for w in (ascii_word(w) for w in re.split(r"[\s\-–—:/]+", paper.title)) if w]
    word = next((w for w in words if w not in STOP_WORDS), words[0] if words else "untitled")
    return f"{last or 'anon'}{paper.year or 'nd'}{word}"


def _suffix(index: int) -> str:
    """1 → b, 2 → c, …, 25 → z, 26 → ba (index 0 would be a: the bare key is used instead)."""
    letters = ""
    while True:
        index, remainder = divmod(index, 26)
        letters = string.ascii_lowercase[remainder] + letters
        if index == 0:
            return letters


def citation_keys(papers) -> dict[int, str]:
    """A unique key per paper (by pk). Papers sharing a base key are told apart by their age:
    the oldest keeps the bare key, later ones get b, c, … So a paper's key stays the same
    from one request to the next, and adding a paper never renames an older one."""
    by_base = defaultdict(list)
    for paper in papers:
        by_base[base_key(paper)].append(paper)
    taken = set(by_base)
    keys = {}
    for base, group in by_base.items():
        group.sort(key=lambda paper: paper.pk)
        keys[group[0].pk] = base
        index = 0
        for paper in group[1:]:
            index += 1
            while base + _suffix(index) in taken:
                index += 1
            keys[paper.pk] = base + _suffix(index)
            taken.add(keys[paper.pk])
    return keys


def _bibtex_authors(authors: str) -> str:
    def bibtex_name(name):
        if name == "et al.":
            return "others"
        escaped = latex_escape(name)
        # Braces keep a name that contains the word "and" (an organisation) in one piece, and
        # a name that is "others" from reading as "et al.".
        if re.search(r"(?:^|\s)and(?:\s|$)", name, re.IGNORECASE) or name.lower() == "others":
            return f"{{{escaped}}}"
        return escaped

    return " and ".join(bibtex_name(name) for name in split_authors(authors))


_WORD_CORE = re.compile(r"(.*?)([^\W_](?:.*[^\W_])?)(.*)")
_SPACES = re.compile(r"(\s+)")


def bibtex_title(title: str) -> str:
    """`latex_escape(title)` with each word that has a capital letter in braces (from its
    first letter or digit to its last: `{Grokking}:`), so that styles which set titles in
    sentence case (pybtex's and BibTeX's own) keep "Grokking", "SGD" and "Transformers" as
    written. `latex_decode` drops the braces again."""
    # Escaped a run at a time: the words without capitals, and the white space between words,
    # are escaped together (a ligature never spans white space or a brace).
    parts, run = [], []
    for word in _SPACES.split(title):
        match = _WORD_CORE.fullmatch(word)
        if match and match[2] != match[2].lower():  # a capital letter
            before, core, after = match.groups()
            run.append(before)
            parts.append(latex_escape("".join(run)))
            parts.append(f"{{{latex_escape(core)}}}")
            run = [after]
        else:
            run.append(word)
    parts.append(latex_escape("".join(run)))
    return "".join(parts)


def arxiv_primary_class(arxiv_id: str) -> str:
    """The subject class an old-style arXiv id names (`hep-th/9901001` → `hep-th`, `math.GT/…`
    → `math.GT`); "" for a new-style id, which does not say."""
    return arxiv_id.partition("/")[0] if "/" in arxiv_id else ""


def paper_entry(paper, key: str) -> Entry:
    """One paper as BibTeX that reference managers read whole: Zotero takes `url` and `doi`,
    and an arXiv id only from `eprint` with `eprinttype` (biblatex); BibTeX styles read
    `archivePrefix` and `primaryClass` (arXiv's own export)."""
    fields = [("title", bibtex_title(paper.title)), ("author", _bibtex_authors(paper.authors))]
    if paper.year is not None:
        fields.append(("year", str(paper.year)))
    if paper.venue:
        fields.append(("journal", latex_escape(paper.venue)))
    if paper.arxiv_id:
        fields += [
            ("eprint", bibtex_verbatim(paper.arxiv_id)),
            ("eprinttype", "arxiv"),
            ("archivePrefix", "arXiv"),
            ("primaryClass", bibtex_verbatim(arxiv_primary_class(paper.arxiv_id))),
        ]
    if paper.doi:
        fields.append(("doi", bibtex_verbatim(paper.doi)))
    # The paper's own page, else its arXiv abstract page (`import_papers` reads that one back
    # as no URL: the arXiv id gives it).
    url = paper.url or (f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else "")
    if url:
        fields.append(("url", bibtex_verbatim(url)))
    if paper.abstract:
        fields.append(("abstract", latex_escape(paper.abstract)))
    # An @article needs an author, a journal and a year in BibTeX's styles (pybtex stops at an
    # article without a year); anything less is a @misc, which needs nothing.
    is_article = paper.venue and paper.year is not None and split_authors(paper.authors)
    entry_type = "article" if is_article else "misc"
    return Entry(entry_type, key, [Field(name, value) for name, value in fields if value])


def papers_to_bibtex(papers) -> str:
    """Papers, in the order given, as a BibTeX file (UTF-8 text)."""
    papers = list(papers)
    keys = citation_keys(papers)
    library = bibtexparser.Library([paper_entry(paper, keys[paper.pk]) for paper in papers])
    # The default stack, allowed to change the library it writes (made here for this): by
    # default each entry is deep-copied first, which was most of readings.bib's render.
    stack = default_unparse_stack(allow_inplace_modification=True)
    return bibtexparser.write_string(library, unparse_stack=stack)


# --- Reading -----------------------------------------------------------------------------------


@dataclass
class Candidate:
    """One paper read from a paste (`fields` for `Paper`), or why an item could not be read."""

    label: str
    fields: dict = field(default_factory=dict)
    error: str = ""
    from_arxiv_id_only: bool = False
    left_out: list = field(default_factory=list)  # values read but not used, with why


def _label_for(raw: str, line: int | None) -> str:
    first = (raw or "").strip().splitlines()[0] if (raw or "").strip() else "(empty)"
    first = first if len(first) <= 80 else first[:77] + "…"
    return f"line {line + 1}: {first}" if line is not None else first


def _split_bibtex_names(value: str) -> list[str]:
    """Split an author field on `and` outside braces."""
    names, depth, current = [], 0, []
    tokens = re.split(r"(\s+and\s+|(?<!\\)[{}])", value, flags=re.IGNORECASE)
    for token in tokens:
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        if depth == 0 and re.fullmatch(r"\s+and\s+", token, flags=re.IGNORECASE):
            names.append("".join(current))
            current = []
        else:
            current.append(token)
    names.append("".join(current))
    return [name.strip() for name in names if name.strip()]


def _display_name(bibtex_name: str) -> str:
    """`Power, Alethea` → `Alethea Power`; `Last, Jr, First` → `First Last Jr`."""
    if bibtex_name.lower() == "others":
        return "et al."
    parts = [latex_decode(part) for part in _split_top_level_commas(bibtex_name)]
    if len(parts) == 2:
        return f"{parts[1]} {parts[0]}".strip()
    if len(parts) >= 3:
        return f"{parts[2]} {parts[0]} {parts[1]}".strip()
    return parts[0]


def read_authors(value: str) -> str:
    """A BibTeX author field as our `Paper.authors`: `Power, Alethea and others` →
    `Alethea Power, et al.`."""
    return ", ".join(_display_name(name) for name in _split_bibtex_names(value))


def _split_top_level_commas(value: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in value:
        escaped = current.endswith("\\")
        depth += char == "{" and not escaped
        depth -= char == "}" and not escaped
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def _valid_url(value: str) -> str:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return ""
    return value


def _own_url(url: str, arxiv_id: str) -> str:
    """`url`, or "" when it is only the arXiv page of `arxiv_id` (which the id gives, and which
    `paper_entry` writes for a paper with no URL of its own)."""
    return "" if arxiv_id and parse_arxiv_id(url) == arxiv_id else url


# Fields written and read as they are (no LaTeX), by the name a reader knows them by.
VERBATIM_FIELDS = {"doi": "DOI", "url": "URL", "eprint": "arXiv id (eprint)"}


def _entry_candidate(entry: Entry) -> Candidate:
    label = _label_for(f"@{entry.entry_type}{{{entry.key},", entry.start_line)
    values = {key.lower(): value.strip() for key, value in entry.items() if isinstance(value, str)}
    title = latex_decode(values.get("title", ""))
    if not title:
        return Candidate(label=label, error="It has no title.")
    for name, shown in VERBATIM_FIELDS.items():
        problem = brace_problem(values.get(name, ""))
        if problem:
            return Candidate(
                label=label,
                error=f"Its {shown} “{values[name]}” {problem}: correct it and paste the entry "
                "again.",
            )
    authors = read_authors(values.get("author", ""))
    year_match = re.search(r"\d{4}", values.get("year", ""))
    venue = latex_decode(values.get("journal") or values.get("booktitle") or "")

    arxiv_id = ""
    eprint = values.get("eprint", "")
    if eprint and values.get("archiveprefix", "arxiv").lower() == "arxiv":
        arxiv_id = parse_arxiv_id(eprint) or ""
    if not arxiv_id:
        for key in ("url", "journal", "note", "howpublished"):
            found = ARXIV_IN_TEXT.search(values.get(key, ""))
            if found:
                arxiv_id = _canonical_arxiv_id(found["id"])
                break
    if re.fullmatch(r"arxiv(?: preprint)?(?: arxiv:\S+)?", venue, flags=re.IGNORECASE):
        venue = "arXiv preprint" if "preprint" in venue.lower() else "arXiv"

    fields = {
        "title": title,
        "authors": authors,
        "year": int(year_match.group()) if year_match else None,
        "venue": venue,
        "arxiv_id": arxiv_id,
        "doi": normalise_doi(values.get("doi", "")),
        "url": _own_url(_valid_url(values.get("url", "")), arxiv_id),
        "abstract": latex_decode(values.get("abstract", ""), keep_lines=True),
    }
    left_out = []
    if values.get("year") and not year_match:
        left_out.append(f"the year “{values['year']}” (no four-digit year)")
    if eprint and not parse_arxiv_id(eprint) and not arxiv_id:
        left_out.append(f"the eprint “{eprint}” (no arXiv id)")
    if values.get("url") and not fields["url"]:
        left_out.append(f"the URL “{values['url']}” (no http or https address)")
    return Candidate(label=label, fields=fields, left_out=left_out)


_WORDS = re.compile(r"[\s,;]+")
NOT_AN_ITEM = (
    "Not a BibTeX entry, an arXiv id (2201.02177, hep-th/9901001) or an arXiv abs/pdf URL."
)


def _arxiv_candidate(label: str, arxiv_id: str) -> Candidate:
    return Candidate(
        label=label,
        fields={"title": f"arXiv:{arxiv_id}", "arxiv_id": arxiv_id},
        from_arxiv_id_only=True,
    )


def _failed_candidates(block: ParsingFailedBlock) -> list[Candidate]:
    """A block bibtexparser could not read, and what it swallowed.

    An entry that never closes (a missing brace) is read on to the next line that starts an
    entry, or to the end: it takes in whatever was pasted after it. Its own lines are listed
    as not imported; arXiv ids on lines of their own among them are imported as if pasted
    alone (they are no part of a BibTeX entry)."""
    label = _label_for(block.raw, block.start_line)
    error = block.error
    if not isinstance(error, BlockAbortedException):
        return [Candidate(label=label, error=f"Not valid BibTeX: {error or type(error).__name__}")]
    start = (block.start_line or 0) + 1
    ids, last = [], 0
    for offset, line in enumerate(block.raw.split("\n")[1:], start=1):
        words = [word for word in _WORDS.split(line.strip()) if word]
        arxiv_ids = [parse_arxiv_id(word) for word in words]
        if words and all(arxiv_ids):
            ids += [
                _arxiv_candidate(f"line {start + offset}: {word}", arxiv_id)
                for word, arxiv_id in zip(words, arxiv_ids, strict=True)
            ]
        elif words and not line.lstrip().startswith("%"):
            last = offset
    lines = f"Lines {start}–{start + last} were" if last else f"Line {start} was"
    reason = error.abort_reason.strip().rstrip(".")
    entry = Candidate(
        label=label,
        error=f"Not valid BibTeX: {reason}. {lines} read as this entry and not imported.",
    )
    return [entry, *ids]


def _loose_candidates(comment: ImplicitComment) -> list[Candidate]:
    """Text outside BibTeX entries: each word should be an arXiv id or URL."""
    candidates = []
    start = comment.start_line or 0
    for offset, line in enumerate(comment.comment.splitlines()):
        text = line.strip()
        if not text or text.startswith("%"):
            continue
        for word in _WORDS.split(text):
            if not word:
                continue
            label = f"line {start + offset + 1}: {word}"
            arxiv_id = parse_arxiv_id(word)
            if arxiv_id:
                candidates.append(_arxiv_candidate(label, arxiv_id))
            else:
                candidates.append(Candidate(label=label, error=NOT_AN_ITEM))
    return candidates


# Blocks that are BibTeX but no paper: each is listed as not imported, with this reason.
NOT_A_PAPER = {
    String: "A @string definition: entries after it may use it, but it is no paper.",
    Preamble: "A @preamble: LaTeX for the bibliography, no paper.",
    ExplicitComment: "A @comment: nothing to import.",
}


def _as_parsed(entry: Entry, library) -> Entry:
    """An entry that reuses an earlier entry's key, its values out of their braces or quotes
    as the others' are (bibtexparser sets it aside without its parse stack; @string names in
    it stay unresolved)."""
    return RemoveEnclosingMiddleware().transform_block(entry, library)


def parse_paste(text: str) -> list[Candidate]:
    """Everything pasted, in order: BibTeX entries and arXiv ids (one or many, mixed). Each
    entry, id or word pasted gives a candidate, or an error saying why it is none: nothing
    pasted is passed over in silence but blank lines and % comments."""
    library = bibtexparser.parse_string(text)
    candidates = []
    for block in library.blocks:
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            candidates.append(_entry_candidate(_as_parsed(block.ignore_error_block, library)))
        elif isinstance(block, ParsingFailedBlock):
            candidates.extend(_failed_candidates(block))
        elif isinstance(block, Entry):
            candidates.append(_entry_candidate(block))
        elif isinstance(block, ImplicitComment):
            candidates.extend(_loose_candidates(block))
        else:
            label = _label_for(block.raw, block.start_line)
            reason = NOT_A_PAPER.get(type(block), "Not a paper.")
            candidates.append(Candidate(label=label, error=reason))
    return candidates
