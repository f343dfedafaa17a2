"""A full section's waiting list: joining it (double opt-in), the place in line, leaving it, and
a place that frees up going to the first in line, who is enrolled and told by email."""

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.utils import timezone

from attendance.models import Enrollment, Member, WaitingListEntry
from attendance.services import (
    Person,
    WalkIn,
    add_walk_in,
    enroll_people,
    fill_free_places,
    join_section,
    join_waiting_list,
    leave_section,
    merge_members,
    record_attendance,
)
from sections.models import Meeting, Section
from tests.admin_forms import admin_change
from tests.factories import (
    EnrollmentFactory,
    MemberFactory,
    SectionFactory,
    build_term,
    this_monday,
)
from tests.hostile import STORED_HTML, STORED_HTML_ESCAPED
from tests.mailbox import delivered
from tests.threads import both_at_once, postgresql_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def term(db):
    """As the conftest's `term`, but running now (from last Monday): a term that has ended
    takes no new members (test_join.py: test_a_term_that_has_ended_takes_no_one)."""
    return build_term(
        weeks=3, readings_per_week=1, sections=2, slug="running", first_monday=this_monday(weeks=-1)
    )


LINK = re.compile(r"^(http://testserver/join/confirm/\?token=\S+)$", re.MULTILINE)
SITE = "https://readinggroup.example.edu"


@pytest.fixture(autouse=True)
def _email(settings):
    settings.EMAIL_CONFIGURED = True
    settings.SITE_URL = SITE


def join_url(section):
    return f"/terms/{section.term.slug}/sections/{section.slug}/join/"


def ask(client, section, name="Ada Lovelace", email="ada@example.edu", affiliation=""):
    return client.post(
        join_url(section), {"name": name, "email": email, "affiliation": affiliation}
    )


def open_link(client, message):
    """Open the emailed link (a page with a button) and press the button."""
    (url,) = LINK.findall(message.body)
    page = client.get(url)
    assert page.status_code == 200, page.content.decode()[:500]
    return client.post("/join/confirm/", {"token": page.context["token"]})


def full(section, capacity=1):
    """`section` with `capacity` places, every one taken."""
    section.capacity = capacity
    section.save()
    taken = section.enrollments.count()
    for n in range(capacity - taken):
        EnrollmentFactory(section=section, member__name=f"Sitting {n}")
    return section


def waiting(section, *names):
    """Members called `names` in `section`'s waiting list, in that order."""
    members = []
    for name in names:
        member = MemberFactory(name=name, email=f"{name.lower()}@example.edu")
        WaitingListEntry.objects.create(section=section, member=member)
        members.append(member)
    return members


def line(section):
    return list(
        WaitingListEntry.objects.filter(section=section)
        .in_line()
        .values_list("member__name", flat=True)
    )


def roster(section):
    return sorted(Enrollment.objects.filter(section=section).values_list("member__name", flat=True))


def told(section):
    """(to, subject) of every email sent, in order."""
    return [(m.to, m.subject) for m in delivered()]


def opened(section, *members):
    subject = f"A place opened in the {section.name} section"
    return [([member.email], subject) for member in members]


# --- Joining the waiting list ----------------------------------------------------------------


def test_a_full_section_takes_a_place_in_line_once_the_link_is_used(client, section):
    full(section)
    waiting(section, "Bea")

    page = client.get(join_url(section))
    asked = ask(client, section, affiliation="MIT EECS")

    html = page.content.decode()
    assert f"The {section.name} section is full." in html
    assert "Join the waiting list</button>" in html
    assert list(page.context["form"].fields) == ["name", "email", "affiliation"]
    assert "We sent a link to <strong>ada@example.edu</strong>" in asked.content.decode()
    (message,) = delivered()
    assert message.to == ["ada@example.edu"]
    assert message.subject == f"Confirm joining the waiting list of the {section.name} section"
    assert "Ada" not in message.body
    assert f"the waiting list of the {section.name} section of {section.term.title}" in (
        message.body
    )
    assert line(section) == ["Bea"]
    assert not Member.objects.filter(email="ada@example.edu").exists()

    confirmed = open_link(client, message)

    assert confirmed.status_code == 200
    assert "you are <strong>2nd in line</strong>" in confirmed.content.decode()
    assert line(section) == ["Bea", "Ada Lovelace"]
    assert roster(section) == ["Sitting 0"]
    ada = Member.objects.get(email="ada@example.edu")
    assert (ada.name, ada.affiliation) == ("Ada Lovelace", "MIT EECS")
    assert int(client.session["_auth_user_id"]) == ada.user_id


def test_the_confirmation_page_and_my_page_say_the_place_in_line(client, section):
    full(section)
    waiting(section, "Bea", "Cy")
    ask(client, section)

    confirmed = open_link(client, delivered()[0])
    me = client.get("/me/")

    assert "you are <strong>3rd in line</strong>" in confirmed.content.decode()
    assert [(e.section, e.in_line) for e in me.context["waiting"]] == [(section, "3rd in line")]
    assert '<span class="waiting-place">3rd in line</span>' in me.content.decode()


def test_a_link_used_again_keeps_the_place_and_signs_no_one_in(client, section):
    full(section)
    waiting(section, "Bea")
    ask(client, section)
    message = delivered()[0]
    open_link(client, message)
    waiting(section, "Cy")

    someone_else = Client()
    again = open_link(someone_else, message)

    assert "You were in line already: you are <strong>2nd in line</strong>" in (
        again.content.decode()
    )
    assert "_auth_user_id" not in someone_else.session
    assert line(section) == ["Bea", "Ada Lovelace", "Cy"]


def test_a_member_of_the_section_is_not_put_in_line(client, section):
    ada = EnrollmentFactory(section=section, member__email="ada@example.edu").member
    full(section, capacity=2)
    ask(client, section)

    confirmed = open_link(Client(), delivered()[0])
    place = join_waiting_list(section=section, name="Ada", email="ADA@example.edu")

    assert confirmed["Location"] == "/signin/"
    assert (place.member, place.position, place.new) == (ada, None, False)
    assert line(section) == []


def test_a_join_link_used_once_the_section_is_full_offers_the_waiting_list(client, section):
    section.capacity = 1
    section.save()
    ask(client, section)
    (url,) = LINK.findall(delivered()[0].body)
    token = client.get(url).context["token"]
    EnrollmentFactory(section=section, member__name="Quicker")

    refused = client.post("/join/confirm/", {"token": token})
    queued = client.post("/join/confirm/", {"token": token, "action": "wait"})

    assert refused.status_code == 409
    assert "Join the waiting list</button>" in refused.content.decode()
    assert "you are <strong>1st in line</strong>" in queued.content.decode()
    assert line(section) == ["Ada Lovelace"]
    assert roster(section) == ["Quicker"]


def test_a_waiting_list_link_used_when_a_place_is_free_enrolls_at_once(client, section):
    full(section)
    ask(client, section)
    section.capacity = 2
    section.save()

    confirmed = open_link(client, delivered()[0])

    assert confirmed["Location"] == "/me/"
    assert roster(section) == ["Ada Lovelace", "Sitting 0"]
    assert line(section) == []


def test_no_waiting_list_while_joining_is_closed(client, section):
    full(section)
    ask(client, section)
    section.term.joining_open = False
    section.term.save()

    refused = open_link(Client(), delivered()[0])
    page = client.get(join_url(section))

    assert refused.status_code == 409
    assert f"Joining is closed for {section.term.name}." in refused.content.decode()
    assert "Join the waiting list" not in page.content.decode()
    assert line(section) == []


def test_no_waiting_list_once_the_term_has_ended(client, section):
    full(section)
    ask(client, section)
    section.term.first_monday = datetime.date(2022, 9, 12)  # three weeks: over on October 2
    section.term.save()

    refused = open_link(Client(), delivered()[0])
    page = client.get(join_url(section))

    ended = f"{section.term.name} ended on October 2, 2022: its sections take no new members."
    assert refused.status_code == 409
    assert ended in refused.content.decode()
    assert ended in page.content.decode()
    assert "Join the waiting list" not in page.content.decode()
    assert line(section) == []


def test_being_enrolled_any_way_takes_a_member_off_the_line(section, lead):
    full(section)
    ada, bea, _ = waiting(section, "Ada", "Bea", "Cy")

    add_walk_in(section=section, name="Ada", email=ada.email, by=lead)
    enroll_people(section=section, people=[Person("Bea", bea.email)], by=lead)

    assert line(section) == ["Cy"]
    assert roster(section) == ["Ada", "Bea", "Sitting 0"]


def test_joining_with_an_older_link_takes_a_member_off_the_line(section):
    full(section)
    (dee,) = waiting(section, "Dee")
    Section.objects.filter(pk=section.pk).update(capacity=2)  # no one has filled it yet

    member, enrolled = join_section(section=section, name="Dee", email=dee.email)

    assert (member, enrolled) == (dee, True)
    assert (roster(section), line(section)) == (["Dee", "Sitting 0"], [])


def test_a_walk_in_on_a_roster_save_is_taken_off_the_line(section, lead, meeting):
    full(section)
    (ada,) = waiting(section, "Ada")

    record_attendance(
        meeting=meeting,
        entries=[],
        recorded_by=lead,
        expected_version=0,
        walk_in=WalkIn(name="Ada", email=ada.email),
    )

    assert line(section) == []


def test_a_newcomer_waits_behind_the_line_even_if_a_place_is_free(section):
    full(section, capacity=2)
    waiting(section, "Bea")
    Enrollment.objects.filter(member__name="Sitting 0").delete()  # freed, not yet filled

    with pytest.raises(ValidationError) as refused:
        join_section(section=section, name="Ada", email="ada@example.edu")

    assert refused.value.code == "full"


# --- A place frees up ------------------------------------------------------------------------


@pytest.fixture
def crowded(people, here):
    """`here` full (Ada and nobody else, capacity 1) with Cy then Dee waiting."""
    full(here)
    return waiting(here, "Cy", "Dee")


def test_leaving_gives_the_place_to_the_first_in_line_who_is_told_by_email(
    client, people, here, crowded, django_capture_on_commit_callbacks
):
    cy, _ = crowded
    client.force_login(people["member of this section"])
    coming = (
        Meeting.objects.filter(section=here, starts_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/me/sections/{here.pk}/leave/")

    assert response["Location"] == "/me/"
    assert (roster(here), line(here)) == (["Cy"], ["Dee"])
    assert told(here) == opened(here, cy)
    body = delivered()[0].body
    term = here.term
    assert body.startswith("Hello Cy,\n\nA place opened in the ")
    assert (
        f"A place opened in the {here.name} section of {term.title} ({term.name}): you were "
        "first on its waiting list, so you are now a member of the section."
    ) in body
    assert (
        f"The next meeting: week {coming.week.number}, {coming.week.title}, "
        f"{coming.when_display} · {coming.room}."
    ) in body
    assert f"leave the section there:\n\n{SITE}/me/\n" in body


def test_moving_gives_the_place_left_to_the_first_in_line(
    client, people, here, there, crowded, django_capture_on_commit_callbacks
):
    cy, _ = crowded
    client.force_login(people["member of this section"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/me/sections/{here.pk}/move/", {"section": there.pk})

    assert response["Location"] == "/me/"
    assert (roster(here), line(here)) == (["Cy"], ["Dee"])
    assert roster(there) == ["Ada", "Bea"]
    assert told(here) == opened(here, cy)


def test_an_organizer_deleting_an_enrollment_in_the_admin_gives_the_place(
    client, organizer, people, here, crowded, django_capture_on_commit_callbacks
):
    cy, _ = crowded
    client.force_login(organizer)
    url = f"/admin/attendance/member/{people['ada'].pk}/change/"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_change(client, url, **{"enrollments-0-DELETE": "on"})

    assert response.status_code == 302
    assert (roster(here), line(here)) == (["Cy"], ["Dee"])
    assert told(here) == opened(here, cy)


def test_an_organizer_moving_an_enrollment_in_the_admin_gives_the_place(
    client, organizer, people, here, there, crowded, django_capture_on_commit_callbacks
):
    cy, _ = crowded
    client.force_login(organizer)
    url = f"/admin/attendance/member/{people['ada'].pk}/change/"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_change(client, url, **{"enrollments-0-section": str(there.pk)})

    assert response.status_code == 302
    assert (roster(here), line(here)) == (["Cy"], ["Dee"])
    assert told(here) == opened(here, cy)


def test_an_organizer_adding_someone_in_the_admin_takes_them_off_the_line(
    client, organizer, here, crowded, django_capture_on_commit_callbacks
):
    _, dee = crowded
    client.force_login(organizer)
    url = f"/admin/attendance/member/{dee.pk}/change/"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_change(client, url, **{"enrollments-0-section": str(here.pk)})

    assert response.status_code == 302
    assert (roster(here), line(here)) == (["Ada", "Dee"], ["Cy"])
    assert delivered() == []


def test_an_organizer_deleting_a_member_in_the_admin_gives_the_place(
    client, organizer, people, here, crowded, django_capture_on_commit_callbacks
):
    cy, _ = crowded
    client.force_login(organizer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/attendance/member/{people['ada'].pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    assert (roster(here), line(here)) == (["Cy"], ["Dee"])
    assert told(here) == opened(here, cy)


@pytest.mark.parametrize(
    ("capacity", "enrolled", "still_waiting"),
    [("2", ["Ada", "Cy"], ["Dee", "Eve"]), ("3", ["Ada", "Cy", "Dee"], ["Eve"])],
)
def test_raising_the_capacity_in_the_admin_gives_the_new_places(
    client,
    organizer,
    here,
    crowded,
    capacity,
    enrolled,
    still_waiting,
    django_capture_on_commit_callbacks,
):
    cy, dee = crowded
    waiting(here, "Eve")
    client.force_login(organizer)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_change(
            client, f"/admin/sections/section/{here.pk}/change/", capacity=capacity
        )

    assert response.status_code == 302
    assert (roster(here), line(here)) == (enrolled, still_waiting)
    assert told(here) == opened(here, cy, dee)[: len(enrolled) - 1]


def test_clearing_the_capacity_in_the_admin_enrolls_everyone_in_line(
    client, organizer, here, crowded, django_capture_on_commit_callbacks
):
    cy, dee = crowded
    client.force_login(organizer)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_change(client, f"/admin/sections/section/{here.pk}/change/", capacity="")

    assert response.status_code == 302
    assert (roster(here), line(here)) == (["Ada", "Cy", "Dee"], [])
    assert told(here) == opened(here, cy, dee)


def test_merging_two_enrolled_members_gives_the_place_freed(
    here, people, crowded, django_capture_on_commit_callbacks
):
    cy, _ = crowded
    here.capacity = 2
    here.save()
    twin = EnrollmentFactory(section=here, member__name="Ada L.", member__email="").member

    with django_capture_on_commit_callbacks(execute=True):
        merge_members(keep=people["ada"], others=[twin])

    assert (roster(here), line(here)) == (["Ada", "Cy"], ["Dee"])
    assert told(here) == opened(here, cy)


def test_merging_keeps_the_earliest_place_in_line(here, people, crowded):
    cy, dee = crowded
    merged = merge_members(keep=dee, others=[cy])

    assert line(here) == ["Dee"]
    assert WaitingListEntry.objects.with_position().get(member=merged).in_line == "1st in line"


def test_a_place_goes_only_when_it_is_free_and_someone_waits(
    here, people, lead, django_capture_on_commit_callbacks
):
    full(here)  # Ada
    walk_in = add_walk_in(section=here, name="Walk In", email="walk@example.edu", by=lead)
    (cy,) = waiting(here, "Cy")

    with django_capture_on_commit_callbacks(execute=True):
        leave_section(enrollment=Enrollment.objects.get(member=walk_in))  # still full
    assert (roster(here), line(here), delivered()) == (["Ada"], ["Cy"], [])

    with django_capture_on_commit_callbacks(execute=True):
        leave_section(enrollment=Enrollment.objects.get(member=people["ada"]))
    assert (roster(here), line(here)) == (["Cy"], [])
    assert told(here) == opened(here, cy)

    with django_capture_on_commit_callbacks(execute=True):
        promoted = leave_section(enrollment=Enrollment.objects.get(member=cy))  # nobody waits
    assert (promoted, roster(here), len(delivered())) == ([], [], 1)


def test_no_one_is_enrolled_while_joining_is_closed(here, people, crowded):
    here.term.joining_open = False
    here.term.save()

    promoted = leave_section(enrollment=Enrollment.objects.get(member=people["ada"]))

    assert (promoted, roster(here), line(here)) == ([], [], ["Cy", "Dee"])
    here.term.joining_open = True
    here.term.save()
    assert [m.name for m in fill_free_places(section=here)] == ["Cy"]


def test_no_one_is_enrolled_once_the_term_has_ended(here, people, crowded):
    here.term.first_monday = datetime.date(2022, 9, 12)
    here.term.save()

    promoted = leave_section(enrollment=Enrollment.objects.get(member=people["ada"]))

    assert (promoted, roster(here), line(here), delivered()) == ([], [], ["Cy", "Dee"], [])


def test_a_change_rolled_back_sends_no_email(
    here, people, crowded, django_capture_on_commit_callbacks
):
    cy, _ = crowded
    ada = Enrollment.objects.get(member=people["ada"])

    def leave_then_fail():
        with transaction.atomic():
            leave_section(enrollment=ada)
            raise RuntimeError("something after it failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        leave_then_fail()

    assert (callbacks, delivered()) == ([], [])
    assert (roster(here), line(here)) == (["Ada"], ["Cy", "Dee"])

    with django_capture_on_commit_callbacks(execute=True):
        leave_section(enrollment=ada)
    assert told(here) == opened(here, cy)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_leaves_at_once_give_two_places_to_two_people(settings, now_term, here):
    settings.SITE_URL = SITE
    full(here, capacity=2)
    ada, bea = (e.member for e in here.enrollments.order_by("pk"))
    cy, dee, _ = waiting(here, "Cy", "Dee", "Eve")
    mail.outbox = []

    outcomes, blocked = both_at_once(
        lambda: leave_section(enrollment=Enrollment.objects.get(member=ada, section=here)),
        lambda: leave_section(enrollment=Enrollment.objects.get(member=bea, section=here)),
    )

    assert blocked  # the second waited for the first's lock on the section
    assert outcomes == {"first": [cy], "second": [dee]}
    assert (roster(here), line(here)) == (["Cy", "Dee"], ["Eve"])
    assert sorted(told(here)) == sorted(opened(here, cy, dee))


# --- My page: my places in line, leaving a line ----------------------------------------------


MATRIX = ["anonymous", "member of this section", "member of another section", "lead", "organizer"]


@pytest.fixture
def ada_waits(people, there):
    """Ada (a member of `here`) is 1st in line for `there`, which Bea fills."""
    full(there)
    entry = WaitingListEntry.objects.create(section=there, member=people["ada"])
    waiting(there, "Cy")
    return entry


@pytest.mark.parametrize("who", MATRIX)
def test_only_the_member_may_leave_their_place_in_line(client, people, there, ada_waits, who):
    if people[who]:
        client.force_login(people[who])
    url = f"/me/sections/{there.pk}/waiting-list/leave/"

    asked, left = client.get(url), client.post(url)

    if who == "anonymous":
        assert (asked.status_code, left.status_code) == (302, 302)
        assert left["Location"] == f"/signin/?next={url}"
    elif who == "member of this section":
        assert asked.status_code == 200
        assert f"Leave the waiting list of the {there.name} section?" in asked.content.decode()
        assert "You are 1st in line." in asked.content.decode()
        assert left["Location"] == "/me/"
    else:
        assert (asked.status_code, left.status_code) == (404, 404)
    expected = ["Cy"] if who == "member of this section" else ["Ada", "Cy"]
    assert line(there) == expected
    assert roster(there) == ["Bea"]


def test_my_page_lists_my_places_in_line_and_no_one_elses(client, people, there, ada_waits):
    client.force_login(people["member of this section"])

    html = client.get("/me/").content.decode()
    bea = Client()
    bea.force_login(people["member of another section"])

    assert f"{there.name} section</a> ({there.term.name}): " in html
    assert '<span class="waiting-place">1st in line</span>' in html
    assert f'href="/me/sections/{there.pk}/waiting-list/leave/">Leave the waiting list' in html
    # (the CSRF token is random letters: it may hold "Cy")
    assert "Cy" not in re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    assert "My waiting lists" not in bea.get("/me/").content.decode()


def test_names_are_escaped_on_the_waiting_list_pages(client, organizer, section):
    full(section)
    ask(client, section, name=STORED_HTML)
    (url,) = LINK.findall(delivered()[0].body)

    confirm_page = client.get(url)
    confirmed = client.post("/join/confirm/", {"token": confirm_page.context["token"]})
    client.force_login(organizer)
    admin_list = client.get("/admin/attendance/waitinglistentry/")

    for page in (confirm_page, admin_list):
        assert STORED_HTML_ESCAPED in page.content.decode()
        assert STORED_HTML not in page.content.decode()
    assert confirmed.status_code == 200


# --- Organizers: the waiting lists in the admin ----------------------------------------------


def test_organizers_see_the_waiting_lists_by_term_and_section(client, organizer, section, here):
    full(section)
    full(here)
    waiting(section, "Ada", "Bea")
    waiting(here, "Cy")
    client.force_login(organizer)

    everyone = client.get("/admin/attendance/waitinglistentry/")
    one_section = client.get("/admin/attendance/waitinglistentry/", {"section__id__exact": here.pk})
    one_term = client.get(
        "/admin/attendance/waitinglistentry/", {"section__term__id__exact": section.term_id}
    )
    inline = client.get(f"/admin/sections/section/{section.pk}/change/")

    def shown(response):
        return [(e.member.name, e.in_line) for e in response.context["cl"].result_list]

    assert sorted(shown(everyone)) == [
        ("Ada", "1st in line"),
        ("Bea", "2nd in line"),
        ("Cy", "1st in line"),
    ]
    assert shown(one_section) == [("Cy", "1st in line")]
    assert shown(one_term) == [("Ada", "1st in line"), ("Bea", "2nd in line")]
    (formset,) = [
        f.formset
        for f in inline.context["inline_admin_formsets"]
        if f.formset.model is WaitingListEntry
    ]
    assert [f.instance.member.name for f in formset.forms] == ["Ada", "Bea"]


def test_organizers_cannot_type_places_in(client, organizer):
    client.force_login(organizer)

    assert client.get("/admin/attendance/waitinglistentry/add/").status_code == 403


# --- Query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("lines", [1, 3])
def test_my_page_runs_a_fixed_number_of_queries_whatever_my_lines(
    client, people, now_term, lines, django_assert_num_queries
):
    for n in range(lines):
        section = SectionFactory(term=now_term, capacity=1, name=f"Extra {n}", slug=f"extra-{n}")
        waiting(section, *(f"Ahead{n}x{k}" for k in range(n)))
        WaitingListEntry.objects.create(section=section, member=people["ada"])
    client.force_login(people["member of this section"])

    with django_assert_num_queries(13):
        response = client.get("/me/")

    assert [e.in_line for e in response.context["waiting"]] == [
        f"{n + 1}{['st', 'nd', 'rd'][n]} in line" for n in range(lines)
    ]


@pytest.mark.parametrize("ahead", [1, 3])
def test_the_leave_page_runs_a_fixed_number_of_queries(
    client, people, there, ahead, django_assert_num_queries
):
    full(there)
    waiting(there, *(f"Ahead {n}" for n in range(ahead)))
    WaitingListEntry.objects.create(section=there, member=people["ada"])
    client.force_login(people["member of this section"])

    # session, user (with the header's two roles), member, the place in line (with its position)
    with django_assert_num_queries(4):
        response = client.get(f"/me/sections/{there.pk}/waiting-list/leave/")

    assert f"You are {ahead + 1}" in response.content.decode()


@pytest.mark.parametrize("waiting_count", [1, 3])
def test_a_full_join_page_runs_a_fixed_number_of_queries(
    client, section, waiting_count, django_assert_num_queries
):
    full(section)
    waiting(section, *(f"W{n}" for n in range(waiting_count)))

    # the section and its term, the term's weeks (has it ended?), its enrollments counted
    with django_assert_num_queries(3):
        response = client.get(join_url(section))

    assert "Join the waiting list</button>" in response.content.decode()


def test_section_page_says_how_many_places_and_that_a_full_one_has_a_line(client, section):
    section.capacity = 12
    section.save()

    html = client.get(section.get_absolute_url()).content.decode()

    assert (
        "12 places. Once they are taken, joining puts you on the section's waiting list: a "
        "place that frees up goes to the first in line."
    ) in html


def test_sections_without_capacity_never_queue(section):
    place = join_waiting_list(section=section, name="Ada", email="ada@example.edu")

    assert (place.position, place.new) == (None, True)
    assert roster(section) == ["Ada"]
    assert Section.objects.get(pk=section.pk).waiting_list.count() == 0


@pytest.mark.slow
def test_the_waiting_list_pages_are_valid_html(client, people, there, ada_waits, tmp_path):
    from tests.html_checker import html_errors

    full_join = client.get(join_url(there))
    ask(client, there, name="Eve", email="eve@example.edu")
    (url,) = LINK.findall(delivered()[0].body)
    link_page = client.get(url)
    in_line = client.post("/join/confirm/", {"token": link_page.context["token"]})
    client.force_login(people["member of this section"])
    pages = {
        "join page, full": full_join,
        "waiting-list link": link_page,
        "in line": in_line,
        "my page": client.get("/me/"),
        "leave the line": client.get(f"/me/sections/{there.pk}/waiting-list/leave/"),
    }

    errors = html_errors({name: r.content.decode() for name, r in pages.items()}, tmp_path)

    assert errors == {name: [] for name in pages}
