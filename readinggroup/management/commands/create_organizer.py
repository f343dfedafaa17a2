import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction


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
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=username)
        for field, value in (
            ("email", email),
            ("first_name", first_name),
            ("last_name", last_name),
        ):
            if value:
                setattr(user, field, value)
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.is_staff = True
        user.is_active = True
        user.save()
        user.groups.add(Group.objects.get(name="Organizers"))
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} organizer “{username}”."))
        self.stdout.write(f"One-time password: {password}")
        self.stdout.write("Log in at /admin/ and change it (top right, “Change password”).")
