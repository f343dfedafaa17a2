"""The admin as an organizer finds it: the syllabus first, apps in their order of work, the
"First Monday" label, and an index that leads with this term's shortcuts."""

import re

import pytest

from syllabus.models import Paper, Term
from tests.factories import TermFactory, build_term

pytestmark = pytest.mark.django_db


def test_the_admin_lists_the_syllabus_first_and_its_apps_in_their_order_of_work(
    client, organizer, fall2022
):
    client.force_login(organizer)

    response = client.get("/admin/")

    apps = response.context["app_list"]
    assert [(app["name"], [m["name"] for m in app["models"]]) for app in apps] == [
        ("Syllabus", ["Terms", "Weeks", "Papers", "Readings"]),
        ("Sections and meetings", ["Sections", "Meetings", "Discussion notes"]),
        (
            "Attendance",
            ["Members", "Attendance records", "Apologies", "Preparations", "Waiting-list places"],
        ),
        ("Email", ["Outgoing emails", "Email opt-outs"]),
        ("Authentication and Authorization", ["Users"]),
    ]


def test_the_side_bar_lists_the_apps_in_the_same_order(client, admin_user, fall2022):
    client.force_login(admin_user)

    response = client.get(f"/admin/syllabus/term/{fall2022.pk}/change/")

    assert [app["app_label"] for app in response.context["available_apps"]] == [
        "syllabus",
        "sections",
        "attendance",
        "notifications",
        "core",
        "auth",
        "axes",
        "django_tasks_database",  # the task engine's own results, for superusers
    ]


def test_the_term_admin_says_first_monday_with_a_capital_m(client, organizer, fall2022):
    client.force_login(organizer)

    change = client.get(f"/admin/syllabus/term/{fall2022.pk}/change/").content.decode()
    changelist = client.get("/admin/syllabus/term/").content.decode()
    action = client.post(
        "/admin/syllabus/term/",
        {"action": "start_next_term", "_selected_action": [fall2022.pk]},
    ).content.decode()

    assert '<label for="id_first_monday">First Monday:</label>' in change
    assert re.search(r'<a href="\?o=3">First Monday</a>', changelist)
    assert '<label for="id_first_monday">First Monday:</label>' in action
    assert "First monday" not in change + changelist + action


def this_term_rows(html):
    """The index's "This term" module: its caption and each row's text, tags removed."""
    module = re.search(r'<div class="module this-term" id="this-term">(.*?)</table>', html, re.S)
    assert module, "no This term module"
    text = re.sub(r"<thead.*?</thead>", "", module.group(1), flags=re.S)
    rows = re.findall(r"<(?:caption|tr)[^>]*>(.*?)</(?:caption|tr)>", text, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", row).split()) for row in rows]


def test_the_admin_index_leads_with_this_terms_shortcuts(client, organizer, fall2022):
    client.force_login(organizer)

    html = client.get("/admin/").content.decode()

    papers = Paper.objects.filter(readings__week__term=fall2022).distinct().count()
    assert this_term_rows(html) == [
        "This term: Fall 2022",
        "Weeks 11",
        "Sections 2",
        f"Papers {papers}",
        "Leads Wednesday: Eric Michaud (emichaud) "
        "Friday: Eric Michaud (emichaud), Alex Infanger (ainfanger)",
    ]
    assert html.index('id="this-term"') < html.index('class="app-syllabus module')
    links = re.findall(r'<th scope="row"><a href="([^"]+)">(\w+)</a></th>', html)
    pk = fall2022.pk
    assert links[:3] == [
        (f"/admin/syllabus/week/?term__id__exact={pk}", "Weeks"),
        (f"/admin/sections/section/?term__id__exact={pk}", "Sections"),
        (f"/admin/syllabus/paper/?readings__week__term__id__exact={pk}", "Papers"),
    ]


def test_each_shortcut_opens_the_list_of_this_terms_items(client, organizer, fall2022):
    build_term(weeks=1, sections=1, slug="other", first_monday=None, is_published=False)
    client.force_login(organizer)
    html = client.get("/admin/").content.decode()
    module = html[html.index('id="this-term"') : html.index('class="app-syllabus module')]
    links = {label: url for url, label in re.findall(r'<a href="([^"]+)">(\w+)</a>', module)}

    counts = {
        label: client.get(links[label].replace("&amp;", "&")).context["cl"].result_count
        for label in ("Weeks", "Sections", "Papers")
    }

    assert counts == {
        "Weeks": 11,
        "Sections": 2,
        "Papers": Paper.objects.filter(readings__week__term=fall2022).distinct().count(),
    }


def test_without_a_published_term_the_index_offers_the_latest_one_and_says_so(client, organizer):
    TermFactory(name="Fall 2030", is_published=False)
    client.force_login(organizer)

    html = client.get("/admin/").content.decode()

    assert this_term_rows(html)[0] == "This term: Fall 2030 (not published)"


def test_without_any_term_the_index_is_the_usual_list(client, organizer):
    client.force_login(organizer)

    response = client.get("/admin/")

    assert response.context["this_term"] is None
    assert 'id="this-term"' not in response.content.decode()
    assert Term.objects.count() == 0


@pytest.mark.parametrize("terms", [1, 3])
def test_the_admin_index_runs_the_same_queries_however_many_terms(
    client, organizer, django_assert_num_queries, terms
):
    for n in range(terms):
        build_term(weeks=2 + n, sections=1 + n, slug=f"t{n}", first_monday=None)
    client.force_login(organizer)

    # session, user, the user's and the groups' permissions, this term, its counts, its
    # sections, their leads, the recent actions
    with django_assert_num_queries(9):
        client.get("/admin/")
