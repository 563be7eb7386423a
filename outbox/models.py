"""Every email Safeguard sends, and what became of it.

Staff must never be told an email went when it did not: each send is a row
that starts queued and ends sent or failed (with the server's reason), and the
page that sent it reads its state from here.
"""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from accounts.models import Organisation, User


class Delivery(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundMessage(models.Model):
    """One email, for one purpose (a consent request, an invitation, an urgent notice).

    A message with a ``kind`` is written at send time by that kind's composer
    (``outbox.composers``), so a link carrying a token is never stored here or
    in the broker; a message without one carries its own subject and body.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=64, blank=True)
    purpose_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    purpose_id = models.CharField(max_length=64)
    purpose = GenericForeignKey("purpose_type", "purpose_id")
    # Who asked for it, to be told if it fails; None when Safeguard sent it by itself.
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    state = models.CharField(max_length=8, choices=Delivery.choices, default=Delivery.QUEUED)
    failure_reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # A failed message stops being reminded once someone sends it again.
    resent_as = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [
            models.Index(fields=["purpose_type", "purpose_id"], name="outbox_purpose"),
            models.Index(fields=["organisation", "state"], name="outbox_org_state"),
        ]

    def __str__(self) -> str:
        return f"email {self.pk} ({self.state})"

    @property
    def awaiting_resend(self) -> bool:
        return self.state == Delivery.FAILED and self.resent_as_id is None
