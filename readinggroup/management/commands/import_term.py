import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from readinggroup.term_archive import import_term


class Command(BaseCommand):
    help = (
        "Restore a term from a file written by `export_term`, in one transaction, into a "
        "database that has no term with its slug. Refuses (and changes nothing) when the file "
        "is not a term export of a version this site reads, is incomplete, or clashes with the "
        "database."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A JSON file written by export_term.")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8") as opened:
                data = json.load(opened)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"Nothing was imported: {file} is not UTF-8 text.") from error
        except json.JSONDecodeError as error:
            raise CommandError(
                f"Nothing was imported: {file} is not valid JSON ({error.msg} at line "
                f"{error.lineno}, column {error.colno})."
            ) from error
        try:
            report = import_term(data)
        except ValidationError as error:
            raise CommandError(f"Nothing was imported: {' '.join(error.messages)}") from error
        created = ", ".join(f"{count} {what}" for what, count in report.created.items())
        self.stdout.write(
            self.style.SUCCESS(f"Imported term “{report.term.slug}” ({report.term}): {created}.")
        )
        reused = ", ".join(f"{count} {what}" for what, count in report.reused.items() if count)
        if reused:
            self.stdout.write(f"Already in the database and kept as they were: {reused}.")
        for difference in report.differing:
            self.stdout.write(f"  {difference}")
        if report.created["users"]:
            self.stdout.write(
                "New accounts have no password: give one with `make organizer` or `make lead`."
            )
