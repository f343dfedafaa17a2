import csv

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from attendance import checkin
from attendance.forms import BulkAddForm, RosterForm, WalkInForm, focus_first
from attendance.models import AttendanceRecord, Member
from attendance.reports import SectionReport, TermOverview
from attendance.roles import can_take_attendance, note_can_take_attendance
from attendance.services import (
    Person,
    RosterConflict,
    enroll_people,
    preview_people,
    record_attendance,
)
from core.roles import is_organizer
from sections.models import Meeting, Section
from syllabus.models import Term

UPCOMING_SHOWN = 10  # besides the next meeting
LIVE_REFRESH = 5  # seconds, the live roster's reload while members check in
PAST_PER_PAGE = 20


def managed_or_denied(queryset, request, **lookup):
    """The object `request.user` manages (`queryset` is scoped with `manageable_by`), else 403
    for users who lead no section and organize nothing, 404 for other leads. The role check
    runs only when the lookup fails, so a lead's own pages pay no query for it. The lookup
    names one object: no ORDER BY (first() would sort by the model's ordering, which cost the
    section's lookup a fifth of its time)."""
    obj = next(iter(queryset.filter(**lookup).order_by()[:1]), None)
    if obj is None:
        if not can_take_attendance(request.user):
            raise PermissionDenied
        raise Http404("No such meeting or section among those you manage.")
    note_can_take_attendance(request.user)
    return obj


@require_safe
@login_required
def dashboard(request):
    """The meetings of the sections the user leads (all sections for organizers), under the
    name of their term: today's or the next one first, then the coming ones, then past ones
    with how many are marked, a page at a time (so the page stays the same size however many
    terms go by); and the reports of every term's sections. The current term comes first
    everywhere, then the others newest first; each term's past meetings newest first."""
    sections = list(Section.objects.manageable_by(request.user).select_related("term"))
    if sections:
        note_can_take_attendance(request.user)
    elif not can_take_attendance(request.user):
        raise PermissionDenied
    current = Term.objects.current()
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    mine = Meeting.objects.manageable_by(request.user).select_related("section__term", "week")
    upcoming = list(
        mine.filter(Q(starts_at__gte=midnight) | Q(starts_at__isnull=True)).order_by(
            F("starts_at").asc(nulls_last=True), "section__name", "pk"
        )[: UPCOMING_SHOWN + 1]
    )
    past_page = Paginator(
        mine.filter(starts_at__lt=midnight)
        .annotate(
            marked=_record_count(),
            attended=_record_count(status__in=AttendanceRecord.ATTENDED),
            in_current_term=Case(
                When(section__term_id=current.pk if current else None, then=Value(True)),
                default=Value(False),
            ),
        )
        .order_by(
            F("in_current_term").desc(),
            F("section__term__first_monday").desc(nulls_last=True),
            "-section__term_id",
            "-starts_at",
            "section__name",
            "pk",
        ),
        PAST_PER_PAGE,
    ).get_page(request.GET.get("page"))
    terms = sorted({s.term for s in sections}, key=_term_order(current))
    next_meeting = upcoming[0] if upcoming else None
    context = {
        "next_meeting": next_meeting,
        "next_is_today": bool(
            next_meeting
            and next_meeting.starts_at
            and next_meeting.local_start().date() == next_meeting.section.term.today()
        ),
        # By term (the template groups them), each term's in date order.
        "upcoming": sorted(upcoming[1:], key=lambda m: _term_order(current)(m.section.term)),
        "past": past_page.object_list,
        "page": past_page,
        "reports": [
            {"term": term, "sections": [s for s in sections if s.term == term]} for term in terms
        ],
        "is_organizer": is_organizer(request.user),
    }
    return render(request, "attendance/dashboard.html", context)


def _record_count(**lookups):
    """How many of a meeting's records match `lookups`, as a subquery per meeting (0 for none).
    A JOIN and GROUP BY over the records grouped by every selected column of the meeting, its
    section, term and week: twice as slow for a page of 20 meetings."""
    records = (
        AttendanceRecord.objects.filter(meeting=OuterRef("pk"), **lookups)
        .order_by()
        .values("meeting")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(records), 0)


def _term_order(current):
    """A sort key for terms: `current` first, then the newest first (as Term.objects.current
    sees them: by first Monday, undated ones last)."""

    def key(term):
        monday = term.first_monday
        return (term != current, monday is None, -(monday.toordinal() if monday else 0), -term.pk)

    return key


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def roster(request, pk):
    meeting = managed_or_denied(
        Meeting.objects.manageable_by(request.user).select_related("section__term", "week"),
        request,
        pk=pk,
    )
    # With each member's record, "I can't come" (pre-marked excused: RosterForm) and "I've
    # read it" and question (roster_preparations) for this meeting.
    members = Member.objects.roster_for(meeting)
    form, walk_in_form = RosterForm(roster=members), WalkInForm()
    conflict, status = None, 200  # conflict: the RosterConflict of a stale save
    if request.method == "POST":
        form = RosterForm(request.POST, roster=members)
        walk_in_form = WalkInForm(request.POST)
        if request.POST.get("action") == "all-present":
            form = RosterForm(form.mark_everyone_present(), roster=form.roster)
            messages.info(request, "Everyone is marked present below: press Save to keep it.")
        elif form.is_valid() and walk_in_form.is_valid():
            try:
                saved = record_attendance(
                    meeting=meeting,
                    entries=form.entries(),
                    recorded_by=request.user,
                    expected_version=form.cleaned_data["version"],
                    walk_in=walk_in_form.walk_in(),
                    theirs=form.their_fields(),
                )
            except RosterConflict as error:
                # Nothing saved. The form now shows the other save with the lead's own changes
                # on top (see RosterForm.merged_after), at the current version.
                conflict, status = error, 409
                form = RosterForm(form.merged_after(error), roster=form.roster)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _saved_message(meeting, saved))
                return redirect("attendance:roster", pk=meeting.pk)
    checkin_open = checkin.is_open(meeting, timezone.now())
    live = checkin_open and request.method != "POST" and request.GET.get("live") == "1"
    context = {
        "meeting": meeting,
        "form": form,
        "walk_in_form": walk_in_form,
        # Listed, linked, above the form; the page opens on the first (it may be 20 lines down).
        "errors_to_fix": focus_first([*form.field_errors(), *walk_in_form.field_errors()]),
        "conflict": None if conflict is None else conflict.changes,
        "merge": conflict,
        "preparations": _preparations(form.roster),
        "checkin_open": checkin_open,
        # ?live=1 while the code is shown: the roster reloads itself to show who checks in
        # (not on a form with the lead's unsaved changes: a POST answer never refreshes).
        "live": LIVE_REFRESH if live else None,
    }
    return render(request, "attendance/roster.html", context, status=status)


@require_safe
@never_cache
@login_required
def checkin_display(request, pk):
    """The meeting's check-in code, full screen, for its leads and organizers to show at the
    door: a QR code (inline SVG, drawn here) of /checkin/<code>/ and the code in large letters.
    The page reloads itself when the code changes (a meta refresh: no script)."""
    meeting = managed_or_denied(
        Meeting.objects.manageable_by(request.user).select_related("section__term", "week"),
        request,
        pk=pk,
    )
    now = timezone.now()
    context = {"meeting": meeting, "refresh": checkin.seconds_left(now)}
    try:
        checkin.check_open(meeting, now)
    except ValidationError as error:
        context["reasons"] = error.messages
    else:
        code = checkin.current_code(meeting, now)
        url = settings.SITE_URL + reverse("members:checkin-code", kwargs={"code": code})
        # segno writes the SVG itself (a path, numbers and a class): nothing of a user's in it.
        svg = segno.make(url, error="m").svg_inline(scale=1, omitsize=True, svgclass="qr")
        context.update(
            code=code,
            code_shown=f"{code[:3]} {code[3:]}",
            url=url,
            qr=mark_safe(svg),
            typed_url=settings.SITE_URL + reverse("members:checkin"),
        )
    return render(request, "attendance/checkin_display.html", context)


def _preparations(roster):
    """The roster's questions (in roster order, with their authors) and who has read it, from
    the roster's own annotations (`roster_for`): no query of their own."""
    return {
        "questions": [{"member": m, "question": m.question} for m in roster if m.question],
        "readers": [m for m in roster if m.read_at],
    }


def _saved_message(meeting, saved):
    what = f"{meeting.section.name}, week {meeting.week.number}"
    if not saved.changed:
        text = f"Nothing changed on {what}."
    else:
        count = len(saved.changed)
        text = f"Saved {count} change{'s' if count != 1 else ''} to {what}."
    if saved.walk_in is not None:
        text += f" {saved.walk_in.roster_name} is on the roster."
    for change in saved.kept:
        text += f" {change.kept}"
    for change in saved.replaced:
        text += f" {change.replaced}"
    return text


def _managed_section(request, pk):
    return managed_or_denied(
        Section.objects.manageable_by(request.user).select_related("term"), request, pk=pk
    )


@require_safe
@login_required
def section_report(request, pk):
    section = _managed_section(request, pk)
    report = SectionReport.build(section)
    return render(request, "attendance/section_report.html", {"report": report})


@require_safe
@login_required
def section_report_csv(request, pk):
    section = _managed_section(request, pk)
    report = SectionReport.build(section)
    filename = f"attendance-{section.term.slug}-{section.slug}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    response.write("\ufeff")  # a byte-order mark, so spreadsheets read the file as UTF-8
    writer = csv.writer(response)
    for row in report.csv_rows():
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return response


@require_safe
@login_required
def section_report_xlsx(request, pk):
    section = _managed_section(request, pk)
    report = SectionReport.build(section)
    filename = f"attendance-{section.term.slug}-{section.slug}.xlsx"
    return HttpResponse(
        report.xlsx(),
        content_type=XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A cell a spreadsheet will not run as a formula: text starting with one of
    = + - @ (or a tab or carriage return) gets a leading apostrophe (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@require_safe
@login_required
def term_overview(request, slug):
    """Organizers only (`is_organizer`, as `manageable_by` decides): everyone else gets 403."""
    if not is_organizer(request.user):
        raise PermissionDenied
    term = get_object_or_404(Term, slug=slug)
    overview = TermOverview.build(term)
    context = {"term": term, "overview": overview, "chart": overview.chart()}
    return render(request, "attendance/term_overview.html", context)


# --- Adding several people at once -------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def section_bulk_add(request, pk):
    """Paste lines of people → a preview (who will be added, who is on the roster already,
    which lines are not understood and why) → confirm: the confirmation re-parses the same
    text and enrolls everyone understood in one transaction (`enroll_people`)."""
    section = _managed_section(request, pk)
    meeting = request.GET.get("meeting", "")
    back = None  # the roster the lead came from, if any: where a confirmation goes back to
    if meeting.isascii() and meeting.isdigit() and len(meeting) < 10:
        back = section.meetings.filter(pk=int(meeting)).select_related("week").first()
    form, preview = BulkAddForm(), None
    if request.method == "POST":
        form = BulkAddForm(request.POST)
        if form.is_valid():
            people = [Person(name=line.name, email=line.email) for line in form.understood()]
            if request.POST.get("action") != "confirm":
                preview = preview_people(section=section, people=people, by=request.user)
            else:
                try:
                    done = enroll_people(section=section, people=people, by=request.user)
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(request, _bulk_message(section, done, form))
                    if back is not None:
                        return redirect("attendance:roster", pk=back.pk)
                    return redirect("attendance:section-report", pk=section.pk)
    context = {
        "term": section.term,
        "section": section,
        "form": form,
        "preview": preview,
        "back": back,
    }
    return render(request, "attendance/section_bulk_add.html", context)


def _bulk_message(section, done, form):
    count = len(done.added)
    text = f"Added {count} {'person' if count == 1 else 'people'} to the {section.name} section."
    if done.already:
        text += f" {len(done.already)} were on its roster already."
    skipped = len(form.not_understood())
    if skipped:
        text += f" {skipped} line{'s' if skipped != 1 else ''} not understood were left out."
    return text
