"""Bringing papers in: pasted BibTeX and arXiv ids become Papers, without duplicates."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from syllabus.bibtex import parse_paste
from syllabus.models import Paper

# Fields an import may fill in on a paper that is already there (it never overwrites).
FILLABLE = ["authors", "year", "venue", "arxiv_id", "doi", "url", "abstract"]


@dataclass
class ImportResult:
    """What `import_papers` did, item by item: (label, paper, reason) or (label, reason)."""

    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    arxiv_only: int = 0

    @property
    def counts(self):
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "skipped": len(self.skipped),
            "errors": len(self.errors),
        }


def _fill_blanks(paper, fields, matcher):
    """Fill `paper`'s empty fields from `fields`; return the names of those changed."""
    changed = []
    if paper.is_placeholder and not fields["title"].startswith("arXiv:"):
        paper.title = fields["title"]
        changed.append("title")
    for name in FILLABLE:
        value = fields.get(name)
        if not value or getattr(paper, name):
            continue
        if name == "arxiv_id" and matcher.holds_arxiv_id(value):
            continue  # another paper has it: leave this one as it is
        if name == "doi" and matcher.holds_doi(value):
            continue
        setattr(paper, name, value)
        changed.append(name)
    return changed


def _save(paper):
    """Validate and save one paper in its own savepoint; the error message, or ""."""
    try:
        paper.full_clean(exclude=["authors"])  # an arXiv id alone gives no authors yet
        with transaction.atomic():
            paper.save()
    except ValidationError as error:
        return " ".join(error.messages)
    except IntegrityError:
        return "It clashes with a paper saved at the same time; paste it again."
    return ""


@transaction.atomic
def _left_out(candidate):
    """What of the entry was read but not imported, or ""."""
    return f"Left out {'; '.join(candidate.left_out)}." if candidate.left_out else ""


def import_papers(*, text: str) -> ImportResult:
    """Create or complete Papers from pasted BibTeX and arXiv ids/URLs.

    Each item is matched to an existing paper by the one rule of “the same paper”
    (`syllabus.models.PaperMatcher`: arXiv id, else DOI, else title). A match gets only its
    empty fields filled in (an organizer's edits are never overwritten) and counts as updated,
    or as skipped when there was nothing to add. An
    item that cannot be read or saved is listed in `errors` with the reason; everything else
    in the paste is imported. arXiv ids alone are not looked up online: such a paper is titled
    "arXiv:<id>" until its BibTeX is pasted or someone edits it.
    """
    result = ImportResult()
    matcher = Paper.objects.matcher()
    created_pks = set()
    for candidate in parse_paste(text):
        if candidate.error:
            result.errors.append((candidate.label, candidate.error))
            continue
        paper, how = matcher.match(Paper(**candidate.fields))
        if paper is None:
            paper = Paper(**candidate.fields)
            error = _save(paper)
            if error:
                result.errors.append((candidate.label, error))
                continue
            matcher.add(paper)
            created_pks.add(paper.pk)
            result.created.append((candidate.label, paper, _left_out(candidate)))
            result.arxiv_only += candidate.from_arxiv_id_only
            continue
        changed = _fill_blanks(paper, candidate.fields, matcher)
        if not changed:
            result.skipped.append((candidate.label, paper, f"Already there (same {how})."))
            continue
        error = _save(paper)
        if error:
            paper.refresh_from_db()
            result.errors.append((candidate.label, error))
            continue
        matcher.add(paper)
        if paper.pk not in created_pks:
            reason = f"Matched by {how}; added {', '.join(changed)}. {_left_out(candidate)}"
            result.updated.append((candidate.label, paper, reason.strip()))
    return result
