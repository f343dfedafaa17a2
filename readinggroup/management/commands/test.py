"""`manage.py test` would run Django's unittest runner, which finds none of our pytest tests and
prints OK: it stops instead, and says how the suite runs."""

import sys

from django.core.management.base import BaseCommand, CommandError

MESSAGE = (
    "The tests are pytest tests, which `manage.py test` does not run. Run `make test` (lint, "
    "then the whole suite), or `.venv/bin/pytest tests/<path>` for a part of it."
)


class Command(BaseCommand):
    help = "Stops with a message: the tests run with `make test` (pytest)."

    def run_from_argv(self, argv):
        # Whatever options follow (--keepdb, a test label, …), the answer is the same.
        self.stderr.write(f"CommandError: {MESSAGE}")
        sys.exit(1)

    def handle(self, *args, **options):
        raise CommandError(MESSAGE)
