from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse

from readinggroup.accounts import issue_account


class Command(BaseCommand):
    help = (
        "Create an organizer account (or reset an existing user's password and make them an "
        "organizer) and print a new one-time password. Organizers are staff in the "
        "“Organizers” group: they edit terms, weeks, papers and sections in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    @transaction.atomic
    def handle(self, *args, username, email, first_name, last_name, **options):
        user, created, password = issue_account(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            is_staff=True,
        )
        user.groups.add(Group.objects.get(name="Organizers"))
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} organizer “{username}”."))
        self.stdout.write(f"One-time password: {password}")
        self.stdout.write(
            f"Log in at {reverse('admin:index')} with it: the site first asks for a password of "
            "your own, and then the one-time one stops working."
        )
