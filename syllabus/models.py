import datetime
import re
import unicodedata
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Max, Prefetch, Q, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property

from core.urlhelpers import reverse_url
from syllabus.bibtex import (
    brace_problem,
    normalise_title,
    single_spaced,
    single_spaced_lines,
    split_authors,
)

# Dates a term, week or meeting may have. Week and meeting dates are computed from them (week
# 99 of a term, in UTC), which must stay within Python's years 1 to 9999; and a date outside
# these centuries is a typing slip anyway.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2199, 12, 31)
MAX_WEEK_NUMBER = 99


def check_date_in_range(value, field):
    """Raise a ValidationError keyed by `field` unless `value` is between the earliest and the
    latest date the site handles."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            {
                field: ValidationError(
                    "Pick a date between %(earliest)s and %(latest)s.",
                    code="date_out_of_range",
                    params={"earliest": EARLIEST_DATE.year, "latest": LATEST_DATE.year},
                )
            }
        )


def check_first_monday(value):
    """A term's first Monday: a Monday, in the range of dates the site handles."""
    check_date_in_range(value, "first_monday")
    if value is not None and value.weekday() != 0:
        raise ValidationError(
            {
                "first_monday": ValidationError(
                    "Pick a Monday: week dates count from it.", code="not_monday"
                )
            }
        )


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "“%(value)s” is not a known time zone; use a name such as America/New_York.",
            code="unknown_time_zone",
            params={"value": value},
        )


def validate_one_line(value):
    """Names, titles and rooms are one line: a line break (or a tab, NUL, escape…) breaks the
    pages, calendar feeds and BibTeX that print them on one."""
    if any(unicodedata.category(char) == "Cc" or char in "\u2028\u2029" for char in value):
        raise ValidationError(
            "Write this on one line: line breaks, tabs and other control characters are not "
            "allowed here.",
            code="not_one_line",
        )


def validate_bibtex_verbatim(value):
    """A DOI, URL or arXiv id goes into readings.bib as it is, between braces."""
    problem = brace_problem(value)
    if problem:
        raise ValidationError(
            "This %(problem)s, which BibTeX cannot hold: check it against the paper.",
            code="not_bibtex_verbatim",
            params={"problem": problem},
        )


CURRENT_TERM_CANDIDATES = 20


def visible_terms(user, path=""):
    """Who sees which terms, as a filter of terms (or of rows that reach a term by `path`,
    such as "term__"): published ones; staff also unpublished ones (to preview them)."""
    return Q() if user.is_staff else Q(**{f"{path}is_published": True})


# What a link to another term shows (templates/includes/term_dates.html): its name, its URL,
# and whether and when it starts (its first Monday, in its time zone); `ends_on` is annotated.
LINKED_TERM_FIELDS = ["name", "slug", "first_monday", "time_zone"]


class TermQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def visible_to(self, user):
        """The terms `user` sees (`visible_terms`)."""
        return self.filter(visible_terms(user))

    def with_week_count(self):
        """Annotate `last_week_number` and `latest_override` (the latest week start set by
        hand), which `Term.ends_on` reads."""
        return self.annotate(
            last_week_number=Max("weeks__number"),
            latest_override=Max("weeks__starts_on_override"),
        )

    def current(self, today=None):
        """The published term whose dates cover today, else the latest published one (or None).

        One query over the newest published terms; the choice among them is made in Python.
        """
        today = today or timezone.localdate()
        # The newest few are enough (a covering term has at most a handful announced after it),
        # and keep this query's cost flat however many terms the archive holds.
        newest_first = (F("first_monday").desc(nulls_last=True), "-pk")
        latest = self.published().order_by(*newest_first).values("pk")[:CURRENT_TERM_CANDIDATES]
        # Counted over those few only: the week counts of every term cost a millisecond at
        # 150 terms when the GROUP BY ran before the LIMIT.
        terms = list(self.filter(pk__in=latest).with_week_count().order_by(*newest_first))
        for term in terms:
            if term.starts_on and term.starts_on <= today <= term.ends_on:
                return term
        return terms[0] if terms else None

    def current_after(self, term):
        """The current term, where the pages of `term` send members once it has ended (one
        query); None while `term` has not ended, or when it is the current term itself.

        The term comes with what a link to it shows (`LINKED_TERM_FIELDS`: its name, its URL,
        when it starts), and any other field costs a query: the candidates' other columns
        (texts such as the intro) made the query a fifth slower to run and to group by."""
        if not term.has_ended:
            return None
        current = self.only(*LINKED_TERM_FIELDS).current()
        return current if current is not None and current.pk != term.pk else None


class Term(models.Model):
    name = models.CharField(
        max_length=100, validators=[validate_one_line], help_text="For example “Fall 2022”."
    )
    slug = models.SlugField(max_length=100, unique=True, help_text="Used in URLs: fall-2022.")
    title = models.CharField(
        max_length=200, validators=[validate_one_line], help_text="The group's title this term."
    )
    institution = models.CharField(max_length=200, blank=True, validators=[validate_one_line])
    place = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_one_line],
        help_text="Where the rooms are, for calendars and pages: for example “MIT”.",
    )
    intro = models.TextField(blank=True, help_text="Welcome text, in Markdown.")
    format_note = models.TextField(
        blank=True,
        help_text="How a long meeting runs; shown on sections of two hours or more.",
    )
    reading_list_note = models.TextField(
        blank=True, help_text="Shown above the readings, e.g. to say where the list came from."
    )
    organizers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="organized_terms"
    )
    supporters = models.CharField(
        max_length=300,
        blank=True,
        validators=[validate_one_line],
        help_text="For example “MIT AI Alignment Club (MAIA)”.",
    )
    first_monday = models.DateField(
        "first Monday",
        null=True,
        blank=True,
        help_text="Monday of week 1; week dates follow from it unless a week overrides them.",
    )
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    reminder_hour = models.PositiveSmallIntegerField(
        default=18,
        validators=[MaxValueValidator(23)],
        help_text="Members get a reminder the day before each meeting at this hour, in the "
        "term's time zone.",
    )
    checkin_opens_before = models.DurationField(
        "check-in opens before the start",
        default=datetime.timedelta(minutes=15),
        validators=[
            MinValueValidator(datetime.timedelta(0)),
            MaxValueValidator(datetime.timedelta(hours=2)),
        ],
        help_text="Members may check themselves in from this long before a meeting starts to its "
        "end (hh:mm:ss, at most 2 hours).",
    )
    late_after = models.DurationField(
        "late after",
        default=datetime.timedelta(minutes=15),
        validators=[
            MinValueValidator(datetime.timedelta(0)),
            MaxValueValidator(datetime.timedelta(hours=2)),
        ],
        help_text="A member who checks in later than this after the start is marked late "
        "(hh:mm:ss, at most 2 hours).",
    )
    is_published = models.BooleanField("published", default=False)
    joining_open = models.BooleanField(
        "joining open",
        default=True,
        help_text="Whether people may join this term's sections from their pages.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TermQuerySet.as_manager()

    class Meta:
        ordering = ["-first_monday", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_hour__lte=23),
                name="syllabus_term_reminder_hour_in_day",
                violation_error_message="The reminder hour is an hour of the day, 0 to 23.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse_url("sections:term-schedule", term=self.slug)

    def clean(self):
        check_first_monday(self.first_monday)

    @cached_property
    def tz(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def starts_on(self):
        return self.first_monday

    @property
    def ends_on(self):
        """The day that closes the last week, the latest of the weeks the first Monday lays
        out and those moved by hand (a skipped holiday week moves the later ones on); needs
        `with_week_count()` or one query."""
        if not self.first_monday:
            return None
        if hasattr(self, "last_week_number"):
            last, latest = self.last_week_number, getattr(self, "latest_override", None)
        else:
            found = self.weeks.aggregate(last=Max("number"), latest=Max("starts_on_override"))
            last, latest = found["last"], found["latest"]
        ends_on = self.first_monday + datetime.timedelta(weeks=last or 1, days=-1)
        return max(ends_on, latest + datetime.timedelta(days=6)) if latest else ends_on

    def load_week_count(self):
        """What `with_week_count()` annotates, in one query of the term's week numbers and
        moved starts (cheaper than a subquery of each in the query that loads the term)."""
        self.set_week_count(self.weeks.values_list("number", "starts_on_override"))

    def set_week_count(self, weeks):
        """Set what `with_week_count()` annotates (which spares `ends_on` its query) from the
        (number, starts_on_override) of each of the term's weeks."""
        self.last_week_number = max((number for number, _ in weeks), default=None)
        self.latest_override = max((moved for _, moved in weeks if moved), default=None)

    def today(self):
        return timezone.localdate(timezone=self.tz)

    def previous_term(self):
        """The term that starts last before this one (None without dates or before any)."""
        if self.first_monday is None:
            return None
        return (
            Term.objects.filter(first_monday__lt=self.first_monday)
            .order_by("-first_monday", "-pk")
            .first()
        )

    def texts_naming(self, other):
        """This term's texts that a copy took from `other` and that still name it (its name,
        its year, its season): the intro's “This fall at MIT (2022)” in a copy for Spring
        2023. A `NamedText` each, in the admin's order: the term's fields, then each week's,
        then the readings' notes. Two queries."""
        words = _naming_words(other, exclude=self)
        if not words:
            return []
        pattern = re.compile("|".join(words), re.IGNORECASE)
        found = []

        def check(where, text):
            match = pattern.search(text)
            if match:
                found.append(NamedText(where=where, excerpt=_excerpt(text, match)))

        for name in ["title", "intro", "format_note", "reading_list_note", "supporters"]:
            check(str(self._meta.get_field(name).verbose_name).capitalize(), getattr(self, name))
        for week in self.weeks.order_by("number"):
            check(f"Week {week.number}: title", week.title)
            check(f"Week {week.number}: tagline", week.tagline)
            check(f"Week {week.number}: summary", week.summary)
        readings = Reading.objects.for_term(self).exclude(note="").select_related("week")
        for reading in readings:
            check(f"Week {reading.week.number}: note on “{reading.paper.title}”", reading.note)
        return found

    @property
    def has_ended(self):
        """Its last week is over, in its own time zone (False for a term without dates).
        Reads `ends_on`: annotate `with_week_count()` or set `last_week_number` to spare the
        query."""
        ends_on = self.ends_on
        return ends_on is not None and self.today() > ends_on

    @property
    def has_not_started(self):
        """Its first week is still to come, in its own time zone."""
        return self.starts_on is not None and self.today() < self.starts_on

    def location_of(self, room):
        """“2-151, MIT”: a room of this term's with the term's place (the room alone when the
        term names no place)."""
        return ", ".join(part for part in (room, self.place) if part)


SEASONS = ["spring", "summer", "fall", "autumn", "winter", "iap"]
_YEAR = re.compile(r"(?<![0-9])(?:19|20|21)[0-9]{2}(?![0-9])")


def _years(term):
    years = set(_YEAR.findall(term.name))
    if term.first_monday:
        years.add(str(term.first_monday.year))
    return years


def _seasons(term):
    return {word for word in re.findall(r"[a-z]+", term.name.lower()) if word in SEASONS}


def _naming_words(term, *, exclude):
    """Regular expressions for what names `term` and not the term `exclude`: its name, its
    years and its seasons."""
    words = []
    if term.name.strip() and term.name.strip().lower() != exclude.name.strip().lower():
        words.append(re.escape(term.name.strip()))
    words += [rf"(?<![0-9]){year}(?![0-9])" for year in sorted(_years(term) - _years(exclude))]
    words += [rf"\b{season}\b" for season in sorted(_seasons(term) - _seasons(exclude))]
    return words


def _excerpt(text, match, around=40):
    """The words around `match` in `text`, on one line, “…” where cut (between words)."""
    start, end = max(0, match.start() - around), min(len(text), match.end() + around)
    if start:  # from the first whole word
        space = text.find(" ", start, match.start())
        start = space + 1 if space >= 0 else start
    if end < len(text):  # to the last whole word
        space = text.rfind(" ", match.end(), end)
        end = space if space >= 0 else end
    excerpt = " ".join(text[start:end].split())
    return f"{'…' if start else ''}{excerpt}{'…' if end < len(text) else ''}"


@dataclass(frozen=True)
class NamedText:
    """A text that names another term: where it is (“Intro”, “Week 3: tagline”) and the words
    around the name."""

    where: str
    excerpt: str


def lay_out_weeks(weeks, *, from_monday, to_monday, skipped=()):
    """Where a copy of `weeks` (a term's, in number order) that starts on `to_monday` puts
    each week: [(week, its first day)]. A week keeps its place in the term (one moved by hand
    moves as the term does, from `from_monday` to `to_monday`; without `from_monday` it
    follows `to_monday`); a week that falls in a skipped calendar week (its Monday in
    `skipped`, a holiday) moves on to the next free week, and every later week as far."""
    skipped, offset, placed = set(skipped), 0, []
    for week in weeks:
        if week.starts_on_override and from_monday:
            start = week.starts_on_override + (to_monday - from_monday)
        else:
            start = to_monday + datetime.timedelta(weeks=week.number - 1)
        start += datetime.timedelta(weeks=offset)
        while start - datetime.timedelta(days=start.weekday()) in skipped:
            start += datetime.timedelta(weeks=1)
            offset += 1
        placed.append((week, start))
    return placed


class WeekQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Weeks of the terms `user` sees (`visible_terms`), by a join, not a subquery."""
        return self.filter(visible_terms(user, "term__"))

    def attach_neighbours(self, week):
        """Set the number and title of the weeks before and after `week` in its term
        (`previous_number`, `previous_title`, `next_number`, `next_title`; None at either end),
        for links from one week to the next, and its term's `last_week_number` (which spares
        `term.ends_on` its query). One query of the term's week numbers and titles: the
        subqueries that annotated them cost five times as much to compile as this to run."""
        outline = list(
            self.filter(term=week.term_id)
            .order_by("number")
            .values_list("number", "title", "starts_on_override")
        )
        before = [row[:2] for row in outline if row[0] < week.number]
        after = [row[:2] for row in outline if row[0] > week.number]
        week.previous_number, week.previous_title = before[-1] if before else (None, None)
        week.next_number, week.next_title = after[0] if after else (None, None)
        week.term.set_week_count([(number, moved) for number, _, moved in outline])
        return week

    def with_readings(self):
        """The weeks' readings and their papers, without the columns no page of readings shows
        (a paper's abstract and timestamps). Ordered here rather than by Reading's Meta.ordering,
        which starts with the week and so joins the week and its term to every query (the same
        order within a week)."""
        return self.prefetch_related(
            Prefetch(
                "readings",
                queryset=Reading.objects.select_related("paper")
                .defer(*UNSHOWN_PAPER_FIELDS)
                .order_by("order", "pk"),
            )
        )

    def renumber(self, numbers, *, leaving=()):
        """Give these weeks new numbers at once: `numbers` maps a week's pk to its new number;
        the weeks in `leaving` (about to be deleted) only move out of the way.

        Two UPDATEs: the weeks move first to numbers above all in use, then to their new ones,
        so the unique (term, number) constraint never sees two weeks share a number half-way.
        (Swapping weeks 5 and 6 otherwise fails on the first row, on PostgreSQL and SQLite
        alike: neither checks a non-deferrable unique constraint at the end of a statement, and
        Django creates no deferrable one on SQLite at all.) Rows keep their primary keys, so
        meetings, notes and attendance stay with their week. Sends no signals: save the weeks
        afterwards for those.
        """
        moving = [*numbers, *leaving]
        if not moving:
            return
        highest = self.aggregate(highest=Max("number"))["highest"] or 0
        parked = max(highest, *numbers.values(), 0) + 1
        self.filter(pk__in=moving).update(
            number=Case(*(When(pk=pk, then=parked + i) for i, pk in enumerate(moving)))
        )
        if numbers:
            self.filter(pk__in=list(numbers)).update(
                number=Case(*(When(pk=pk, then=number) for pk, number in numbers.items()))
            )


class Week(models.Model):
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="weeks")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    title = models.CharField(max_length=200, validators=[validate_one_line])
    tagline = models.CharField(
        max_length=300,
        blank=True,
        validators=[validate_one_line],
        help_text="The week's one-line question.",
    )
    summary = models.TextField(blank=True, help_text="Optional, in Markdown.")
    starts_on_override = models.DateField(
        "starts on (override)",
        null=True,
        blank=True,
        help_text="Leave empty to follow the term's first Monday; set to move this week.",
    )

    objects = WeekQuerySet.as_manager()

    class Meta:
        ordering = ["term", "number"]
        constraints = [
            models.UniqueConstraint(fields=["term", "number"], name="syllabus_week_unique_number"),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="syllabus_week_number_positive"
            ),
        ]

    def __str__(self):
        return f"Week {self.number}: {self.title}"

    def get_absolute_url(self):
        return reverse_url("sections:week-detail", term=self.term.slug, number=self.number)

    def clean(self):
        if self.number is not None and self.number > MAX_WEEK_NUMBER:
            raise ValidationError(
                {
                    "number": ValidationError(
                        "A term has at most %(max)s weeks.",
                        code="too_many_weeks",
                        params={"max": MAX_WEEK_NUMBER},
                    )
                }
            )
        check_date_in_range(self.starts_on_override, "starts_on_override")

    def unique_error_message(self, model_class, unique_check):
        if tuple(unique_check) == ("term", "number"):
            return ValidationError(
                "%(term)s already has a week %(number)s.",
                code="unique_together",
                params={"term": self.term, "number": self.number},
            )
        return super().unique_error_message(model_class, unique_check)

    @property
    def starts_on(self):
        if self.starts_on_override:
            return self.starts_on_override
        if self.term.first_monday is None:
            return None
        return self.term.first_monday + datetime.timedelta(weeks=self.number - 1)

    @property
    def ends_on(self):
        return self.starts_on + datetime.timedelta(days=6) if self.starts_on else None

    def covers(self, day):
        return self.starts_on is not None and self.starts_on <= day <= self.ends_on

    def _readings(self):
        """The readings as `ReadingQuerySet.shown_by_week` set them, else (prefetched) models."""
        shown = getattr(self, "shown_readings", None)
        return self.readings.all() if shown is None else shown

    @property
    def required_readings(self):
        return [r for r in self._readings() if r.kind == Reading.Kind.REQUIRED]

    @property
    def optional_readings(self):
        return [r for r in self._readings() if r.kind == Reading.Kind.OPTIONAL]


# What a list of readings never prints: left out of its query (and its date-time parsing).
UNSHOWN_PAPER_FIELDS = ("paper__abstract", "paper__created_at", "paper__updated_at")


class PaperQuerySet(models.QuerySet):
    def for_term(self, term):
        return self.filter(readings__week__term=term).distinct()

    def matcher(self):
        """A `PaperMatcher` over these papers (one query), to find “the same paper”."""
        return PaperMatcher(self.order_by("pk"))


class PaperLinks:
    """The links a page prints for a paper with `url`, `arxiv_id` and `doi`: a `Paper`, or a
    `ShownPaper` (its columns without a model object)."""

    @property
    def primary_url(self):
        """Where the title links: the paper's own URL, else arXiv, else the DOI."""
        return paper_primary_url(self.url, self.arxiv_id, self.doi)

    @property
    def arxiv_abs_url(self):
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def arxiv_pdf_url(self):
        return f"https://arxiv.org/pdf/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""


class Paper(PaperLinks, models.Model):
    title = models.CharField(max_length=500, validators=[validate_one_line])
    authors = models.TextField(
        validators=[validate_one_line], help_text="Comma-separated, as they appear on the paper."
    )
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    venue = models.CharField(max_length=200, blank=True, validators=[validate_one_line])
    arxiv_id = models.CharField(
        "arXiv id",
        max_length=32,
        blank=True,
        validators=[validate_bibtex_verbatim],
        help_text="For example 2201.02177.",
    )
    doi = models.CharField("DOI", max_length=200, blank=True, validators=[validate_bibtex_verbatim])
    url = models.URLField("URL", max_length=500, blank=True, validators=[validate_bibtex_verbatim])
    abstract = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["arxiv_id"],
                condition=~Q(arxiv_id=""),
                name="syllabus_paper_unique_arxiv_id",
                violation_error_message="A paper with this arXiv id already exists.",
            ),
            models.UniqueConstraint(
                Lower("doi"),
                condition=~Q(doi=""),
                name="syllabus_paper_unique_doi",
                violation_error_message="A paper with this DOI already exists.",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.year})" if self.year else self.title

    def clean(self):
        self.arxiv_id = self.arxiv_id.strip()
        self.doi = self.doi.strip()
        # Stored as readings.bib gives them back (syllabus.bibtex): single spaces, and the
        # authors as comma-separated names.
        self.title, self.venue = single_spaced(self.title), single_spaced(self.venue)
        self.authors = ", ".join(single_spaced(name) for name in split_authors(self.authors))
        self.abstract = single_spaced_lines(self.abstract)

    @property
    def is_placeholder(self):
        """Known by its arXiv id alone (an import of the bare id): titled “arXiv:<id>” until
        its BibTeX is pasted or someone edits it."""
        return bool(self.arxiv_id) and self.title == f"arXiv:{self.arxiv_id}"

    @property
    def web_url(self):
        """The paper's URL if it is a web address (a scheme the URL field accepts): a
        `javascript:` URL that no form checked (a shell, a fixture) is never made a link."""
        return web_url(self.url)


def web_url(url):
    """`url` if it is a web address (a scheme the URL field accepts), else ""."""
    return url if url.partition(":")[0].lower() in {"http", "https", "ftp", "ftps"} else ""


def paper_primary_url(url, arxiv_id, doi):
    """`Paper.primary_url` of a paper with these fields: its own URL, else arXiv, else DOI."""
    return (
        web_url(url)
        or (f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else "")
        or (f"https://doi.org/{doi}" if doi else "")
    )


NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


def _surnames(authors):
    """The last word of each author's name, folded as titles are (“et al.” names no one)."""
    surnames = set()
    for name in split_authors(authors):
        words = [word for word in normalise_title(name).split() if word not in NAME_SUFFIXES]
        if words and words != ["et", "al"]:
            surnames.add(words[-1])
    return surnames


def _told_apart(paper, other):
    """Do the two papers' ids or authors say they are different papers?"""
    if paper.arxiv_id and other.arxiv_id and paper.arxiv_id.lower() != other.arxiv_id.lower():
        return True
    if paper.doi and other.doi and paper.doi.lower() != other.doi.lower():
        return True
    surnames, others = _surnames(paper.authors), _surnames(other.authors)
    return bool(surnames and others and not surnames & others)


class PaperMatcher:
    """Which stored paper, if any, is “the same paper” as another: the one rule that the paste
    import (`syllabus.services.import_papers`) and the term import (`readinggroup.term_archive`)
    share. Build it with `Paper.objects.matcher()`.

    1. The same arXiv id, in any capitals (old ids such as math.GT/0309136 are typed both ways);
       else
    2. the same DOI, in any capitals (DOIs are case-insensitive); else
    3. the same title, compared without case, accents, punctuation or spacing, unless the two
       are told apart: different arXiv ids, different DOIs, or authors without a surname in
       common (authors are written in many ways, “A. Power” and “Alethea Power”, so only a
       list that shares no surname tells them apart; years differ between a preprint and its
       publication, so they never do). A placeholder's title (“arXiv:2201.02177”) is no title.

    Of several stored papers that qualify, the oldest is the one.
    """

    def __init__(self, papers=()):
        self._by_arxiv, self._by_doi, self._by_title = {}, {}, defaultdict(list)
        for paper in papers:
            self.add(paper)

    def add(self, paper):
        """Match against `paper` too (one just saved); adding a paper again updates its ids
        and title."""
        if paper.arxiv_id:
            self._by_arxiv.setdefault(paper.arxiv_id.lower(), paper)
        if paper.doi:
            self._by_doi.setdefault(paper.doi.lower(), paper)
        title = normalise_title(paper.title)
        if title and not paper.is_placeholder and paper not in self._by_title[title]:
            self._by_title[title].append(paper)

    def holds_arxiv_id(self, arxiv_id):
        return arxiv_id.lower() in self._by_arxiv

    def holds_doi(self, doi):
        return doi.lower() in self._by_doi

    def match(self, paper):
        """(the stored paper that is the same as `paper`, how: “arXiv id …”, “DOI …” or
        “title”), or (None, "")."""
        if paper.arxiv_id and paper.arxiv_id.lower() in self._by_arxiv:
            return self._by_arxiv[paper.arxiv_id.lower()], f"arXiv id {paper.arxiv_id}"
        if paper.doi and paper.doi.lower() in self._by_doi:
            return self._by_doi[paper.doi.lower()], f"DOI {paper.doi}"
        title = normalise_title(paper.title)
        if title and not paper.is_placeholder:
            for stored in self._by_title.get(title, ()):
                if not _told_apart(paper, stored):
                    return stored, "title"
        return None, ""


class ReadingQuerySet(models.QuerySet):
    def listed_by_week(self, weeks):
        """Set `week.listed_readings` on each of `weeks`: its readings as `ListedReading`s, in
        reading order. One query of the columns they show, no model objects: a tenth of the
        time of prefetching the readings with their papers."""
        by_week = self._by_week(weeks, LISTED_READING_COLUMNS, ListedReading.of_columns)
        for week in weeks:
            week.listed_readings = by_week[week.pk]
        return weeks

    def shown_by_week(self, weeks):
        """Set `week.shown_readings` on each of `weeks`: its readings as `ShownReading`s, in
        reading order, for the pages' lists of readings. One query of the columns they print,
        no model objects: half the time of prefetching readings with their papers."""
        by_week = self._by_week(
            weeks, ("kind", "note", *SHOWN_PAPER_COLUMNS), ShownReading.of_columns
        )
        for week in weeks:
            week.shown_readings = by_week[week.pk]
        return weeks

    def _by_week(self, weeks, columns, make):
        """The readings of `weeks` by week pk, in reading order: `make(week_id, *columns)` of
        each row (one query)."""
        by_week = {week.pk: [] for week in weeks}
        rows = (
            self.filter(week_id__in=list(by_week))
            .order_by("order", "pk")
            .values_list("week_id", *columns)
        )
        for row in rows:
            by_week[row[0]].append(make(*row))
        return by_week

    def for_term(self, term):
        """The term's readings with their papers, week by week in reading order."""
        return (
            self.filter(week__term=term)
            .select_related("paper")
            .order_by("week__number", "order", "pk")
        )


# A reading's columns (its own, then its paper's) that make its `ListedReading`, after its week.
LISTED_READING_COLUMNS = (
    "kind",
    "note",
    "paper__title",
    "paper__authors",
    "paper__year",
    "paper__arxiv_id",
    "paper__doi",
    "paper__url",
)


class ListedReading(NamedTuple):
    """A reading as feeds and exports list it (`ReadingQuerySet.listed`): no model objects."""

    week_id: int
    kind: str
    note: str
    title: str
    authors: str
    year: int | None
    arxiv_id: str
    doi: str
    primary_url: str

    @classmethod
    def of_columns(cls, week_id, kind, note, title, authors, year, arxiv_id, doi, url):
        """The listing of a reading read as its week and `LISTED_READING_COLUMNS`."""
        primary_url = paper_primary_url(url, arxiv_id, doi)
        return cls(week_id, kind, note, title, authors, year, arxiv_id, doi, primary_url)

    @classmethod
    def of(cls, reading):
        """The listing of a `Reading` loaded with its paper."""
        paper = reading.paper
        return cls(
            reading.week_id,
            reading.kind,
            reading.note,
            paper.title,
            paper.authors,
            paper.year,
            paper.arxiv_id,
            paper.doi,
            paper.primary_url,
        )


@dataclass(slots=True)
class ShownPaper(PaperLinks):
    """What a list of readings prints of a paper (`ReadingQuerySet.shown_by_week`)."""

    title: str
    authors: str
    year: int | None
    venue: str
    arxiv_id: str
    doi: str
    url: str


SHOWN_PAPER_COLUMNS = tuple(f"paper__{field.name}" for field in dataclass_fields(ShownPaper))


@dataclass(slots=True)
class ShownReading:
    """A reading as a page lists it, with its `ShownPaper`."""

    kind: str
    note: str
    paper: ShownPaper

    @classmethod
    def of_columns(cls, week_id, kind, note, *paper):
        """The reading read as its week, kind, note and `SHOWN_PAPER_COLUMNS`."""
        return cls(kind, note, ShownPaper(*paper))


class Reading(models.Model):
    class Kind(models.TextChoices):
        REQUIRED = "required", "Required"
        OPTIONAL = "optional", "Optional"

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="readings")
    paper = models.ForeignKey(Paper, on_delete=models.PROTECT, related_name="readings")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.REQUIRED)
    order = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_one_line],
        help_text="For example “sections 1–3”.",
    )

    objects = ReadingQuerySet.as_manager()

    class Meta:
        ordering = ["week", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["week", "paper"], name="syllabus_reading_unique_paper"),
        ]

    def __str__(self):
        return f"{self.week}: {self.paper.title}"
