"""Attendance read models: a section's members × weeks matrix and a term's headcounts.

Each is built from a constant number of queries (meetings, members, records) and then shaped
in Python, so its cost does not grow in queries with members or weeks.
"""

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils import get_column_letter

from attendance.models import AttendanceRecord, Member
from sections.models import Meeting, Section

Status = AttendanceRecord.Status
CANCELLED = "cancelled"
NOT_TAKEN = "not taken"  # a meeting held (or past) whose roll nobody took
TO_COME = "to come"  # a meeting not yet over, roll not taken
CELL_DISPLAY = {
    Status.PRESENT: ("P", "present"),
    Status.LATE: ("L", "late"),
    Status.EXCUSED: ("E", "excused"),
    Status.ABSENT: ("A", "absent"),
    CANCELLED: ("—", "cancelled"),
    "": ("", "not marked"),
}


@dataclass
class MemberRow:
    member: Member
    cells: list[str]  # one status per meeting: a Status value, "" (not marked) or "cancelled"
    totals: dict[str, int]
    attended: int
    rate: float | None  # attended / meetings of theirs whose roll was taken; None before any
    counted: int = 0  # those meetings: since they enrolled or first came, whichever is earlier

    @property
    def column_cells(self):
        """(column, status) per meeting: the key of each cell's markup, which the matrix's
        template (templates/jinja2/attendance/report_rows.html) draws once per pair."""
        return list(enumerate(self.cells))

    def joined_cells(self, drawn):
        """This row's cells: the markup `drawn` (by the matrix's template) for each of its
        (column, status) keys, joined. One value for the template to print per member rather
        than one per cell (450 prints at N=50, 0.6 ms)."""
        return "".join([drawn[key] for key in self.column_cells])


@dataclass
class SectionReport:
    section: Section
    meetings: list[Meeting]
    rows: list[MemberRow]
    headcounts: list[int | None]  # present + late per meeting; None when cancelled
    taken: list[bool] = field(default_factory=list)  # roll taken (any record) per meeting
    cell_display = CELL_DISPLAY  # what a cell shows per status: (letter, words)

    @property
    def headcount_cells(self):
        """Per meeting: "—" if cancelled, "" before its roll is taken, else the headcount."""
        return [
            "—" if count is None else (count if taken else "")
            for count, taken in zip(self.headcounts, self.taken, strict=True)
        ]

    @property
    def week_labels(self):
        """“W6” per meeting: the header of its column, and on a phone (where each member is a
        card and the header row is hidden) the label beside each of its cells."""
        return [f"W{meeting.week.number}" for meeting in self.meetings]

    @property
    def labelled_headcounts(self):
        """(week label, headcount cell) per meeting."""
        return list(zip(self.week_labels, self.headcount_cells, strict=True))

    @classmethod
    def build(cls, section):
        meetings = list(section.meetings.select_related("week").order_by("week__number"))
        members = Member.objects.report_roster(section)
        # Unordered (a dict of them): the records' default order joined the meetings and the
        # members only to sort them, half of this query's cost.
        records = AttendanceRecord.objects.for_section(section).order_by()
        status_of = {
            (member_id, meeting_id): status
            for member_id, meeting_id, status in records.values_list(
                "member_id", "meeting_id", "status"
            )
        }
        marked = {meeting_id for _, meeting_id in status_of}
        taken = [m.pk in marked and not m.is_cancelled for m in meetings]
        # Per meeting, its key and whether it was cancelled: read once, not once a member.
        columns = [(m.pk, m.is_cancelled) for m in meetings]
        statuses = Status.values  # a list Django builds anew at each use
        rows = []
        for member in members:
            member_id = member.pk
            cells = [
                CANCELLED if cancelled else status_of.get((member_id, meeting_id), "")
                for meeting_id, cancelled in columns
            ]
            counts = Counter(cells)
            attended = counts[Status.PRESENT] + counts[Status.LATE]
            since = _since(member, meetings, cells)
            counted = sum(
                1
                for meeting, cell, was_taken in zip(meetings, cells, taken, strict=True)
                if was_taken and _counts_for(meeting, cell, since)
            )
            rows.append(
                MemberRow(
                    member=member,
                    cells=cells,
                    totals={status: counts[status] for status in statuses},
                    attended=attended,
                    rate=attended / counted if counted else None,
                    counted=counted,
                )
            )
        headcounts = [
            None
            if meeting.is_cancelled
            else sum(row.cells[index] in AttendanceRecord.ATTENDED for row in rows)
            for index, meeting in enumerate(meetings)
        ]
        return cls(
            section=section, meetings=meetings, rows=rows, headcounts=headcounts, taken=taken
        )

    def csv_rows(self):
        """Header, then one row per member: name, email, affiliation, a status per week,
        totals and rate; then the headcount row."""
        header = ["Name", "Email", "Affiliation"]
        header += [
            f"Week {m.week.number}" + (f" ({m.local_start():%Y-%m-%d})" if m.starts_at else "")
            for m in self.meetings
        ]
        header += [*Status.labels, "Attended", "Rate"]
        yield header
        for row in self.rows:
            yield [
                row.member.roster_name,
                row.member.email,
                row.member.affiliation,
                *row.cells,
                *(row.totals[status] for status in Status.values),
                row.attended,
                "" if row.rate is None else f"{row.rate:.0%}",
            ]
        headcounts = ["" if count is None else count for count in self.headcounts]
        yield self._padded(["Headcount (present + late)", "", "", *headcounts], "")

    def _padded(self, row, blank):
        """`row` with `blank`s up to the header's width: name, email, affiliation, a column
        per meeting, one per status, attended and rate."""
        width = 3 + len(self.meetings) + len(Status.values) + 2
        return row + [blank] * (width - len(row))

    def xlsx(self) -> bytes:
        """The matrix as an Excel workbook: the CSV's columns, with names and other texts as
        text cells (never formulas, no apostrophe shown), a row of meeting dates as date
        cells under the week headings, counts as numbers and rates as percentages."""
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Attendance"
        header = ["Name", "Email", "Affiliation"]
        header += [f"Week {m.week.number}" for m in self.meetings]
        header += [*Status.labels, "Attended", "Rate"]
        dates = [m.local_start().date() if m.starts_at else None for m in self.meetings]
        rows = [header, self._padded(["Meeting date", None, None, *dates], None)]
        for row in self.rows:
            rows.append(
                [
                    row.member.roster_name,
                    row.member.email,
                    row.member.affiliation,
                    *(cell or None for cell in row.cells),
                    *(row.totals[status] for status in Status.values),
                    row.attended,
                    row.rate,
                ]
            )
        headcounts = ["Headcount (present + late)", None, None, *self.headcounts]
        rows.append(self._padded(headcounts, None))
        for values in rows:
            sheet.append([_text_cell(sheet, value) for value in values])
        for column in range(4, 4 + len(self.meetings)):
            sheet.cell(row=2, column=column).number_format = "yyyy-mm-dd"
        for line in range(3, 3 + len(self.rows)):
            sheet.cell(row=line, column=len(header)).number_format = "0%"
        for column, width in ((1, 28), (2, 30), (3, 20)):
            sheet.column_dimensions[get_column_letter(column)].width = width
        sheet.freeze_panes = "D3"
        output = io.BytesIO()
        workbook.save(output)
        return output.getvalue()


def _since(member, meetings, cells):
    """When `member` became one of the section's: their enrollment, or the start of the first
    meeting they came to if that is earlier (None: neither)."""
    visits = [
        meeting.starts_at
        for meeting, cell in zip(meetings, cells, strict=True)
        if cell in AttendanceRecord.ATTENDED and meeting.starts_at is not None
    ]
    moments = [moment for moment in (member.enrolled_at, min(visits, default=None)) if moment]
    return min(moments, default=None)


def _counts_for(meeting, cell, since):
    """Does `meeting` (its roll taken) count towards the rate of a member whose `cell` it is
    and who became one of the section's at `since`? If its roll names them, or if it was not
    over yet at `since` (a meeting without dates counts)."""
    if cell:  # a status of theirs
        return True
    return since is not None and (meeting.ends_at is None or meeting.ends_at > since)


def _text_cell(sheet, value):
    """A string as a text cell, which openpyxl would otherwise write as a formula (`=…`) or an
    error (`#N/A`); quotePrefix keeps it text when someone edits it in a spreadsheet, without
    showing an apostrophe. XML cannot hold control characters: each becomes U+FFFD."""
    if not isinstance(value, str):
        return value
    cell = Cell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


@dataclass
class TermOverview:
    sections: list[Section]
    week_numbers: list[int]
    # section pk → per week: the headcount, NOT_TAKEN (nobody took the roll), TO_COME (not
    # over yet, roll not taken) or None (cancelled, or no meeting)
    headcounts: dict[int, list[int | str | None]]

    @classmethod
    def build(cls, term, now=None):
        now = now or timezone.now()
        sections = list(Section.objects.for_term(term))
        meetings = list(
            Meeting.objects.for_term(term).select_related("week").order_by("week__number")
        )
        counts = {
            meeting_id: (came, records)
            for meeting_id, came, records in AttendanceRecord.objects.filter(
                meeting__section__term=term
            )
            .values("meeting_id")
            .annotate(
                came=Count("pk", filter=Q(status__in=AttendanceRecord.ATTENDED)),
                records=Count("pk"),
            )
            .values_list("meeting_id", "came", "records")
        }
        week_numbers = sorted({m.week.number for m in meetings})
        by_section = defaultdict(dict)
        for meeting in meetings:
            came, records = counts.get(meeting.pk, (0, 0))
            if meeting.is_cancelled:
                cell = None
            elif records:
                cell = came
            elif meeting.ends_at is not None and meeting.ends_at > now:
                cell = TO_COME
            else:
                cell = NOT_TAKEN
            by_section[meeting.section_id][meeting.week.number] = cell
        headcounts = {
            section.pk: [by_section[section.pk].get(n) for n in week_numbers]
            for section in sections
        }
        return cls(sections=sections, week_numbers=week_numbers, headcounts=headcounts)

    def table_rows(self):
        return [(section, self.headcounts[section.pk]) for section in self.sections]

    def chart(self):
        return headcount_chart(
            self.week_numbers,
            [(section.name, self.headcounts[section.pk]) for section in self.sections],
        )


def _number(count):
    """A headcount cell as a bar's height: 0 unless it is a number."""
    return count if isinstance(count, int) else 0


PALETTE = ["#8a1538", "#1f6f8b", "#c77d0a", "#3f7d20", "#6a4c93", "#555555"]


def headcount_chart(week_numbers, series, *, height=200, group_width=48):
    """Geometry for a grouped bar chart (one group per week, one bar per series), drawn by the
    template as SVG: no JavaScript, no inline styles."""
    top, bottom, left = 10, 30, 36
    plot_height = height - top - bottom
    peak = max([_number(count) for _, counts in series for count in counts] + [1])
    step = max(1, -(-peak // 4))  # about four gridlines
    ceiling = step * -(-peak // step)
    bar_width = max(4, (group_width - 8) // max(1, len(series)))
    bars, labels = [], []
    for index, number in enumerate(week_numbers):
        group_x = left + index * group_width
        labels.append({"x": group_x + group_width / 2, "text": number})
        for s, (name, counts) in enumerate(series):
            count = counts[index]
            bar_height = _number(count) * plot_height / ceiling
            bars.append(
                {
                    "x": group_x + 4 + s * bar_width,
                    "y": top + plot_height - bar_height,
                    "width": bar_width - 1,
                    "height": bar_height,
                    "fill": PALETTE[s % len(PALETTE)],
                    "title": f"{name}, week {number}: "
                    + ("cancelled or no meeting" if count is None else f"{count}"),
                }
            )
    ticks = [
        {"y": top + plot_height - value * plot_height / ceiling, "value": value}
        for value in range(0, ceiling + 1, step)
    ]
    return {
        "width": left + max(1, len(week_numbers)) * group_width + 8,
        "height": height,
        "left": left,
        "right": left + max(1, len(week_numbers)) * group_width,
        "baseline": top + plot_height,
        "label_y": height - 10,
        "bars": bars,
        "labels": labels,
        "ticks": ticks,
        "legend": [
            {"name": name, "fill": PALETTE[s % len(PALETTE)]} for s, (name, _) in enumerate(series)
        ],
    }
