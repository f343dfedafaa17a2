import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.forms import modelform_factory

from sections.models import Meeting, Section
from syllabus.models import Paper, Reading, Term, Week, lay_out_weeks
from tests.factories import PaperFactory, ReadingFactory, SectionFactory, TermFactory, WeekFactory
from tests.hostile import LINE_BREAKS

pytestmark = pytest.mark.django_db

WeekForm = modelform_factory(Week, fields=["term", "number", "title", "tagline"])
PaperForm = modelform_factory(Paper, fields=["title", "authors", "arxiv_id", "doi"])


def test_week_duplicate_number_refused_by_database():
    week = WeekFactory(number=3)

    with pytest.raises(IntegrityError):
        Week.objects.create(term=week.term, number=3, title="Again")


def test_week_duplicate_number_refused_by_form_with_clear_message():
    week = WeekFactory(number=3, term__name="Fall 2022")

    form = WeekForm(data={"term": week.term.pk, "number": 3, "title": "Again", "tagline": ""})

    assert form.errors == {"__all__": ["Fall 2022 already has a week 3."]}
    assert Week.objects.count() == 1


def test_renumbering_weeks_rotates_numbers_and_moves_leaving_ones_aside():
    term = TermFactory()
    weeks = {n: WeekFactory(term=term, number=n, title=f"Was {n}") for n in (1, 2, 3, 4)}
    other = WeekFactory(number=2, title="Other term")

    Week.objects.filter(term=term).renumber(
        {weeks[1].pk: 2, weeks[2].pk: 3, weeks[3].pk: 1}, leaving=[weeks[4].pk]
    )

    numbers = dict(term.weeks.values_list("title", "number"))
    assert [numbers.pop(f"Was {n}") for n in (3, 1, 2)] == [1, 2, 3]
    assert numbers["Was 4"] > 4  # out of the way of every number in use
    other.refresh_from_db()
    assert other.number == 2


def test_week_same_number_in_another_term_is_fine():
    week = WeekFactory(number=1)
    other = TermFactory()

    form = WeekForm(data={"term": other.pk, "number": 1, "title": "Week one", "tagline": ""})

    assert form.is_valid(), form.errors
    form.save()
    assert sorted(Week.objects.values_list("term_id", flat=True)) == [week.term_id, other.pk]


def test_week_number_zero_refused():
    term = TermFactory()

    form = WeekForm(data={"term": term.pk, "number": 0, "title": "Zero", "tagline": ""})

    assert form.errors == {"number": ["Ensure this value is greater than or equal to 1."]}


def test_week_dates_follow_first_monday_unless_overridden():
    term = TermFactory(first_monday=datetime.date(2022, 9, 12))
    week = WeekFactory(term=term, number=3)
    moved = WeekFactory(term=term, number=4, starts_on_override=datetime.date(2022, 10, 10))

    assert (week.starts_on, week.ends_on) == (
        datetime.date(2022, 9, 26),
        datetime.date(2022, 10, 2),
    )
    assert moved.starts_on == datetime.date(2022, 10, 10)


def test_term_first_monday_must_be_a_monday():
    term = TermFactory.build(first_monday=datetime.date(2022, 9, 13), slug="tuesday-term")

    with pytest.raises(ValidationError) as caught:
        term.full_clean()

    assert caught.value.message_dict == {
        "first_monday": ["Pick a Monday: week dates count from it."]
    }


@pytest.mark.parametrize("first_monday", [datetime.date(9999, 12, 27), datetime.date(1, 1, 1)])
def test_term_first_monday_outside_the_sites_dates_refused(first_monday):
    """Found by the hostile-input properties: a term starting on Monday Dec 27, 9999 saved, and
    its schedule page failed computing week dates past Python's year 9999."""
    term = TermFactory.build(first_monday=first_monday, slug="far")

    with pytest.raises(ValidationError) as caught:
        term.full_clean()

    assert caught.value.message_dict == {"first_monday": ["Pick a date between 1900 and 2199."]}


def test_week_number_over_the_maximum_refused():
    """Found by the hostile-input properties: SQLite stored week 9999999999, whose dates
    overflowed on every page of its term."""
    week = WeekFactory.build(term=TermFactory(), number=100)

    with pytest.raises(ValidationError) as caught:
        week.full_clean()

    assert caught.value.message_dict == {"number": ["A term has at most 99 weeks."]}


def test_week_start_override_outside_the_sites_dates_refused():
    week = WeekFactory.build(
        term=TermFactory(), number=1, starts_on_override=datetime.date(9999, 12, 31)
    )

    with pytest.raises(ValidationError) as caught:
        week.full_clean()

    assert caught.value.message_dict == {
        "starts_on_override": ["Pick a date between 1900 and 2199."]
    }


def test_term_unknown_time_zone_refused():
    term = TermFactory.build(time_zone="Mars/Olympus_Mons", slug="mars")

    with pytest.raises(ValidationError) as caught:
        term.full_clean()

    assert list(caught.value.message_dict) == ["time_zone"]


def test_paper_duplicate_arxiv_id_refused_by_database_and_form():
    PaperFactory(arxiv_id="2201.02177")

    with pytest.raises(IntegrityError):
        Paper.objects.create(title="Copy", authors="A", arxiv_id="2201.02177")


def test_paper_duplicate_doi_refused_case_insensitively_by_form():
    PaperFactory(doi="10.23915/distill.00024.001", arxiv_id="")

    form = PaperForm(
        data={"title": "Copy", "authors": "A", "arxiv_id": "", "doi": "10.23915/DISTILL.00024.001"}
    )

    assert form.errors == {"__all__": ["A paper with this DOI already exists."]}


def test_papers_without_ids_do_not_collide():
    PaperFactory(arxiv_id="", doi="")
    PaperFactory(arxiv_id="", doi="")

    assert Paper.objects.filter(arxiv_id="", doi="").count() == 2


def test_current_term_is_the_one_covering_today_else_the_latest():
    old = TermFactory(slug="old", first_monday=datetime.date(2022, 9, 12))
    WeekFactory(term=old, number=1)
    now = TermFactory(slug="now", first_monday=datetime.date(2023, 2, 6))
    WeekFactory(term=now, number=1)
    WeekFactory(term=now, number=2)
    TermFactory(slug="draft", first_monday=datetime.date(2023, 2, 6), is_published=False)

    assert Term.objects.current(today=datetime.date(2023, 2, 19)) == now
    assert Term.objects.current(today=datetime.date(2022, 9, 14)) == old
    assert Term.objects.current(today=datetime.date(2024, 1, 1)) == now


def test_current_term_looks_only_at_the_newest_terms_in_one_query(django_assert_num_queries):
    for year in range(1990, 2022):  # a long archive of past fall terms
        term = TermFactory(slug=f"fall-{year}", first_monday=monday_after(year, 9, 1))
        WeekFactory(term=term, number=1)
    now = TermFactory(slug="now", first_monday=datetime.date(2023, 2, 6))
    WeekFactory(term=now, number=1)

    with django_assert_num_queries(1):
        current = Term.objects.current(today=datetime.date(2023, 2, 8))

    assert current == now
    assert Term.objects.current(today=datetime.date(2030, 1, 1)) == now


def test_current_term_after_an_ended_one_loads_only_what_a_link_to_it_shows(
    django_assert_num_queries,
):
    ended = TermFactory(slug="fall-2022", first_monday=datetime.date(2022, 9, 12))
    WeekFactory(term=ended, number=1)
    upcoming = TermFactory(
        name="Spring 2099", slug="spring-2099", first_monday=datetime.date(2099, 2, 2)
    )
    WeekFactory(term=upcoming, number=1)
    WeekFactory(term=upcoming, number=2)
    ended = Term.objects.with_week_count().get(pk=ended.pk)

    with django_assert_num_queries(1):
        current = Term.objects.current_after(ended)
        shown = (
            current.name,
            current.get_absolute_url(),
            current.has_not_started,
            current.starts_on,
            current.ends_on,
        )

    assert shown == (
        "Spring 2099",
        "/terms/spring-2099/",
        True,
        datetime.date(2099, 2, 2),
        datetime.date(2099, 2, 15),
    )
    # Not the texts a link never shows (the intro, the format note…): they made the query a
    # fifth slower (#16).
    assert {f.attname for f in Term._meta.concrete_fields} - current.get_deferred_fields() == {
        "id",
        "name",
        "slug",
        "first_monday",
        "time_zone",
    }


def monday_after(year, month, day):
    first = datetime.date(year, month, day)
    return first + datetime.timedelta(days=(7 - first.weekday()) % 7)


def test_current_term_is_none_without_published_terms():
    TermFactory(is_published=False)

    assert Term.objects.current() is None


ONE_LINE_ERROR = (
    "Write this on one line: line breaks, tabs and other control characters are not allowed here."
)
ONE_LINE_FIELDS = [
    (Term, ["name", "title", "institution", "supporters"]),
    (Week, ["title", "tagline"]),
    (Paper, ["title", "venue"]),
    (Reading, ["note"]),
    (Section, ["name", "room"]),
    (Meeting, ["room_override", "public_note"]),
]


def one_of_each():
    section = SectionFactory(term=TermFactory())
    week = WeekFactory(term=section.term, number=1)
    return {
        Term: section.term,
        Week: week,
        Paper: PaperFactory(),
        Reading: ReadingFactory(week=week),
        Section: section,
        Meeting: Meeting.objects.get(section=section, week=week),
    }


FINE_TEXT = "Fall 2022 · 2-151 <b>&amp;</b> “quoted” é\u0301 \u202eRTL 👩‍👩‍👧 \u200b"


def full_clean_errors(objects, text):
    errors = {}
    for model, names in ONE_LINE_FIELDS:
        instance = objects[model]
        for name in names:
            setattr(instance, name, text)
        try:
            instance.full_clean()
        except ValidationError as error:
            errors[model.__name__] = error.message_dict
    return errors


@pytest.mark.parametrize("text", LINE_BREAKS)
def test_one_line_texts_with_line_breaks_or_control_characters_are_refused(text):
    objects = one_of_each()

    fine, refused = full_clean_errors(objects, FINE_TEXT), full_clean_errors(objects, text)

    assert fine == {}  # any other character is fine
    assert refused == {
        model.__name__: {name: [ONE_LINE_ERROR] for name in names}
        for model, names in ONE_LINE_FIELDS
    }


# --- The same paper: one rule for the paste import and the term import -------------------------


def pasted_and_matched(incoming):
    """Paste `incoming` as BibTeX (syllabus.services.import_papers): did it match the one
    paper stored?"""
    import bibtexparser

    from syllabus.bibtex import paper_entry
    from syllabus.services import import_papers

    text = bibtexparser.write_string(bibtexparser.Library([paper_entry(incoming, "incoming")]))
    result = import_papers(text=text)
    assert not result.errors
    return Paper.objects.count() == 1 and not result.created


def term_imported_and_matched(stored_fields, incoming):
    """Export a term reading `incoming`, empty the database but for a paper of `stored_fields`,
    import the term (readinggroup.term_archive): does its reading read the stored paper?"""
    import json

    from readinggroup.term_archive import export_term, import_term
    from tests.factories import build_term, delete_terms

    term = build_term(weeks=1, readings_per_week=0, sections=0, slug="read")
    incoming.save()
    ReadingFactory(week=term.weeks.get(), paper=incoming)
    data = json.loads(json.dumps(export_term(term)))
    delete_terms()
    Paper.objects.all().delete()
    stored = PaperFactory(**stored_fields)

    import_term(data)

    return Reading.objects.get().paper_id == stored.pk


# (stored paper, incoming paper, the same paper?): each case one of the two imports used to
# decide the other way (the paste matched any equal title; the term import wanted the exact
# title, authors and year of a paper without ids, and compared arXiv ids case-sensitively).
NO_IDS = {"arxiv_id": "", "doi": ""}
SAME_PAPER = {
    "an arXiv id in other capitals": (
        {"title": "Knots", "authors": "A. Knotter", "arxiv_id": "math.gt/0309136"},
        {"title": "Knot theory", "authors": "A. Knotter", "arxiv_id": "math.GT/0309136"},
        True,
    ),
    "the title in other capitals, accents and punctuation": (
        {"title": "Über grokking: a study", "authors": "Alethea Power", **NO_IDS},
        {"title": "UBER GROKKING - A STUDY", "authors": "Alethea Power", **NO_IDS},
        True,
    ),
    "the authors written otherwise, another year": (
        {"title": "Grokking", "authors": "Alethea Power, Yuri Burda", "year": 2022, **NO_IDS},
        {"title": "Grokking", "authors": "A. Power, Y. Burda", "year": 2023, **NO_IDS},
        True,
    ),
    "an arXiv id the stored paper lacks": (
        {"title": "Grokking", "authors": "Alethea Power", **NO_IDS},
        {"title": "Grokking", "authors": "Alethea Power", "arxiv_id": "2201.02177", "doi": ""},
        True,
    ),
    "another arXiv id": (
        {"title": "Grokking", "authors": "Alethea Power", "arxiv_id": "2201.02177"},
        {"title": "Grokking", "authors": "Alethea Power", "arxiv_id": "2301.00001"},
        False,
    ),
    "another DOI": (
        {"title": "Grokking", "authors": "Alethea Power", "arxiv_id": "", "doi": "10.1/one"},
        {"title": "Grokking", "authors": "Alethea Power", "arxiv_id": "", "doi": "10.1/two"},
        False,
    ),
    "no author in common": (
        {"title": "Lecture notes", "authors": "Jane Doe", **NO_IDS},
        {"title": "Lecture notes", "authors": "John Smith", **NO_IDS},
        False,
    ),
}


@pytest.mark.parametrize("case", list(SAME_PAPER))
def test_the_paste_and_the_term_import_agree_on_the_same_paper(case):
    stored, incoming, same = SAME_PAPER[case]

    PaperFactory(**stored)
    pasted = pasted_and_matched(Paper(**{"year": 2022, **incoming}))
    Paper.objects.all().delete()
    imported = term_imported_and_matched(stored, Paper(**{"year": 2022, **incoming}))

    assert (pasted, imported) == (same, same)


# --- Starting the next term: texts that name the old one, weeks laid out ----------------------

FALL_INTRO = (
    "Welcome to the Science of Deep Learning Reading Group! This fall at MIT (2022), we will be "
    "reading papers relevant to understanding what deep neural networks do."
)


def copied_term(name, first_monday, **texts):
    """Fall 2022 (first Monday Sep 12) and a copy of it named `name`, with `texts` changed."""
    old = TermFactory(name="Fall 2022", intro=FALL_INTRO, first_monday=datetime.date(2022, 9, 12))
    fields = {"intro": FALL_INTRO, **texts}
    new = TermFactory(name=name, first_monday=first_monday, is_published=False, **fields)
    return old, new


def test_texts_naming_finds_the_old_terms_year_and_season_with_the_words_around_them():
    old, new = copied_term(
        "Spring 2023",
        datetime.date(2023, 2, 6),
        reading_list_note="As in Fall 2022, the list is a sample.",
        supporters="MAIA",
    )
    week = WeekFactory(term=new, number=3, title="Scaling", tagline="What changed since 2022?")
    ReadingFactory(week=week, note="Read it before the fall break", paper__title="Grokking")

    named = new.texts_naming(old)

    assert [(text.where, text.excerpt) for text in named] == [
        (
            "Intro",
            "…of Deep Learning Reading Group! This fall at MIT (2022), we will be reading…",
        ),
        ("Reading list note", "As in Fall 2022, the list is a sample."),
        ("Week 3: tagline", "What changed since 2022?"),
        ("Week 3: note on “Grokking”", "Read it before the fall break"),
    ]


def test_texts_naming_leaves_out_a_season_or_year_the_new_term_shares():
    old, same_season = copied_term("Fall 2023", datetime.date(2023, 9, 11), intro="This fall!")
    same_year = TermFactory(name="Spring 2022", first_monday=datetime.date(2022, 2, 7))
    same_year.intro = "In 2022, reading group."

    assert same_season.texts_naming(old) == []
    assert [text.where for text in same_year.texts_naming(old)] == []


def test_previous_term_is_the_one_that_starts_last_before():
    old, new = copied_term("Spring 2023", datetime.date(2023, 2, 6))
    TermFactory(first_monday=datetime.date(2021, 9, 13))
    TermFactory(first_monday=None)

    assert (new.previous_term(), old.previous_term().first_monday) == (
        old,
        datetime.date(2021, 9, 13),
    )


def test_a_term_ends_with_its_last_week_even_one_moved_by_hand():
    term = TermFactory(first_monday=datetime.date(2023, 2, 6))
    WeekFactory(term=term, number=1)
    WeekFactory(term=term, number=2, starts_on_override=datetime.date(2023, 2, 20))

    annotated = Term.objects.with_week_count().get(pk=term.pk)

    assert (term.ends_on, annotated.ends_on) == (datetime.date(2023, 2, 26),) * 2


def test_lay_out_weeks_moves_a_week_in_a_skipped_week_and_every_later_one():
    term = TermFactory(first_monday=datetime.date(2022, 9, 12))
    weeks = [WeekFactory(term=term, number=n) for n in (1, 2, 3)]
    monday = datetime.date(2023, 2, 6)
    week = datetime.timedelta(weeks=1)

    placed = lay_out_weeks(
        weeks, from_monday=term.first_monday, to_monday=monday, skipped=[monday, monday + 2 * week]
    )

    assert [(w.number, start) for w, start in placed] == [
        (1, monday + week),
        (2, monday + 3 * week),  # its own week, then one more: the skipped third
        (3, monday + 4 * week),
    ]
