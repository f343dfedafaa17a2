"""A whole term as one JSON document, and back: backups that lose nothing.

`export_term(term)` gives a dict of plain JSON values; `import_term(data)` restores such a dict
into a database that does not hold the term yet, in one transaction, or raises ValidationError
and changes nothing. The file names things by what they are (term and section slugs, week
numbers, usernames, member emails or refs, paper keys), never by database ids, so it can go
into any database. Dates, times and date-times are ISO 8601 text, date-times in UTC to the
microsecond.

Version 1 of the format holds, besides `format`, `version` and `exported_at`:

- `term`: its fields and `organizers` (usernames). `joining_open`, `place`, `reminder_hour`,
  `checkin_opens_before` and `late_after` came later: a file without them imports with the
  values every term had before (`format.ADDED_LATER`); durations are "hh:mm:ss" text;
- `users`: every user the term names (organizers, leads, note authors, whoever changed a meeting
  or recorded attendance, members' accounts): username, names and email, never a password;
- `papers`: the papers its readings use, each with a `key` the readings refer to (`arXiv:<id>`,
  else `doi:<doi>`, else the title);
- `weeks`, `readings` (`week` number, `paper` key), `sections` (`leads` usernames);
- `meetings` (`section` slug, `week` number, every field: regular and actual times, status,
  public note, SEQUENCE, who changed it and when);
- `notes` (per meeting, with `authors` and every revision under `revisions`);
- `members` (everyone enrolled in or attending its sections), `enrollments` and `attendance`
  (`section`, `week`, `member`, `recorded_by` username). `member` is the member's email, or,
  for a member without one, its `ref` (`m1`, `m2`, …: only those members have a `ref`, which
  came later; `format.MAY_BE_ABSENT`). Files written before refs name a member without an
  email by “”: one such member imports, two cannot be told apart.

Import reuses what the database already has, unchanged: a user with the same username, a member
with the same email (any capitals) and one without an email with no email in the database
either, the same name and `created_at` to the microsecond (the same row: a file imported
again, or a walk-in of two terms; never where the file or the database has two of that name
and time), the same paper by the rule the paste import uses too
(`syllabus.models.PaperMatcher`: the same arXiv id or DOI in any capitals, else the same title
unless their ids or authors tell them apart). Users it creates
get an unusable password (and no staff flag or group). It refuses a term whose slug exists.

`read_term_file` reads a file of at most 50 MB. `import_term` validates every record as the
site's forms would (field validation and `clean()`, dates the pages can compute, no NUL
characters, the notes' length limit, uniqueness in memory) and refuses the whole file, listing
each problem as “<where>: <what>”, before writing anything (see docs/term-archive.md). Rows are
then inserted in batches, with no query per row; no `post_save` receiver runs the meeting sync:
meetings are written exactly as exported (cached pages see the new rows by themselves, through
the data version's triggers: core/freshness.py).

The package: `format` (the document's keys and JSON types, and the checks of them), `export`
(`export_term`) and `importer` (`read_term_file`, `import_term`).
"""

from readinggroup.term_archive.export import export_term, paper_keys
from readinggroup.term_archive.format import FORMAT, VERSION
from readinggroup.term_archive.importer import (
    MAX_FILE_BYTES,
    MAX_FILE_SIZE,
    ImportReport,
    import_term,
    read_term_file,
)

__all__ = [
    "FORMAT",
    "MAX_FILE_BYTES",
    "MAX_FILE_SIZE",
    "VERSION",
    "ImportReport",
    "export_term",
    "import_term",
    "paper_keys",
    "read_term_file",
]
