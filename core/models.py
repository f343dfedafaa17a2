from django.db import models
from django.utils import timezone


class DataVersion(models.Model):
    """One row (id 1): a number that moves on with every committed change to what members see.

    Written only by database triggers (see core/freshness.py), read once per cached request.
    """

    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "data version"

    def __str__(self):
        return str(self.version)


class OutgoingEmailQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(state=OutgoingEmail.State.PENDING, send_after__lte=now)

    def failed(self):
        return self.filter(state=OutgoingEmail.State.FAILED)


class OutgoingEmail(models.Model):
    """One email that must be sent: the outbox (core/outbox.py).

    Written in the same transaction as the change it tells of, so a rolled-back change sends
    nothing and a committed one is never forgotten; a worker sends it. `key` makes queueing
    idempotent: the same message queued twice is stored, and sent, once.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"
        CANCELLED = "cancelled", "Not sent (cancelled)"

    key = models.CharField(max_length=200, unique=True, help_text="Idempotency key.")
    kind = models.CharField(
        max_length=40, help_text="What sort of email; unsubscribing is per kind."
    )
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    text = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    send_after = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        verbose_name = "outgoing email"
        ordering = ["send_after", "id"]
        indexes = [models.Index(fields=["state", "send_after"], name="core_outbox_due")]

    def __str__(self):
        return f"{self.kind} to {self.to}: {self.subject}"


class EmailOptOut(models.Model):
    """An address that asked not to get one kind of email (one-click unsubscribe, /me/ settings).

    Keyed by address, not by member: join confirmations go to addresses that are not members yet.
    """

    email = models.EmailField(max_length=254, help_text="Stored lower-cased.")
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "email opt-out"
        constraints = [
            models.UniqueConstraint(fields=["email", "kind"], name="core_optout_unique"),
        ]

    def __str__(self):
        return f"{self.email} gets no {self.kind} email"
