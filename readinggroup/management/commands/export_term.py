import json

from django.core.management.base import BaseCommand, CommandError

from readinggroup.term_archive import export_term
from syllabus.models import Term


class Command(BaseCommand):
    help = (
        "Write everything of a term (weeks, papers, readings, sections, meetings, notes with "
        "their history, members, enrollments, attendance) as one JSON file, for backups and "
        "for `import_term`."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The term's slug, e.g. fall-2022.")
        parser.add_argument(
            "--output", metavar="FILE", help="Write to FILE instead of standard output."
        )

    def handle(self, *args, slug, output, **options):
        term = Term.objects.filter(slug=slug).first()
        if term is None:
            known = ", ".join(Term.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"No term “{slug}”. Known terms: {known or 'none'}.")
        text = json.dumps(export_term(term), ensure_ascii=False, indent=2) + "\n"
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from error
        self.stderr.write(f"Wrote term “{term.slug}” to {output} ({len(text.encode())} bytes).")
