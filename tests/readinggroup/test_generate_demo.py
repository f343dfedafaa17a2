import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from attendance.models import AttendanceRecord, Member
from sections.models import DiscussionNote, Meeting, Section
from syllabus.models import Paper, Reading, Term, Week
from tests.factories import delete_terms

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def generate(seed, scale=1):
    call_command(
        "generate_demo", "--scale", str(scale), "--seed", str(seed), "--today", "2026-11-26",
        stdout=io.StringIO(),
    )  # fmt: skip
    snapshot = {
        "counts": [
            model.objects.count()
            for model in (Term, Week, Paper, Reading, Section, Meeting, Member, AttendanceRecord)
        ],
        "notes": DiscussionNote.objects.count(),
        "statuses": sorted(AttendanceRecord.objects.values_list("status", flat=True)),
        "terms": list(Term.objects.order_by("slug").values_list("slug", "first_monday")),
        "people": list(
            get_user_model().objects.order_by("username").values_list("first_name", "last_name")
        ),
        "weeks": list(
            Week.objects.order_by("term__slug", "number").values_list("title", flat=True)
        ),
        "papers": sorted(Paper.objects.values_list("title", "authors")),
    }
    delete_terms()
    Paper.objects.all().delete()
    Member.objects.all().delete()
    get_user_model().objects.all().delete()
    return snapshot


def test_generate_demo_is_deterministic():
    first = generate(seed=7)
    second = generate(seed=7)

    assert first == second
    # 5010 records: 167 past meetings (of 180; the term in progress has 13 to come) × 30.
    assert first["counts"] == [3, 45, 180, 180, 12, 180, 120, 5010]
    assert 0.4 < first["notes"] / 167 < 0.6
    assert [slug for slug, _ in first["terms"]] == [
        "fall-2025-g1",
        "fall-2026-g1",
        "spring-2026-g1",
    ]


def test_generate_demo_another_seed_gives_other_names():
    assert generate(seed=7)["people"] != generate(seed=8)["people"]


def test_generate_demo_scales_by_groups():
    assert generate(seed=1, scale=2)["counts"] == [6, 90, 360, 360, 24, 360, 240, 10020]


def test_generate_demo_refuses_to_run_twice_into_one_database():
    call_command("generate_demo", "--today", "2026-11-26", stdout=io.StringIO())

    with pytest.raises(CommandError, match="already there"):
        call_command("generate_demo", "--today", "2026-11-26", stdout=io.StringIO())
