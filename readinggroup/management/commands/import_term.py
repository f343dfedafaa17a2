from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from readinggroup.term_archive import MAX_FILE_SIZE, import_term, read_term_file


def _refusal(error):
    """“Nothing was imported: <where>: <what>”, one problem a line."""
    return "Nothing was imported: " + "\n  ".join(error.messages)


class Command(BaseCommand):
    help = (
        "Restore a term from a file written by `export_term`, in one transaction, into a "
        "database that has no term with its slug. Every record is validated as the site's forms "
        "would; a file that is larger than "
        f"{MAX_FILE_SIZE}, not a term export of a version this site reads, incomplete, holds a "
        "value the site refuses, or clashes with the database is refused with the place and "
        "reason of each problem, and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A JSON file written by export_term.")

    def handle(self, *args, file, **options):
        try:
            with open(file, "rb") as opened:
                data = read_term_file(opened, file)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except ValidationError as error:
            raise CommandError(_refusal(error)) from error
        try:
            report = import_term(data)
        except ValidationError as error:
            raise CommandError(_refusal(error)) from error
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
