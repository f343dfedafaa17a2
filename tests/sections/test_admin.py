"""Organizers change meetings and start new terms in the admin, through the same services."""

import datetime
import re

import pytest

from sections.models import Meeting, Section
from sections.services import cancel_meeting
from syllabus.models import Term
from tests.admin_forms import admin_change
from tests.factories import build_term

pytestmark = pytest.mark.django_db

MEETINGS = "/admin/sections/meeting/"
TERMS = "/admin/syllabus/term/"


@pytest.fixture
def term():
    return build_term(weeks=2, readings_per_week=1, sections=2, slug="fall-2022", name="Fall 2022")


def test_organizer_cancels_meetings_with_a_reason_through_an_action(client, organizer, term):
    client.force_login(organizer)
    week_2 = list(Meeting.objects.filter(week__number=2).order_by("pk"))
    selected = {"action": "cancel_meetings", "_selected_action": [m.pk for m in week_2]}

    form_page = client.post(MEETINGS, selected)
    applied = client.post(
        MEETINGS, {**selected, "apply": "Cancel", "reason": "No meeting: Veterans Day"}, follow=True
    )

    assert form_page.status_code == 200
    assert form_page.templates[0].name == "admin/sections/action_form.html"
    assert list(form_page.context["objects"]) == week_2
    assert [str(m) for m in applied.context["messages"]] == ["Cancelled 2 meeting(s)."]
    assert (
        list(
            Meeting.objects.filter(week__number=2).values_list("status", "public_note", "sequence")
        )
        == [("cancelled", "No meeting: Veterans Day", 1)] * 2
    )
    assert set(Meeting.objects.filter(week__number=1).values_list("status", flat=True)) == {
        "scheduled"
    }


def test_admin_cancel_without_reason_shows_the_form_again(client, organizer, term):
    client.force_login(organizer)
    meeting = Meeting.objects.first()

    response = client.post(
        MEETINGS,
        {"action": "cancel_meetings", "_selected_action": [meeting.pk], "apply": "1", "reason": ""},
    )

    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert Meeting.objects.get(pk=meeting.pk).status == "scheduled"


def test_organizer_moves_a_meeting_through_an_action(client, organizer, term):
    client.force_login(organizer)
    meeting = Meeting.objects.get(week__number=1, section__weekday=0)  # Monday Sep 12
    selected = {"action": "move_meeting", "_selected_action": [meeting.pk]}

    bad = client.post(
        MEETINGS,
        {
            **selected,
            "apply": "1",
            "date": "2022-09-13",
            "start_time": "19:00",
            "end_time": "18:00",
        },
    )
    client.post(
        MEETINGS,
        {
            **selected,
            "apply": "1",
            "date": "2022-09-13",
            "start_time": "18:00",
            "end_time": "19:00",
            "room": "4-231",
        },
    )

    assert bad.context["form"].errors == {"end_time": ["The end must be after the start."]}
    meeting.refresh_from_db()
    assert (meeting.when_display, meeting.room, meeting.sequence, meeting.changed_by) == (
        "Tue Sep 13, 6–7 pm",
        "4-231",
        1,
        organizer,
    )


def test_admin_move_needs_exactly_one_meeting(client, organizer, term):
    client.force_login(organizer)
    pks = list(Meeting.objects.values_list("pk", flat=True)[:2])

    response = client.post(
        MEETINGS, {"action": "move_meeting", "_selected_action": pks}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == ["Select exactly one meeting to move."]


def test_organizer_restores_meetings_through_an_action(client, organizer, term):
    client.force_login(organizer)
    meeting = Meeting.objects.first()
    cancel_meeting(meeting=meeting, reason="Exams", by=None)

    selected = {"action": "restore_meetings", "_selected_action": [meeting.pk]}

    form_page = client.post(MEETINGS, selected)
    unchanged = Meeting.objects.get(pk=meeting.pk).status
    response = client.post(MEETINGS, {**selected, "apply": "Restore"}, follow=True)

    meeting.refresh_from_db()
    assert form_page.templates[0].name == "admin/sections/action_form.html"
    assert unchanged == "cancelled"  # the first post only asks
    assert (meeting.status, meeting.sequence) == ("scheduled", 2)
    assert [str(m) for m in response.context["messages"]] == ["Restored 1 meeting(s)."]


def test_meeting_change_form_in_the_admin_is_read_only_and_links_to_the_change_page(
    client, organizer, term
):
    client.force_login(organizer)
    meeting = Meeting.objects.first()

    response = client.get(f"{MEETINGS}{meeting.pk}/change/")

    assert list(response.context["adminform"].form.fields) == []
    assert f'href="/meetings/{meeting.pk}/change/"' in response.content.decode()


def test_organizer_starts_the_next_term_from_the_admin(client, organizer, term):
    client.force_login(organizer)
    selected = {"action": "start_next_term", "_selected_action": [term.pk]}

    form_page = client.post(TERMS, selected)
    response = client.post(
        TERMS,
        {
            **selected,
            "apply": "1",
            "name": "Spring 2023",
            "slug": "spring-2023",
            "first_monday": "2023-02-06",
        },
        follow=True,
    )

    # attendance adds "copy_members" (tests/attendance/test_next_term.py); unticked here.
    assert list(form_page.context["form"].fields) == [
        "name",
        "slug",
        "first_monday",
        "skip_weeks",
        "copy_members",
    ]
    new = Term.objects.get(slug="spring-2023")
    assert response.redirect_chain == [(f"/admin/syllabus/term/{new.pk}/change/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Started Spring 2023 from Fall 2022: its weeks, readings, sections and meetings are "
        "copied. It is not published yet."
    ]
    assert (new.is_published, new.weeks.count(), Meeting.objects.for_term(new).count()) == (
        False,
        2,
        4,
    )


def test_start_next_term_with_a_taken_slug_shows_the_error(client, organizer, term):
    client.force_login(organizer)

    response = client.post(
        TERMS,
        {
            "action": "start_next_term",
            "_selected_action": [term.pk],
            "apply": "1",
            "name": "Again",
            "slug": "fall-2022",
            "first_monday": "2023-02-06",
        },
    )

    assert response.context["form"].errors == {
        "slug": ["A term with the slug “fall-2022” already exists."]
    }
    assert Term.objects.count() == 1


def test_the_term_admin_keeps_its_columns_and_gains_the_action(client, organizer, term):
    client.force_login(organizer)

    response = client.get(TERMS)

    changelist = response.context["cl"]
    assert changelist.list_display[1:] == [
        "name",
        "title",
        "first_monday",
        "time_zone",
        "is_published",
        "joining_open",
        "week_count",
    ]
    assert [name for name, _ in response.context["action_form"].fields["action"].choices] == [
        "",
        "delete_selected",
        "start_next_term",
    ]


def test_leads_who_are_not_organizers_cannot_use_meeting_actions(client, term):
    lead = term.sections.first().leads.get()
    lead.is_staff = True
    lead.save()
    client.force_login(lead)
    meeting = Meeting.objects.first()

    response = client.post(
        MEETINGS,
        {"action": "restore_meetings", "_selected_action": [meeting.pk]},
    )

    assert response.status_code == 403
    assert Meeting.objects.get(pk=meeting.pk).sequence == 0


ONE_LINE_ERROR = (
    "Write this on one line: line breaks, tabs and other control characters are not allowed here."
)


def test_section_admin_refuses_line_breaks_in_name_and_room(client, organizer, term):
    client.force_login(organizer)
    section = term.sections.first()
    url = f"/admin/sections/section/{section.pk}/change/"

    response = admin_change(client, url, name="Wed\r\nnesday", room="2-151\nBEGIN:VEVENT")

    assert response.context["adminform"].form.errors == {
        "name": [ONE_LINE_ERROR],
        "room": [ONE_LINE_ERROR],
    }
    assert Section.objects.get(pk=section.pk).room == section.room


def test_admin_actions_refuse_line_breaks_in_reasons_rooms_and_names(client, organizer, term):
    client.force_login(organizer)
    meeting = Meeting.objects.get(week__number=1, section__weekday=0)
    cancel = {"action": "cancel_meetings", "_selected_action": [meeting.pk], "apply": "1"}
    move = {"action": "move_meeting", "_selected_action": [meeting.pk], "apply": "1"}
    when = {"date": "2022-09-13", "start_time": "18:00", "end_time": "19:00"}
    copy = {"action": "start_next_term", "_selected_action": [term.pk], "apply": "1"}

    cancelled = client.post(MEETINGS, {**cancel, "reason": "Holiday\nSUMMARY:x"})
    moved = client.post(MEETINGS, {**move, **when, "room": "4-231\r\nX", "note": "a\x0bb"})
    copied = client.post(
        TERMS, {**copy, "name": "Spring\n2023", "slug": "spring", "first_monday": "2023-02-06"}
    )

    assert cancelled.context["form"].errors == {"reason": [ONE_LINE_ERROR]}
    assert moved.context["form"].errors == {"room": [ONE_LINE_ERROR], "note": [ONE_LINE_ERROR]}
    assert copied.context["form"].errors == {"name": [ONE_LINE_ERROR]}
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence, Term.objects.count()) == ("scheduled", 0, 1)


# --- Start the next term: the dates laid out, holiday weeks skipped, copied texts flagged ------


def next_term_post(term, **fields):
    return {
        "action": "start_next_term",
        "_selected_action": [term.pk],
        "name": "Spring 2023",
        "slug": "spring-2023",
        "first_monday": "2023-02-06",
        **fields,
    }


def layout_rows(response):
    """Each row of the page's dates table: (calendar week, topic, skip box: None, False or
    True)."""
    html = response.content.decode()
    table = re.search(r'<table class="next-term-layout">(.*?)</table>', html, re.S)
    rows = []
    for row in re.findall(r"<tr class=\"layout-[a-z]+\">(.*?)</tr>", table.group(1), re.S):
        week = re.search(r"<th scope=\"row\">(.*?)</th>", row).group(1)
        topic = re.findall(r"<td>(.*?)</td>", row, re.S)[0]
        box = re.search(r'<input type="checkbox" name="skip_weeks"[^>]*>', row)
        rows.append((week, topic, None if box is None else " checked" in box.group()))
    return rows


def test_the_next_term_form_lays_out_the_dates_once_a_first_monday_is_picked(
    client, organizer, term
):
    client.force_login(organizer)

    first = client.post(TERMS, next_term_post(term))
    laid_out = client.post(TERMS, next_term_post(term, layout="Lay out the dates"))

    assert first.context["layout"] is None
    assert "then “Lay out the dates”" in first.content.decode()
    assert laid_out.context["form"].errors == {}
    titles = [w.title for w in term.weeks.order_by("number")]
    assert layout_rows(laid_out) == [
        ("Mon Feb 6 – Sun Feb 12, 2023", f"Week 1: {titles[0]}", False),
        ("Mon Feb 13 – Sun Feb 19, 2023", f"Week 2: {titles[1]}", False),
    ]
    assert Term.objects.count() == 1  # laying out starts nothing


def test_skipping_a_week_on_the_next_term_form_moves_the_later_weeks_on(client, organizer, term):
    client.force_login(organizer)
    titles = [w.title for w in term.weeks.order_by("number")]

    laid_out = client.post(TERMS, next_term_post(term, layout="1", skip_weeks=["2023-02-06"]))
    started = client.post(
        TERMS, next_term_post(term, apply="1", skip_weeks=["2023-02-06"]), follow=True
    )

    assert layout_rows(laid_out) == [
        ("Mon Feb 6 – Sun Feb 12, 2023", "No meeting", True),
        ("Mon Feb 13 – Sun Feb 19, 2023", f"Week 1: {titles[0]}", False),
        ("Mon Feb 20 – Sun Feb 26, 2023", f"Week 2: {titles[1]}", False),
    ]
    new = Term.objects.get(slug="spring-2023")
    assert started.redirect_chain == [(f"/admin/syllabus/term/{new.pk}/change/", 302)]
    assert [w.starts_on for w in new.weeks.order_by("number")] == [
        datetime.date(2023, 2, 13),
        datetime.date(2023, 2, 20),
    ]
    assert sorted(
        m.local_start().date()
        for m in Meeting.objects.for_term(new).select_related("section__term")
    ) == sorted(
        datetime.date(2023, 2, 13) + datetime.timedelta(weeks=w, days=s.weekday)
        for w in (0, 1)
        for s in new.sections.all()
    )


@pytest.mark.parametrize(
    ("skip", "error"),
    [
        (
            "2023-02-07",
            "Weeks to skip are given by their Monday; reload the page and tick them again.",
        ),
        (
            "07/02/2023",
            "Weeks to skip are given by their Monday; reload the page and tick them again.",
        ),
        ("2023-01-30", "A week to skip is before the first Monday; tick the weeks again."),
    ],
)
def test_a_forged_week_to_skip_is_an_error_and_starts_nothing(client, organizer, term, skip, error):
    client.force_login(organizer)

    response = client.post(TERMS, next_term_post(term, apply="1", skip_weeks=[skip]))

    assert response.context["form"].errors == {"skip_weeks": [error]}
    assert error in response.content.decode().replace("&#x27;", "'")
    assert Term.objects.count() == 1


def test_starting_the_next_term_flags_copied_text_that_names_the_old_term(client, organizer, term):
    term.intro = "This fall at MIT (2022), we read papers."
    term.save()
    term.weeks.filter(number=2).update(tagline="Why did Fall 2022 go so well?")
    client.force_login(organizer)

    response = client.post(TERMS, next_term_post(term, apply="1"), follow=True)

    assert [str(m) for m in response.context["messages"]][1:] == [
        "2 copied texts still name Fall 2022: they are listed above the form. Edit them before "
        "you publish the term."
    ]
    html = response.content.decode()
    box = re.search(r'<div class="module named-texts" id="named-texts">(.*?)</div>', html, re.S)
    text = re.sub(r"<[^>]+>", "", box.group(1).replace("</li>", " "))
    assert " ".join(text.split()) == (
        "Copied text that names Fall 2022 These texts of Spring 2023 still name Fall 2022, its "
        "year or its season. Check each before you publish this term. "
        "Intro: “This fall at MIT (2022), we read papers.” "
        "Week 2: tagline: “Why did Fall 2022 go so well?”"
    )


def test_the_flags_go_once_the_texts_are_edited_or_the_term_is_published(client, organizer, term):
    term.intro = "This fall at MIT (2022), we read papers."
    term.save()
    client.force_login(organizer)
    client.post(TERMS, next_term_post(term, apply="1"))
    new = Term.objects.get(slug="spring-2023")
    url = f"{TERMS}{new.pk}/change/"

    flagged = client.get(url).context["named_texts"]
    Term.objects.filter(pk=new.pk).update(intro="This spring at MIT (2023), we read papers.")
    edited = client.get(url).context.get("named_texts")
    Term.objects.filter(pk=new.pk).update(intro=term.intro, is_published=True)
    published = client.get(url).context.get("named_texts")

    assert [text.where for text in flagged] == ["Intro"]
    assert (edited, published) == ([], None)


@pytest.mark.parametrize("weeks", [1, 3])
def test_the_next_term_pages_run_the_same_queries_however_many_weeks(
    client, organizer, django_assert_num_queries, weeks
):
    old = build_term(weeks=weeks, readings_per_week=2, sections=2, slug="old", name="Fall 2022")
    Term.objects.filter(pk=old.pk).update(intro="This fall (2022).")
    client.force_login(organizer)
    data = next_term_post(old, layout="1", skip_weeks=["2023-02-06"])

    # session, user, permissions (user's, groups'), the selected term (the action's list and
    # the page's), its weeks
    with django_assert_num_queries(8):
        laid_out = client.post(TERMS, data)
    client.post(TERMS, next_term_post(old, apply="1"))
    new = Term.objects.get(slug="spring-2023")
    client.get(f"{TERMS}{new.pk}/change/")  # the content types' cache filled
    with django_assert_num_queries(10):
        page = client.get(f"{TERMS}{new.pk}/change/")

    assert len(laid_out.context["layout"]) == weeks + 1
    assert [text.where for text in page.context["named_texts"]] == ["Intro"]
