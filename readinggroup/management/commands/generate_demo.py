"""Deterministic demo data at scale: `generate_demo --scale N --seed S`.

Scale 1 is one large reading group over three terms (the current one and the two before it):
15 weeks × 4 readings, 4 sections with two leads each. Scale N is N such groups, each with its own
term slugs (`fall-2026-g2`, …). Same scale and seed → the same rows, names and counts.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from sections.models import Section
from sections.services import sync_meetings
from syllabus.models import Paper, Reading, Term, Week

FIRST_NAMES = """Ada Alan Alex Amara Ana Ben Bo Carla Chen Chidi Dana Diego Elena Emil Eric Fatima
Felix Grace Hana Hugo Ines Ivan Jae Jamal Jia Jonas Julia Kai Kaivu Lars Lea Leo Lin Luca Maya
Mei Mia Nadia Noah Nora Omar Oren Priya Rafael Ravi Rosa Sam Sara Sofia Tariq Tom Uma Vera Wei
Yara Yusuf Zoe""".split()
LAST_NAMES = """Abebe Adams Ahmed Alvarez Bauer Becker Chen Costa Cruz Dubois Eze Fischer Garcia
Gupta Hariharan Hoffmann Ito Jensen Kim Kowalski Kumar Lee Lopez Martin Michaud Moreau Nakamura
Nguyen Novak Okafor Olsen Park Patel Petrov Rossi Santos Schmidt Silva Singh Sato Tanaka Torres
Wagner Wang Weber Yamamoto Yilmaz Zhang""".split()
TOPICS = """Scaling Laws|Grokking|Induction Heads|Adversarial Examples|The Infinite-Width Limit|
Information Bottlenecks|Lottery Tickets|Double Descent|Mechanistic Interpretability|Superposition|
In-Context Learning|Loss Landscapes|Implicit Regularization|Neural Tangent Kernels|
Emergent Capabilities|Phase Transitions|Feature Learning|Sparse Autoencoders|Optimization Dynamics|
Memorization|Compositionality|Representation Geometry|Calibration|Distribution Shift""".replace(
    "\n", ""
).split("|")
WORDS = """understanding neural networks deep learning generalization scaling transformers features
circuits training dynamics emergence representations theory empirical analysis sparse models
gradient descent overparameterized interpretability loss landscape memorization""".split()
VENUES = ["NeurIPS", "ICML", "ICLR", "Distill", "JMLR", "arXiv preprint", "TMLR"]
ROOMS = ["2-151", "4-146", "32-123", "26-100", "56-114", "E25-111", "10-250", "66-110"]
SECTION_PLAN = [  # (name, weekday, start, end)
    ("Monday", 0, datetime.time(17), datetime.time(19)),
    ("Tuesday", 1, datetime.time(12), datetime.time(13)),
    ("Wednesday", 2, datetime.time(18), datetime.time(20)),
    ("Friday", 4, datetime.time(19, 30), datetime.time(20, 30)),
]
WEEKS_PER_TERM = 15
READINGS_PER_WEEK = 4
TERMS_PER_GROUP = 3


def term_starts(today):
    """First Mondays of the current term and the two before (fall and spring semesters)."""
    starts = []
    year = today.year
    candidates = []
    for y in range(year - 2, year + 1):
        candidates += [("spring", y, datetime.date(y, 2, 1)), ("fall", y, datetime.date(y, 9, 1))]
    for season, y, first in candidates:
        monday = first + datetime.timedelta(days=(7 - first.weekday()) % 7)
        if monday <= today:
            starts.append((season, y, monday))
    return starts[-TERMS_PER_GROUP:]


class Command(BaseCommand):
    help = "Generate deterministic demo data: --scale N groups of 3 terms (N=1 is one large group)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="Pretend it is this date (YYYY-MM-DD); default: today.",
        )

    def handle(self, *args, scale, seed, today, **options):
        if scale < 1:
            raise CommandError("--scale must be at least 1.")
        today = today or timezone.localdate()
        if Term.objects.filter(slug__endswith="-g1").exists():
            raise CommandError("Demo data is already there: use an empty database.")
        rng = random.Random(seed)
        with transaction.atomic():
            counts = generate(rng=rng, scale=scale, today=today)
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Generated {summary}."))


def person_name(rng):
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def generate(*, rng, scale, today):
    user_model = get_user_model()
    counts = {"terms": 0, "weeks": 0, "papers": 0, "sections": 0, "meetings": 0, "leads": 0}
    starts = term_starts(today)
    for group in range(1, scale + 1):
        leads = []
        for index in range(6):
            first, last = person_name(rng)
            leads.append(
                user_model(
                    username=f"lead-g{group}-{index + 1}",
                    first_name=first,
                    last_name=last,
                    email=f"lead{index + 1}.g{group}@example.edu",
                    password="!",  # unusable: demo people cannot log in
                )
            )
        leads = user_model.objects.bulk_create(leads)
        counts["leads"] += len(leads)
        for season, year, monday in starts:
            term = Term.objects.create(
                name=f"{season.title()} {year}",
                slug=f"{season}-{year}-g{group}",
                title=f"Science of Deep Learning (group {group})",
                institution="Demo University",
                intro="A generated term for measuring the site at scale.",
                format_note="First hour reading, second hour discussion.",
                supporters="the Demo AI Club",
                first_monday=monday,
                is_published=True,
            )
            term.organizers.add(leads[0])
            weeks = Week.objects.bulk_create(
                Week(
                    term=term,
                    number=n,
                    title=rng.choice(TOPICS) + ("" if n % 3 else " II"),
                    tagline=" ".join(rng.sample(WORDS, 6)).capitalize() + "?",
                )
                for n in range(1, WEEKS_PER_TERM + 1)
            )
            papers = Paper.objects.bulk_create(
                Paper(
                    title=" ".join(rng.sample(WORDS, 7)).capitalize(),
                    authors=", ".join(" ".join(person_name(rng)) for _ in range(rng.randint(1, 5))),
                    year=rng.randint(2012, year),
                    venue=rng.choice(VENUES),
                    arxiv_id=f"2{serial // 100000 % 10}01.{serial % 100000:05d}"
                    if serial % 2
                    else "",
                    doi="" if serial % 2 else f"10.5555/demo.{serial}",
                )
                for serial in range(
                    counts["papers"], counts["papers"] + WEEKS_PER_TERM * READINGS_PER_WEEK
                )
            )
            Reading.objects.bulk_create(
                Reading(
                    week=week,
                    paper=papers[w * READINGS_PER_WEEK + order],
                    order=order,
                    kind=Reading.Kind.REQUIRED if order < 2 else Reading.Kind.OPTIONAL,
                )
                for w, week in enumerate(weeks)
                for order in range(READINGS_PER_WEEK)
            )
            for s, (name, weekday, start, end) in enumerate(SECTION_PLAN):
                section = Section.objects.create(
                    term=term,
                    name=name,
                    slug=name.lower(),
                    weekday=weekday,
                    start_time=start,
                    end_time=end,
                    room=rng.choice(ROOMS),
                    capacity=40,
                )
                section.leads.add(leads[(s * 2) % 6], leads[(s * 2 + 1) % 6])
            counts["meetings"] += sync_meetings(term=term).count()
            counts["terms"] += 1
            counts["weeks"] += len(weeks)
            counts["papers"] += len(papers)
            counts["sections"] += len(SECTION_PLAN)
    return counts
