from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from readinggroup.accounts import issue_account
from sections.models import Section


class Command(BaseCommand):
    help = (
        "Create a section lead's account (or reset an existing user's password), make them a "
        "lead of a section and print a new one-time password. Leads take attendance for their "
        "sections' meetings at /attendance/."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--section",
            required=True,
            metavar="TERM/SECTION",
            help="The section's term and section slugs, e.g. fall-2022/wednesday.",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    @transaction.atomic
    def handle(self, *args, username, section, email, first_name, last_name, **options):
        term_slug, _, section_slug = section.partition("/")
        found = Section.objects.filter(term__slug=term_slug, slug=section_slug).first()
        if found is None:
            known = ", ".join(
                f"{s.term.slug}/{s.slug}" for s in Section.objects.select_related("term")
            )
            raise CommandError(
                f"No section “{section}”. Known sections: {known or 'none (load the data first)'}."
            )
        user, created, password = issue_account(
            username=username, email=email, first_name=first_name, last_name=last_name
        )
        found.leads.add(user)
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} lead “{username}” of {found}."))
        self.stdout.write(f"One-time password: {password}")
        self.stdout.write(
            f"Log in at {reverse('login')} with it: the site first asks for a password of your "
            f"own, and then the one-time one stops working. Take attendance at "
            f"{reverse('attendance:dashboard')}."
        )
