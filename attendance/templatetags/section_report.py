"""`{% report_rows report %}`: the section report's members × weeks matrix, one `<tr>` per
member (a cell per meeting, then the totals and the rate).

Written here rather than as nested `{% for %}` loops in templates/attendance/section_report.html
because the template engine spent about 0.2 ms a row on them (40 ms of the page for a
200-member roster of 15 weeks). This writes the same bytes the loops wrote
(tests/attendance/test_golden_pages.py holds them), escaping every value as the template did.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from attendance.reports import CELL_DISPLAY

register = template.Library()


def _rate(rate):
    """`{% if row.rate is None %}–{% else %}{% widthratio row.rate 1 100 %}%{% endif %}`."""
    if rate is None:
        return "–"
    return f"{round(float(rate) / 1.0 * 100)}%"


def _cell(week, status, letter, label):
    return (
        "\n                "
        f'<td class="text-center cell-{escape(status) or "none"}" data-label="{escape(week)}">'
        f'<span aria-hidden="true">{escape(letter)}</span>'
        f'<span class="visually-hidden">{escape(label)}</span></td>\n              '
    )


def _row(row, cell_html):
    """`cell_html`: per meeting, its cell's markup by status."""
    cells = "".join(markup[status] for markup, status in zip(cell_html, row.cells, strict=True))
    totals = row.totals
    return (
        "\n            <tr>"
        f'\n              <th scope="row" class="member-name">{escape(row.member.roster_name)}</th>'
        f"\n              {cells}"
        '\n              <td class="text-end member-total" data-label="Present">'
        f"{totals['present']}</td>"
        f'\n              <td class="text-end member-total" data-label="Late">{totals["late"]}</td>'
        '\n              <td class="text-end member-total" data-label="Excused">'
        f"{totals['excused']}</td>"
        '\n              <td class="text-end member-total" data-label="Absent">'
        f"{totals['absent']}</td>"
        '\n              <td class="text-end member-total member-rate" data-label="Rate">'
        f"{_rate(row.rate)}</td>"
        "\n            </tr>"
        "\n          "
    )


@register.simple_tag
def report_rows(report):
    """The matrix's body rows of `report` (a SectionReport)."""
    # A cell's markup depends only on its meeting's column and its status: made once each.
    cell_html = [
        {status: _cell(week, status, *CELL_DISPLAY[status]) for status in CELL_DISPLAY}
        for week in report.week_labels
    ]
    return mark_safe("".join(_row(row, cell_html) for row in report.rows))
