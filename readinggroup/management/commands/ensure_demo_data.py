from django.core.management import call_command
from django.core.management.base import BaseCommand

from syllabus.models import Term


class Command(BaseCommand):
    help = "Load the Fall 2022 fixture if the database has no term yet (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--fixture", default="fall2022")

    def handle(self, *args, fixture, **options):
        if Term.objects.exists():
            self.stdout.write("The database already has a term; nothing loaded.")
            return
        call_command("loaddata", fixture, verbosity=options["verbosity"])
        self.stdout.write(self.style.SUCCESS(f"Loaded the {fixture} fixture."))
