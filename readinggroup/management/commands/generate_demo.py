"""Deterministic demo data at scale: `generate_demo --scale N --seed S`.

Scale 1 is one large reading group over three terms (the current one and the two before it):
15 weeks × 4 readings, 4 sections with two leads each, 120 members (30 enrolled in each section
every term), attendance taken at every past meeting, discussion notes on half of the meetings.
Scale N is N such groups, each with its own term slugs (`fall-2026-g2`, …) and people. Same scale,
seed and --today → the same rows, names and counts.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from attendance.models import AttendanceRecord, Enrollment, Member
from sections.models import DiscussionNote, DiscussionNoteRevision, Meeting, Section
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
PAPERS_PER_TERM = WEEKS_PER_TERM * READINGS_PER_WEEK
MEMBERS_PER_GROUP = 120
STATUS_WEIGHTS = [  # how often members come, come late, send word, or don't
    (AttendanceRecord.Status.PRESENT, 70),
    (AttendanceRecord.Status.LATE, 10),
    (AttendanceRecord.Status.EXCUSED, 8),
    (AttendanceRecord.Status.ABSENT, 12),
]
NOTE_LINES = [
    "We started from the paper's main figure and argued about what it really shows.",
    "Most of us found the second section the hardest; we worked through the derivation.",
    "Open question: does this hold for transformers, or only for the toy models?",
    "Someone brought a replication that disagrees with the paper's headline claim.",
    "We compared this week's result with last week's and found a common thread.",
]


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


def generate(*, rng, scale, today, first_group=1):
    """Groups `first_group` … `first_group + scale - 1` (tests add groups to measure growth)."""
    user_model = get_user_model()
    counts = {
        "terms": 0,
        "weeks": 0,
        "papers": 0,
        "sections": 0,
        "meetings": 0,
        "leads": 0,
        "members": 0,
        "attendance records": 0,
        "notes": 0,
    }
    starts = term_starts(today)
    now = timezone.now() if today == timezone.localdate() else _end_of(today)
    for group in range(first_group, first_group + scale):
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
        members = []
        for index in range(MEMBERS_PER_GROUP):
            first, last = person_name(rng)
            members.append(
                Member(
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower()}.g{group}.{index + 1}@example.edu",
                    affiliation=rng.choice(["MIT", "Harvard", "MIT CSAIL", "Wellesley", ""]),
                )
            )
        members = Member.objects.bulk_create(members)
        counts["members"] += len(members)
        for term_index, (season, year, monday) in enumerate(starts):
            first_serial = ((group - 1) * TERMS_PER_GROUP + term_index) * PAPERS_PER_TERM
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
                for serial in range(first_serial, first_serial + PAPERS_PER_TERM)
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
            # bulk_create sends no post_save: one sync below makes the meetings (per-row saves
            # would run the sync and the feeds' touch five times per term).
            sections = Section.objects.bulk_create(
                Section(
                    term=term,
                    name=name,
                    slug=name.lower(),
                    weekday=weekday,
                    start_time=start,
                    end_time=end,
                    room=rng.choice(ROOMS),
                    capacity=40,
                )
                for name, weekday, start, end in SECTION_PLAN
            )
            Section.leads.through.objects.bulk_create(
                Section.leads.through(section_id=section.pk, user_id=lead.pk)
                for s, section in enumerate(sections)
                for lead in (leads[(s * 2) % 6], leads[(s * 2 + 1) % 6])
            )
            counts["meetings"] += sync_meetings(term=term).count()
            attendance, notes = take_attendance_and_notes(
                rng=rng, term=term, sections=sections, members=members, leads=leads, now=now
            )
            counts["attendance records"] += attendance
            counts["notes"] += notes
            counts["terms"] += 1
            counts["weeks"] += len(weeks)
            counts["papers"] += len(papers)
            counts["sections"] += len(SECTION_PLAN)
    return counts


def _end_of(day):
    """Pretend "now" is the end of `day` (for --today)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


def take_attendance_and_notes(*, rng, term, sections, members, leads, now):
    """Enroll 30 members per section, mark every past meeting, write notes on half of them."""
    shuffled = rng.sample(members, len(members))
    per_section = len(members) // len(sections)
    roster = {
        section.pk: shuffled[i * per_section : (i + 1) * per_section]
        for i, section in enumerate(sections)
    }
    Enrollment.objects.bulk_create(
        Enrollment(member=member, section_id=section_id)
        for section_id, enrolled in roster.items()
        for member in enrolled
    )
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    records, notes, past = [], [], []
    meetings = Meeting.objects.filter(section__term=term).order_by("starts_at", "pk")
    for meeting in meetings:
        if meeting.starts_at is None or meeting.starts_at >= now:
            continue
        past.append(meeting)
        recorder = leads[0]
        for member in roster[meeting.section_id]:
            records.append(
                AttendanceRecord(
                    meeting=meeting,
                    member=member,
                    status=rng.choices(statuses, weights)[0],
                    recorded_by=recorder,
                    recorded_at=meeting.ends_at,
                    roster_version=1,
                )
            )
        if rng.random() < 0.5:
            notes.append(
                DiscussionNote(
                    meeting=meeting,
                    body="\n\n".join(rng.sample(NOTE_LINES, 3)),
                    status=DiscussionNote.Status.PUBLISHED,
                    version=1,
                )
            )
    AttendanceRecord.objects.bulk_create(records, batch_size=2000)
    notes = DiscussionNote.objects.bulk_create(notes)
    DiscussionNoteRevision.objects.bulk_create(
        DiscussionNoteRevision(
            note=note, number=1, body=note.body, status=note.status, author=leads[0]
        )
        for note in notes
    )
    DiscussionNote.authors.through.objects.bulk_create(
        DiscussionNote.authors.through(discussionnote_id=note.pk, user_id=leads[0].pk)
        for note in notes
    )
    return len(records), len(notes)
