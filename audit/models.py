"""The audit log's rows: append-only, hash-chained (see audit.services)."""

from typing import ClassVar

from django.db import models

from accounts.models import Organisation, User
from common.models import AppendOnly, AppendOnlyError, append_only

# The one append-only refusal, under the name the audit log's callers know.
AuditLogImmutableError = AppendOnlyError


class AuditEvent(AppendOnly):
    """One thing that happened, append-only and hash-chained.

    Each row stores the hash of the row before it (by ``seq``) and an HMAC-SHA256
    of its own contents including that link, so editing, deleting or reordering
    rows breaks the chain; ``manage.py verify_audit`` finds where. Rows are only
    written by ``audit.services.record``.
    """

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who acted, as they were known at the time (an email, or "system").
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    # Not even a retention decision: the chain spans every organisation.
    erasable: ClassVar[bool] = False
    sealed_name: ClassVar[str] = "Audit events"

    class Meta:
        db_table = "safeguard_auditevent"
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        triggers = append_only(erasable=False)

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """The newest event's sequence number and hash: one row, locked by every append.

    Locking it serialises writers, so two requests never chain onto the same
    event; comparing it with the last event shows when the newest rows were cut off.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "safeguard_auditchainhead"

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
