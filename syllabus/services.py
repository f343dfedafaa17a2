"""Bringing papers in: pasted BibTeX and arXiv ids become Papers, without duplicates."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from syllabus.bibtex import normalise_title, parse_paste
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


class _Index:
    """Existing papers by arXiv id, DOI (case-insensitive) and normalised title."""

    def __init__(self, papers):
        self.by_arxiv, self.by_doi, self.by_title = {}, {}, {}
        for paper in papers:
            self.add(paper)

    def add(self, paper):
        if paper.arxiv_id:
            self.by_arxiv[paper.arxiv_id.lower()] = paper
        if paper.doi:
            self.by_doi[paper.doi.lower()] = paper
        if not _is_placeholder(paper):
            self.by_title.setdefault(normalise_title(paper.title), paper)

    def match(self, fields):
        """(paper, how it matched) or (None, "")."""
        arxiv_id, doi = fields.get("arxiv_id", ""), fields.get("doi", "")
        if arxiv_id and arxiv_id.lower() in self.by_arxiv:
            return self.by_arxiv[arxiv_id.lower()], f"arXiv id {arxiv_id}"
        if doi and doi.lower() in self.by_doi:
            return self.by_doi[doi.lower()], f"DOI {doi}"
        title = normalise_title(fields.get("title", ""))
        if title and not fields.get("title", "").startswith("arXiv:") and title in self.by_title:
            return self.by_title[title], "title"
        return None, ""


def _is_placeholder(paper):
    """A paper made from an arXiv id alone: its title is the id until someone fills it in."""
    return bool(paper.arxiv_id) and paper.title == f"arXiv:{paper.arxiv_id}"


def _fill_blanks(paper, fields, index):
    """Fill `paper`'s empty fields from `fields`; return the names of those changed."""
    changed = []
    if _is_placeholder(paper) and not fields["title"].startswith("arXiv:"):
        paper.title = fields["title"]
        changed.append("title")
    for name in FILLABLE:
        value = fields.get(name)
        if not value or getattr(paper, name):
            continue
        if name == "arxiv_id" and value.lower() in index.by_arxiv:
            continue  # another paper has it: leave this one as it is
        if name == "doi" and value.lower() in index.by_doi:
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

    Each item is matched to an existing paper by arXiv id, then DOI (case-insensitive), then
    normalised title. A match gets only its empty fields filled in (an organizer's edits are
    never overwritten) and counts as updated, or as skipped when there was nothing to add. An
    item that cannot be read or saved is listed in `errors` with the reason; everything else
    in the paste is imported. arXiv ids alone are not looked up online: such a paper is titled
    "arXiv:<id>" until its BibTeX is pasted or someone edits it.
    """
    result = ImportResult()
    index = _Index(Paper.objects.all())
    created_pks = set()
    for candidate in parse_paste(text):
        if candidate.error:
            result.errors.append((candidate.label, candidate.error))
            continue
        paper, how = index.match(candidate.fields)
        if paper is None:
            paper = Paper(**candidate.fields)
            error = _save(paper)
            if error:
                result.errors.append((candidate.label, error))
                continue
            index.add(paper)
            created_pks.add(paper.pk)
            result.created.append((candidate.label, paper, _left_out(candidate)))
            result.arxiv_only += candidate.from_arxiv_id_only
            continue
        changed = _fill_blanks(paper, candidate.fields, index)
        if not changed:
            result.skipped.append((candidate.label, paper, f"Already there (same {how})."))
            continue
        error = _save(paper)
        if error:
            paper.refresh_from_db()
            result.errors.append((candidate.label, error))
            continue
        index.add(paper)
        if paper.pk not in created_pks:
            reason = f"Matched by {how}; added {', '.join(changed)}. {_left_out(candidate)}"
            result.updated.append((candidate.label, paper, reason.strip()))
    return result
