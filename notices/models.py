"""The reminder engine's ledger and the notices it creates (see notices.engine)."""

from django.db import models
from django.utils import timezone as django_timezone

from accounts.models import Organisation, User


class ReminderLedger(models.Model):
    """One row per reminder ever due: (kind, object, stage) is unique.

    Inserting the row is the claim: whichever sweep inserts it creates the
    notices and queues the emails; any other sweep, now or later, finds the row
    there and does nothing. The database, not the broker, is the source of truth.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    stage = models.CharField(max_length=32)
    # The due date (in the organisation's timezone) is part of the key, so a
    # policy reviewed every year gets its "30 days" reminder every year.
    due_on = models.DateField()
    due_at = models.DateTimeField()
    urgent = models.BooleanField(default=False)
    claimed_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        db_table = "safeguard_reminderledger"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "stage", "due_on"],
                name="reminder_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_type}#{self.object_id} {self.stage}"


class Notice(models.Model):
    """A reminder as one person sees it: in the portal at once, by email later."""

    ledger = models.ForeignKey(ReminderLedger, on_delete=models.PROTECT, related_name="notices")
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notices")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500)
    urgent = models.BooleanField(default=False)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=django_timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "safeguard_notice"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["ledger", "recipient"], name="notice_once_per_person")
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "emailed_at"]),
        ]

    def __str__(self) -> str:
        return self.title


class DigestLedger(models.Model):
    """One daily digest email per person per local date; the row is the claim."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    local_date = models.DateField()
    created_at = models.DateTimeField(default=django_timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    notice_count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "safeguard_digestledger"
        constraints = [
            models.UniqueConstraint(fields=["recipient", "local_date"], name="one_digest_a_day")
        ]

    def __str__(self) -> str:
        return f"digest for {self.recipient_id} on {self.local_date}"
