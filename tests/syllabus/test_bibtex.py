"""The reading list as BibTeX, and papers brought in from BibTeX and arXiv ids."""

import re
from urllib.parse import unquote

import bibtexparser
import pybtex.database
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from pybtex.style.formatting.plain import Style as PlainStyle

from syllabus import bibtex
from syllabus.bibtex import (
    brace_problem,
    citation_keys,
    latex_decode,
    papers_to_bibtex,
    parse_arxiv_id,
    parse_paste,
    read_authors,
)
from syllabus.models import Paper, Reading
from syllabus.services import import_papers
from tests.factories import PaperFactory, ReadingFactory, TermFactory, WeekFactory, build_term
from tests.hostile import NASTY_STRINGS, hostile_settings

pytestmark = pytest.mark.django_db

FIELDS = ["title", "authors", "year", "venue", "arxiv_id", "doi", "url", "abstract"]

TRICKY_PAPERS = [
    {
        "title": "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
        "authors": "Alethea Power, Yuri Burda, Harri Edwards, Igor Babuschkin, Vedant Misra",
        "year": 2022,
        "arxiv_id": "2201.02177",
    },
    {
        "title": "Zoom In: An Introduction to Circuits",
        "authors": "Chris Olah, Nick Cammarata, et al.",
        "year": 2020,
        "venue": "Distill",
        "arxiv_id": "",
        "doi": "10.23915/distill.00024.001",
        "url": "https://distill.pub/2020/circuits/zoom-in/",
    },
    {
        "title": "50% of {braces}, $\\ell_1$ & #tags_with ~tilde^ in Schrödinger's café",
        "authors": "Clément Hongler, Jörg Müller, Research and Development Team",
        "year": None,
        "venue": "Journal of Odd & Rare Titles",
        "arxiv_id": "hep-th/9901001",
        "abstract": "An abstract with 100% of\nthe usual {things}.",
        "url": "https://example.org/a?b=1&c=%20d",
    },
    {"title": "Untitled draft", "authors": "", "year": 2021, "arxiv_id": "math.GT/0309136"},
]


def papers_of(queryset):
    return sorted(tuple(getattr(p, f) for f in FIELDS) for p in queryset)


def term_with(papers, **term_fields):
    term = TermFactory(**term_fields)
    week = WeekFactory(term=term, number=1)
    for order, fields in enumerate(papers):
        ReadingFactory(week=week, order=order, paper=PaperFactory(**fields))
    return term


def export(client, term):
    response = client.get(f"/terms/{term.slug}/readings.bib")
    assert response.status_code == 200
    return response


# --- Export ----------------------------------------------------------------------------------


def test_export_is_bibtex_that_parses_back_to_the_terms_papers(client):
    term = term_with(TRICKY_PAPERS)

    response = export(client, term)
    library = bibtexparser.parse_string(response.content.decode())

    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == f'inline; filename="{term.slug}-readings.bib"'
    assert library.failed_blocks == []
    assert [e.key for e in library.entries] == [
        "power2022grokking",
        "olah2020zoom",
        "honglernd50",
        "anon2021untitled",
    ]
    grokking = library.entries[0]
    assert grokking.entry_type == "misc"
    assert {f.key: f.value for f in grokking.fields} == {
        "title": "{Grokking}: {Generalization} {Beyond} {Overfitting} on {Small} {Algorithmic} "
        "{Datasets}",
        "author": "Alethea Power and Yuri Burda and Harri Edwards and Igor Babuschkin and "
        "Vedant Misra",
        "year": "2022",
        "eprint": "2201.02177",
        "eprinttype": "arxiv",
        "archivePrefix": "arXiv",
        "url": "https://arxiv.org/abs/2201.02177",
    }


def zotero_reads(fields):
    """What Zotero's BibTeX import (its BibTeX.js translator) takes from an entry's fields for a
    link and identifiers: `url` as the URL, `doi` as the DOI, and an arXiv id only from
    `eprint` together with `eprinttype = {arxiv}` (it ignores `archivePrefix`), into Extra."""
    fields = {key.lower(): value for key, value in fields.items()}
    read = {"URL": fields.get("url", ""), "DOI": fields.get("doi", ""), "Extra": ""}
    if fields.get("eprint") and fields.get("eprinttype", "").strip().lower() == "arxiv":
        read["Extra"] = f"arXiv: {fields['eprint'].strip()}"
    return read


def test_export_gives_zotero_a_link_and_the_ids_of_every_paper(client):
    term = term_with(TRICKY_PAPERS)

    library = bibtexparser.parse_string(export(client, term).content.decode())

    assert [zotero_reads({f.key: f.value for f in e.fields}) for e in library.entries] == [
        {"URL": "https://arxiv.org/abs/2201.02177", "DOI": "", "Extra": "arXiv: 2201.02177"},
        {
            "URL": "https://distill.pub/2020/circuits/zoom-in/",
            "DOI": "10.23915/distill.00024.001",
            "Extra": "",
        },
        {"URL": "https://example.org/a?b=1&c=%20d", "DOI": "", "Extra": "arXiv: hep-th/9901001"},
        {
            "URL": "https://arxiv.org/abs/math.GT/0309136",
            "DOI": "",
            "Extra": "arXiv: math.GT/0309136",
        },
    ]


def test_export_names_the_arxiv_archive_and_the_primary_class_an_old_id_gives(client):
    term = term_with(TRICKY_PAPERS)

    library = bibtexparser.parse_string(export(client, term).content.decode())

    assert [
        (e.get("archivePrefix").value, e.get("primaryClass").value if e.get("primaryClass") else "")
        for e in library.entries
        if e.get("eprint")
    ] == [("arXiv", ""), ("arXiv", "hep-th"), ("arXiv", "math.GT")]


def test_pybtex_reads_every_entry_and_its_styles_keep_capitalised_title_words(client):
    term = term_with(TRICKY_PAPERS)
    text = export(client, term).content.decode()

    data = pybtex.database.parse_string(text, "bibtex")
    formatted = {
        entry.key: entry.text.render_as("text")
        for entry in PlainStyle().format_entries(data.entries.values())
    }

    assert list(data.entries) == [
        "power2022grokking",
        "olah2020zoom",
        "honglernd50",
        "anon2021untitled",
    ]
    assert data.entries["honglernd50"].fields["eprint"] == "hep-th/9901001"
    assert formatted["power2022grokking"] == (
        "Alethea Power, Yuri Burda, Harri Edwards, Igor Babuschkin, and Vedant Misra. "
        "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets. 2022. "
        "URL: https://arxiv.org/abs/2201.02177, arXiv:2201.02177."
    )
    assert formatted["olah2020zoom"].startswith(
        "Chris Olah, Nick Cammarata, and others. Zoom In: An Introduction to Circuits. "
        "Distill, 2020."
    )
    assert "Schrödinger's café" in formatted["honglernd50"]


def test_import_takes_the_arxiv_page_of_the_paper_itself_as_no_url():
    result = import_papers(
        text="@misc{a, title={A}, eprint={2201.02177}, eprinttype={arxiv}, "
        "url={https://arxiv.org/abs/2201.02177v2}}\n"
        "@misc{b, title={B}, eprint={2201.02178}, url={https://arxiv.org/abs/2201.02179}}"
    )

    assert result.counts == {"created": 2, "updated": 0, "skipped": 0, "errors": 0}
    assert sorted(Paper.objects.values_list("title", "arxiv_id", "url")) == [
        ("A", "2201.02177", ""),
        ("B", "2201.02178", "https://arxiv.org/abs/2201.02179"),
    ]


def test_export_then_import_gives_the_same_papers(client):
    term = term_with(TRICKY_PAPERS)
    before = papers_of(Paper.objects.all())
    bibtex = export(client, term).content.decode()
    Reading.objects.all().delete()
    Paper.objects.all().delete()

    result = import_papers(text=bibtex)

    assert result.counts == {"created": 4, "updated": 0, "skipped": 0, "errors": 0}
    assert papers_of(Paper.objects.all()) == before


def test_importing_the_export_again_duplicates_nothing(client):
    term = term_with(TRICKY_PAPERS)

    result = import_papers(text=export(client, term).content.decode())

    assert result.counts == {"created": 0, "updated": 0, "skipped": 4, "errors": 0}
    assert Paper.objects.count() == 4


def test_keys_are_unique_with_suffixes_and_stable_across_requests(client):
    same = {"authors": "Ada Lovelace", "year": 1843, "title": "Notes on the Engine"}
    term = term_with([same, {**same, "arxiv_id": "1843.00002"}, {**same, "arxiv_id": "1843.00003"}])

    first, second = export(client, term).content, export(client, term).content
    keys = [e.key for e in bibtexparser.parse_string(first.decode()).entries]

    assert first == second
    assert keys == ["lovelace1843notes", "lovelace1843notesb", "lovelace1843notesc"]


def test_keys_stay_when_the_reading_order_changes():
    papers = [PaperFactory(authors="A Same", year=2020, title="Same title") for _ in range(3)]

    assert citation_keys(papers) == citation_keys(list(reversed(papers)))


def test_keys_are_unique_on_a_large_term(client):
    term = build_term(weeks=40, readings_per_week=6, sections=0, slug="large")
    Paper.objects.update(title="Same title", authors="Same Author", year=2022)

    library = bibtexparser.parse_string(export(client, term).content.decode())

    keys = [e.key for e in library.entries]
    assert len(keys) == len(set(keys)) == 240


def test_a_paper_read_in_two_weeks_is_exported_once(client):
    term = TermFactory()
    paper = PaperFactory()
    for number in (1, 2):
        ReadingFactory(week=WeekFactory(term=term, number=number), paper=paper)

    library = bibtexparser.parse_string(export(client, term).content.decode())

    assert len(library.entries) == 1


def test_reading_list_links_to_its_bibtex(client):
    term = term_with(TRICKY_PAPERS[:1])

    page = client.get(f"/terms/{term.slug}/readings/").content.decode()

    assert f'href="/terms/{term.slug}/readings.bib"' in page


def test_unpublished_term_bibtex_is_a_404(client):
    term = term_with(TRICKY_PAPERS[:1], is_published=False)

    assert client.get(f"/terms/{term.slug}/readings.bib").status_code == 404


# --- Export of any stored text ------------------------------------------------------------------

INJECTED_ENTRY = "10.1/x}} @misc{evil2022, title={Evil}}"
VERBATIM = {"doi": "doi", "url": "url", "arxiv_id": "eprint"}


def read_back(bibtex):
    """Each entry of `bibtex` as bibtexparser reads it: text fields decoded from LaTeX, the
    DOI, URL and arXiv id as they are."""
    library = bibtexparser.parse_string(bibtex)
    assert library.failed_blocks == []
    assert [type(block).__name__ for block in library.blocks] == ["Entry"] * len(library.entries)
    papers = []
    for entry in library.entries:
        fields = {field.key: field.value for field in entry.fields}
        papers.append(
            {
                "title": latex_decode(fields["title"]),
                "authors": read_authors(fields.get("author", "")),
                "year": int(fields["year"]) if "year" in fields else None,
                "venue": latex_decode(fields.get("journal", "")),
                "abstract": latex_decode(fields.get("abstract", ""), keep_lines=True),
                **{name: fields.get(key, "") for name, key in VERBATIM.items()},
            }
        )
    return papers


def stored(paper):
    return {name: getattr(paper, name) for name in FIELDS if name != "url"} | {"url": paper.url}


def test_a_doi_that_closes_its_entry_adds_no_entry_to_readings_bib(client):
    term = term_with([{"title": "Evil", "doi": INJECTED_ENTRY}, {"title": "Fine"}])

    [evil, fine] = read_back(export(client, term).content.decode())

    assert evil["doi"] == "10.1/x%7D%7D @misc%7Bevil2022, title=%7BEvil%7D%7D"
    assert unquote(evil["doi"]) == INJECTED_ENTRY
    assert fine["title"] == "Fine"


@pytest.mark.parametrize(
    "value",
    [
        "10.1/{x} @misc{evil2022, title={Evil}}",  # braces that pair up are kept as they are
        INJECTED_ENTRY,
        "10.1/x\\",
        "10.1/\\}x",
        "10.1/{x\\}",
        "10.1/x}\n@misc{evil2022, title={Evil}}",
        "https://example.org/a?b=1&c=%20d#{frag}",
        *NASTY_STRINGS,
    ],
)
def test_ids_and_urls_are_written_as_they_are_or_percent_encoded(value):
    papers = [
        Paper(pk=pk, title=f"Paper {pk}", authors="A B", **{name: value})
        for pk, name in enumerate(VERBATIM, start=1)
    ]

    read = read_back(papers_to_bibtex(papers))

    assert len(read) == 3
    for name, fields in zip(VERBATIM, read, strict=True):
        if brace_problem(value):
            assert (unquote(fields[name]), brace_problem(fields[name])) == (value, "")
        else:
            assert fields[name] == value


one_line_text = st.text(
    st.one_of(
        st.sampled_from(list("{}\\%&$#_~^@`'-\",= .")),
        st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]),
    ),
    max_size=30,
)
multi_line_text = st.text(
    st.one_of(st.sampled_from(list("\n\r\t{}\\@`'-")), st.characters(codec="utf-8")), max_size=40
).map(lambda text: "".join(c for c in text if c in "\n\r\t" or ord(c) >= 32))


@pytest.mark.slow
@hostile_settings(max_examples=300)
@given(
    title=one_line_text.filter(str.split),
    authors=one_line_text.filter(lambda text: text.replace(",", " ").split()),
    venue=one_line_text,
    abstract=multi_line_text,
    year=st.one_of(st.none(), st.integers(min_value=0, max_value=32767)),
)
def test_every_text_a_paper_may_hold_reads_back_exactly(title, authors, venue, abstract, year):
    paper = Paper(pk=1, title=title, authors=authors, venue=venue, abstract=abstract, year=year)
    paper.full_clean(validate_unique=False, validate_constraints=False)

    [fields] = read_back(papers_to_bibtex([paper]))

    assert fields == stored(paper)


@pytest.mark.parametrize(
    ("title", "authors"),
    [
        ("a--b, a---b, ``q'' and ?` !`", "others, et al."),
        ("x^y ˆ \\textasciicircum{} 100% #1 $x$ a_b ~", "x and, and y, Research and Development"),
        ("@misc{evil2022, title={x}}", "{, }, \\, Ada {Lovelace}"),
        ("Grokking  beyond\u00a0 overfitting ", "  Alethea   Power ,, Yuri Burda, "),
    ],
)
def test_tricky_titles_and_names_read_back_exactly(title, authors):
    paper = Paper(pk=1, title=title, authors=authors, abstract=" One\r\n\r\n  two  \n")
    paper.full_clean(validate_unique=False, validate_constraints=False)

    [fields] = read_back(papers_to_bibtex([paper]))

    assert fields == stored(paper)


def test_paper_ids_and_urls_whose_braces_do_not_pair_up_are_refused():
    paper = PaperFactory.build(
        doi=INJECTED_ENTRY, arxiv_id="2201.02177}", url="https://example.org/\\{x}"
    )

    with pytest.raises(ValidationError) as raised:
        paper.full_clean(validate_unique=False)

    assert raised.value.message_dict == {
        "doi": [
            "This has braces { } that do not pair up, which BibTeX cannot hold: check it "
            "against the paper."
        ],
        "arxiv_id": [
            "This has braces { } that do not pair up, which BibTeX cannot hold: check it "
            "against the paper."
        ],
        "url": [
            "This has a backslash before a brace or at its end, which BibTeX cannot hold: "
            "check it against the paper."
        ],
    }


def test_import_refuses_an_entry_whose_doi_braces_do_not_pair_up_and_names_it():
    text = """@misc{good, title={Good}, doi={10.1/{x}}}
@misc{evil, title={Evil}, doi="10.1/x}"}
@misc{escaped, title={Escaped}, url={https://example.org/\\}}}
"""

    result = import_papers(text=text)

    assert result.errors == [
        (
            "line 2: @misc{evil,",
            "Its DOI “10.1/x}” has braces { } that do not pair up: correct it and paste the "
            "entry again.",
        ),
        (
            "line 3: @misc{escaped,",
            "Its URL “https://example.org/\\}” has a backslash before a brace or at its end: "
            "correct it and paste the entry again.",
        ),
    ]
    assert list(Paper.objects.values_list("title", "doi")) == [("Good", "10.1/{x}")]


# --- arXiv ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2201.02177", "2201.02177"),
        ("2201.02177v2", "2201.02177"),
        ("arXiv:2201.02177", "2201.02177"),
        ("1501.0001", "1501.0001"),
        ("https://arxiv.org/abs/2201.02177", "2201.02177"),
        ("https://arxiv.org/abs/2201.02177v3", "2201.02177"),
        ("http://arxiv.org/pdf/2201.02177", "2201.02177"),
        ("https://arxiv.org/pdf/2201.02177v1.pdf", "2201.02177"),
        ("https://export.arxiv.org/abs/2201.02177", "2201.02177"),
        ("arxiv.org/abs/2201.02177", "2201.02177"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("math.gt/0309136", "math.GT/0309136"),
        ("https://arxiv.org/abs/math.GT/0309136v1", "math.GT/0309136"),
        ("https://arxiv.org/pdf/cond-mat/0102536.pdf", "cond-mat/0102536"),
        ("2201.021", None),
        ("220102177", None),
        ("https://example.org/abs/2201.02177", None),
        ("hep-th/990100", None),
        ("grokking", None),
    ],
)
def test_arxiv_ids_and_urls_are_recognised(text, expected):
    assert parse_arxiv_id(text) == expected


def test_arxiv_ids_create_placeholder_papers_and_match_existing_ones():
    PaperFactory(title="Grokking", arxiv_id="2201.02177")

    result = import_papers(
        text="https://arxiv.org/abs/2201.02177v2\nhep-th/9901001, math.GT/0309136v1\n"
    )

    assert result.counts == {"created": 2, "updated": 0, "skipped": 1, "errors": 0}
    assert result.arxiv_only == 2
    assert sorted(Paper.objects.values_list("arxiv_id", "title")) == [
        ("2201.02177", "Grokking"),
        ("hep-th/9901001", "arXiv:hep-th/9901001"),
        ("math.GT/0309136", "arXiv:math.GT/0309136"),
    ]


def test_bibtex_fills_in_a_paper_first_imported_from_its_arxiv_id():
    import_papers(text="2201.02177")

    result = import_papers(
        text="@article{p, title={Grokking}, author={Power, Alethea and Burda, Yuri}, "
        "year={2022}, eprint={2201.02177}, archivePrefix={arXiv}}"
    )

    assert result.counts == {"created": 0, "updated": 1, "skipped": 0, "errors": 0}
    assert result.updated[0][2] == "Matched by arXiv id 2201.02177; added title, authors, year."
    paper = Paper.objects.get()
    assert (paper.title, paper.authors, paper.year) == (
        "Grokking",
        "Alethea Power, Yuri Burda",
        2022,
    )


# --- BibTeX import: matching and errors ---------------------------------------------------------


def test_duplicates_are_matched_by_arxiv_id_doi_and_title():
    by_arxiv = PaperFactory(title="Grokking", arxiv_id="2201.02177", venue="")
    by_doi = PaperFactory(title="Zoom In", arxiv_id="", doi="10.23915/Distill.00024.001")
    by_title = PaperFactory(
        title="Deep Double Descent: Where Bigger Models and More Data Hurt", arxiv_id="", year=None
    )
    text = """
    @article{a, title = {Another title for the same paper}, eprint = {2201.02177v2},
             journal = {ICLR}}
    @article{b, title = {Zoom in, differently titled}, doi = {https://doi.org/10.23915/DISTILL.00024.001}}
    @inproceedings{c, title = {Deep {D}ouble {D}escent --- where bigger models and more data hurt},
                   year = {2020}}
    """

    result = import_papers(text=text)

    assert result.counts == {"created": 0, "updated": 2, "skipped": 1, "errors": 0}
    assert [(label, paper, reason) for label, paper, reason in result.updated] == [
        ("line 2: @article{a,", by_arxiv, "Matched by arXiv id 2201.02177; added venue."),
        ("line 5: @inproceedings{c,", by_title, "Matched by title; added year."),
    ]
    assert result.skipped == [
        ("line 4: @article{b,", by_doi, "Already there (same DOI 10.23915/DISTILL.00024.001).")
    ]
    assert Paper.objects.count() == 3
    by_arxiv.refresh_from_db()
    assert (by_arxiv.title, by_arxiv.venue) == ("Grokking", "ICLR")


def test_malformed_entries_are_reported_and_the_rest_imported():
    text = """@article{good1, title={First good paper}, author={Doe, Jane}, year={2020}}
@article{broken, title = {never closed,
@misc{good2, title={Second good paper}, url={https://example.org/}}
@misc{untitled, author={Nobody}}
not an id
@article{longyear, title={Third good paper}, year={forthcoming}, doi={10.1/x}}
@misc{badurl, title={Fourth good paper}, url={javascript:alert(1)}}
"""

    result = import_papers(text=text)

    assert result.errors == [
        (
            "line 2: @article{broken, title = {never closed,",
            "Not valid BibTeX: Unexpected block start: `@misc`. Was still looking for "
            "field-value closing `}`. Line 2 was read as this entry and not imported.",
        ),
        ("line 4: @misc{untitled,", "It has no title."),
        (
            "line 5: not",
            "Not a BibTeX entry, an arXiv id (2201.02177, hep-th/9901001) or an arXiv abs/pdf URL.",
        ),
        (
            "line 5: an",
            "Not a BibTeX entry, an arXiv id (2201.02177, hep-th/9901001) or an arXiv abs/pdf URL.",
        ),
        (
            "line 5: id",
            "Not a BibTeX entry, an arXiv id (2201.02177, hep-th/9901001) or an arXiv abs/pdf URL.",
        ),
    ]
    assert [(label, reason) for label, _, reason in result.created] == [
        ("line 1: @article{good1,", ""),
        ("line 3: @misc{good2,", ""),
        ("line 6: @article{longyear,", "Left out the year “forthcoming” (no four-digit year)."),
        (
            "line 7: @misc{badurl,",
            "Left out the URL “javascript:alert(1)” (no http or https address).",
        ),
    ]
    assert sorted(Paper.objects.values_list("title", "authors", "year", "doi", "url")) == [
        ("First good paper", "Jane Doe", 2020, "", ""),
        ("Fourth good paper", "", None, "", ""),
        ("Second good paper", "", None, "", "https://example.org/"),
        ("Third good paper", "", None, "10.1/x", ""),
    ]


def test_a_broken_entry_swallows_nothing_pasted_after_it():
    text = """@article{good, title={Good paper}, author={Doe, Jane}}
@article{broken, title = {never closed,
  author = {Roe, Richard},
}

2201.02177 hep-th/9901001
% a comment line
https://arxiv.org/abs/2201.02178v2
@comment{not a paper}
"""

    result = import_papers(text=text)

    assert [(label, reason) for label, _, reason in result.created] == [
        ("line 1: @article{good,", ""),
        ("line 6: 2201.02177", ""),
        ("line 6: hep-th/9901001", ""),
        ("line 8: https://arxiv.org/abs/2201.02178v2", ""),
    ]
    assert result.errors == [
        (
            "line 2: @article{broken, title = {never closed,",
            "Not valid BibTeX: Unexpected block start: `@comment`. Was still looking for "
            "field-value closing `,` or `}`. Lines 2–4 were read as this entry and not "
            "imported.",
        ),
        ("line 9: @comment{not a paper}", "A @comment: nothing to import."),
    ]
    assert sorted(Paper.objects.values_list("title", flat=True)) == [
        "Good paper",
        "arXiv:2201.02177",
        "arXiv:2201.02178",
        "arXiv:hep-th/9901001",
    ]


def test_a_broken_entry_at_the_end_reads_to_the_end_and_says_so():
    result = import_papers(text="2201.02177\n@misc{x, title={Open\n\n2201.02178\n")

    assert [label for label, _, _ in result.created] == [
        "line 1: 2201.02177",
        "line 4: 2201.02178",
    ]
    assert result.errors == [
        (
            "line 2: @misc{x, title={Open",
            "Not valid BibTeX: Unexpectedly reached end of file. Line 2 was read as this entry "
            "and not imported.",
        )
    ]


def test_what_an_update_leaves_out_is_said():
    PaperFactory(title="Grokking", arxiv_id="2201.02177", venue="")

    result = import_papers(
        text="@misc{g, title={Grokking}, eprint={2201.02177}, journal={ICLR}, url={ftp:x}}\n"
        "@misc{h, title={Other}, eprint={not-an-id}, archivePrefix={arXiv}}"
    )

    assert [(label, reason) for label, _, reason in result.updated + result.created] == [
        (
            "line 1: @misc{g,",
            "Matched by arXiv id 2201.02177; added venue. Left out the URL “ftp:x” (no http or "
            "https address).",
        ),
        ("line 2: @misc{h,", "Left out the eprint “not-an-id” (no arXiv id)."),
    ]


def test_an_entry_the_database_refuses_is_reported_and_the_rest_kept():
    long_title = "x" * 501
    text = f"@misc{{a, title={{{long_title}}}}}\n@misc{{b, title={{Fine}}}}"

    result = import_papers(text=text)

    assert result.errors == [
        ("line 1: @misc{a,", "Ensure this value has at most 500 characters (it has 501).")
    ]
    assert list(Paper.objects.values_list("title", flat=True)) == ["Fine"]


def test_the_same_paper_twice_in_one_paste_is_created_once():
    entry = "@misc{k, title={Same}, doi={10.5/ABC}}"

    result = import_papers(text=f"{entry}\n{entry.replace('10.5/ABC', '10.5/abc')}")

    assert result.counts == {"created": 1, "updated": 0, "skipped": 1, "errors": 0}


def test_an_entry_that_reuses_a_key_is_read_as_the_others_are():
    # bibtexparser sets such an entry aside unread: values still in their braces and quotes.
    text = (
        "@misc{k, title={One}, doi={10.5/ONE}}\n"
        '@misc{k, title="Two", doi={10.5/TWO}, eprint={2201.02177}, archiveprefix={arXiv},\n'
        "       url={https://example.org/two}, year={2021}}"
    )

    candidates = parse_paste(text)

    assert [(c.fields["title"], c.fields["doi"]) for c in candidates] == [
        ("One", "10.5/ONE"),
        ("Two", "10.5/TWO"),
    ]
    assert candidates[1].fields == {
        "title": "Two",
        "authors": "",
        "year": 2021,
        "venue": "",
        "arxiv_id": "2201.02177",
        "doi": "10.5/TWO",
        "url": "https://example.org/two",
        "abstract": "",
    }
    assert candidates[1].left_out == []


def test_latex_in_titles_and_names_is_decoded():
    [candidate] = parse_paste(
        r"""@article{k, title = {{S}chr{\"o}dinger's {C}at: 95\% \& more},
        author = {M{\"u}ller, J{\"o}rg and {Google Brain and Friends} and
                  de la Cruz, Ana and others},
        journal = {arXiv preprint arXiv:2201.02177}}"""
    )

    assert candidate.fields == {
        "title": "Schrödinger's Cat: 95% & more",
        "authors": "Jörg Müller, Google Brain and Friends, Ana de la Cruz, et al.",
        "year": None,
        "venue": "arXiv preprint",
        "arxiv_id": "2201.02177",
        "doi": "",
        "url": "",
        "abstract": "",
    }


def word_by_word_title(title):
    """`bibtex_title` as its docstring defines it, a word and a character at a time."""

    def escape(text):
        escaped = "".join(bibtex._LATEX_SPECIALS.get(char, char) for char in text)
        return re.sub(r"([-'])(?=\1)", r"\1{}", escaped)

    words = []
    for word in re.split(r"(\s+)", title):
        match = re.fullmatch(r"(.*?)([^\W_](?:.*[^\W_])?)(.*)", word)
        if match and any(char != char.lower() for char in match[2]):
            before, core, after = match.groups()
            words.append(f"{escape(before)}{{{escape(core)}}}{escape(after)}")
        else:
            words.append(escape(word))
    return "".join(words)


@given(st.text() | st.text(alphabet="aZ- '`\\{}%^@\t\u00a0éİΣς1.\u0301"))
def test_bibtex_title_escapes_as_word_by_word_whatever_the_text(title):
    assert bibtex.bibtex_title(title) == word_by_word_title(title)
