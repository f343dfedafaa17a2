"""What the project keeps about accounts beyond Django's User."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class OneTimePassword(models.Model):
    """The user's password was made by `create_organizer` / `create_lead` and printed on a
    terminal, so someone else has seen it. Until the user chooses their own, every page sends
    them to the password change (PasswordChangeRequiredMiddleware); choosing it deletes this."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="one_time_password"
    )
    issued_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"One-time password of {self.user}"
