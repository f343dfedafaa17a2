""" "I can't come" (docs/members.md): a member says it from /me/ for an upcoming meeting of
their section; the lead's roster shows it and pre-marks them excused."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from attendance.models import Apology, AttendanceRecord
from attendance.services import send_apology, withdraw_apology
from sections.models import Meeting
from sections.services import cancel_meeting
from tests.factories import AttendanceRecordFactory, EnrollmentFactory, build_term

pytestmark = pytest.mark.django_db

MATRIX = ["anonymous", "member of this section", "member of another section", "lead", "organizer"]


def apologies():
    return list(Apology.objects.values_list("member__name", "meeting", "reason"))


@pytest.mark.parametrize("who", MATRIX)
def test_only_a_member_of_the_section_can_say_they_cant_come(client, people, coming, who):
    if people[who]:
        client.force_login(people[who])
    url = f"/meetings/{coming.pk}/cant-come/"

    got, posted = client.get(url), client.post(url, {"reason": "Ill"})

    if who == "anonymous":
        assert got["Location"] == posted["Location"] == f"/signin/?next={url}"
        assert apologies() == []
    elif who == "member of this section":
        assert got.status_code == 200
        assert f'<form method="post" action="{url}" novalidate>' in got.content.decode()
        assert posted["Location"] == "/me/"
        assert apologies() == [("Ada", coming.pk, "Ill")]
    else:
        assert (got.status_code, posted.status_code) == (404, 404)
        assert apologies() == []


@pytest.mark.parametrize("who", MATRIX)
def test_only_the_member_can_undo_their_cant_come(client, people, coming, who):
    send_apology(member=people["ada"], meeting=coming, reason="Ill")
    if people[who]:
        client.force_login(people[who])

    response = client.post(f"/meetings/{coming.pk}/cant-come/", {"action": "undo"})

    if who == "anonymous":
        assert response["Location"].startswith("/signin/")
    elif who == "member of this section":
        assert response["Location"] == "/me/"
    else:
        assert response.status_code == 404
    assert apologies() == ([] if who == "member of this section" else [("Ada", coming.pk, "Ill")])


def test_my_page_offers_cant_come_then_shows_it_with_undo(client, people, here, coming):
    client.force_login(people["member of this section"])
    url = f"/meetings/{coming.pk}/cant-come/"

    before = client.get("/me/").content.decode()
    sent = client.post(url, {"reason": "  At a conference  "}, follow=True)
    undone = client.post(url, {"action": "undo"}, follow=True)

    assert f'action="{url}"' in before
    assert "I can't come</button>" in before
    html = sent.content.decode()
    assert (
        f"The leads know you can&#x27;t come to the {here.name} section&#x27;s meeting of week "
        f"{coming.week.number}." in html
    )
    assert (
        'You said you can\'t come (“<span class="apology-reason">At a conference</span>”).' in html
    )
    assert "I can come after all" in html
    assert "You are expected at" in undone.content.decode()
    assert "I can come after all" not in undone.content.decode()
    assert apologies() == []


def test_saying_it_again_replaces_the_reason(people, coming):
    send_apology(member=people["ada"], meeting=coming, reason="Ill")
    send_apology(member=people["ada"], meeting=coming, reason="")

    assert apologies() == [("Ada", coming.pk, "")]


def test_a_too_long_or_multi_line_reason_is_refused_next_to_the_field(client, people, coming):
    client.force_login(people["member of this section"])
    url = f"/meetings/{coming.pk}/cant-come/"

    long = client.post(url, {"reason": "x" * 301})
    lines = client.post(url, {"reason": "one\ntwo"})

    assert long.status_code == lines.status_code == 400
    assert long.context["form"].errors == {
        "reason": ["Ensure this value has at most 300 characters (it has 301)."]
    }
    assert lines.context["form"].errors == {
        "reason": [
            "Write this on one line: line breaks, tabs and other control characters are not "
            "allowed here."
        ]
    }
    assert apologies() == []


def test_no_cant_come_for_a_past_or_cancelled_meeting(client, people, here, past, coming):
    cancel_meeting(meeting=coming, reason="Snow day", by=here.leads.get())
    client.force_login(people["member of this section"])

    responses = [
        client.post(f"/meetings/{m.pk}/cant-come/", {"reason": "Ill"}, follow=True)
        for m in (past, coming)
    ]

    assert [str(m) for r in responses for m in r.context["messages"]] == [
        "This meeting has already started. Nothing was changed.",
        "This meeting was cancelled. Nothing was changed.",
    ]
    assert apologies() == []
    html = client.get("/me/").content.decode()
    assert f"/meetings/{coming.pk}/cant-come/" not in html


def test_the_cant_come_page_shows_what_was_said_and_when_it_is_too_late(
    client, people, here, past, coming
):
    send_apology(member=people["ada"], meeting=coming, reason="Ill")
    client.force_login(people["member of this section"])

    said = client.get(f"/meetings/{coming.pk}/cant-come/").content.decode()
    started = client.get(f"/meetings/{past.pk}/cant-come/").content.decode()
    cancel_meeting(meeting=coming, reason="Snow day", by=here.leads.get())
    cancelled = client.get(f"/meetings/{coming.pk}/cant-come/").content.decode()

    assert 'You said you can\'t come (“<span class="apology-reason">Ill</span>”).' in said
    assert "I can come after all</button>" in said
    assert "This meeting has already started. There is nothing to tell the leads" in started
    assert f'action="/meetings/{past.pk}/cant-come/"' not in started
    assert "This meeting was cancelled. There is nothing to tell the leads" in cancelled
    assert f'action="/meetings/{coming.pk}/cant-come/"' not in cancelled


def test_it_cannot_be_undone_once_the_meeting_has_started(people, coming):
    send_apology(member=people["ada"], meeting=coming)
    Meeting.objects.filter(pk=coming.pk).update(starts_at=timezone.now())
    coming.refresh_from_db()

    with pytest.raises(ValidationError) as error:
        withdraw_apology(member=people["ada"], meeting=coming)

    assert error.value.messages == ["This meeting has already started."]
    assert apologies() == [("Ada", coming.pk, "")]


def test_the_service_refuses_a_member_of_another_section(people, coming):
    with pytest.raises(ValidationError) as error:
        send_apology(member=people["bea"], meeting=coming)

    assert error.value.messages == ["You are not in this meeting's section."]


def roster_line(response, member):
    line = next(line for line in response.context["form"].lines() if line.member == member)
    return line.status, line.remark, line.original_status


def test_the_roster_shows_it_and_pre_marks_the_member_excused(client, people, coming):
    send_apology(member=people["ada"], meeting=coming, reason="At a <b>conference</b>")
    client.force_login(people["lead"])

    response = client.get(f"/attendance/meetings/{coming.pk}/")

    assert roster_line(response, people["ada"]) == ("excused", "At a <b>conference</b>", "")
    html = response.content.decode()
    assert "Can't come: At a &lt;b&gt;conference&lt;/b&gt;</span>" in html
    assert "<b>conference</b>" not in html


def test_saving_the_roster_unchanged_records_the_pre_marked_excuse(client, people, coming):
    send_apology(member=people["ada"], meeting=coming, reason="Ill")
    client.force_login(people["lead"])
    url = f"/attendance/meetings/{coming.pk}/"
    form = client.get(url).context["form"]
    data = {"action": "save", "version": 0, "walk_in-status": "present"}
    for line in form.lines():
        status, remark = form.status_name(line.member.pk), form.remark_name(line.member.pk)
        data[status] = line.status
        data[remark] = line.remark
        data[f"original-{status}"] = line.original_status
        data[f"original-{remark}"] = line.original_remark

    client.post(url, data)

    assert list(AttendanceRecord.objects.values_list("member__name", "status", "remark")) == [
        ("Ada", "excused", "Ill")
    ]


def test_a_leads_record_wins_over_cant_come(client, people, coming):
    AttendanceRecordFactory(meeting=coming, member=people["ada"], status="present")
    send_apology(member=people["ada"], meeting=coming, reason="Ill")
    client.force_login(people["lead"])

    response = client.get(f"/attendance/meetings/{coming.pk}/")

    assert roster_line(response, people["ada"]) == ("present", "", "present")


def test_a_long_reason_is_cut_to_fit_the_remark(client, people, coming):
    send_apology(member=people["ada"], meeting=coming, reason="y" * 300)
    client.force_login(people["lead"])

    status, remark, _ = roster_line(client.get(f"/attendance/meetings/{coming.pk}/"), people["ada"])

    assert (status, remark) == ("excused", "y" * 199 + "…")


@pytest.mark.parametrize("terms", [1, 3])
def test_my_page_with_cant_come_keeps_its_query_count(
    client, people, coming, terms, django_assert_num_queries
):
    ada = people["ada"]
    send_apology(member=ada, meeting=coming, reason="Ill")
    for n in range(terms - 1):
        section = build_term(weeks=4, sections=1, slug=f"old-{n}").sections.get()
        EnrollmentFactory(section=section, member=ada)
        for meeting in section.meetings.all():
            Apology.objects.create(member=ada, meeting=meeting)
            AttendanceRecordFactory(meeting=meeting, member=ada)
    client.force_login(people["member of this section"])

    with django_assert_num_queries(13):
        response = client.get("/me/")

    assert "I can come after all" in response.content.decode()
