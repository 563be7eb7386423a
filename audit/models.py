"""The audit log's rows: append-only, hash-chained (see audit.services)."""

from typing import ClassVar

import pgtrigger
from django.db import models

from accounts.models import Organisation, User
from common.models import AppendOnly, AppendOnlyError, TriggerWithoutIgnoreSwitch, append_only

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


# Where the chain starts, before any event: the head's hash until the first one.
GENESIS_HASH = "0" * 64


def _refusal(message: str) -> str:
    """A PL/pgSQL refusal, with the SQLSTATE the append-only triggers use."""
    return f"RAISE EXCEPTION '{message}', TG_OP USING ERRCODE = 'insufficient_privilege';"


class AuditChainHead(models.Model):
    """The newest event's sequence number and hash: one row, locked by every append.

    Locking it serialises writers, so two requests never chain onto the same
    event; comparing it with the last event shows when the newest rows were cut off.

    Cutting off the newest events would also mean moving the head back, so the
    head carries a MAC over (seq, hash) under the audit key (audit.services.head_mac):
    someone with only the database cannot write a head that verifies. The triggers
    below refuse, whoever asks, every change but an advance of exactly one event.
    A MAC'd head an attacker saved earlier could still be put back (with the
    triggers bypassed); the signed checkpoints kept outside the database
    (audit.checkpoints, ``verify_audit --against``) catch that.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "safeguard_auditchainhead"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="audit_head_one_row")]
        triggers = [
            TriggerWithoutIgnoreSwitch(
                name="head_only_advances",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                # An UPDATE that changes nothing is the writers' lock claim; let it be.
                condition=pgtrigger.Condition(
                    "OLD.* IS DISTINCT FROM NEW.* AND NOT (NEW.id = OLD.id"
                    " AND NEW.seq = OLD.seq + 1 AND NEW.hash IS DISTINCT FROM OLD.hash)"
                ),
                func=_refusal("the audit chain head only advances one event at a time: % refused"),
            ),
            TriggerWithoutIgnoreSwitch(
                name="head_kept",
                when=pgtrigger.Before,
                operation=pgtrigger.Delete,
                func=_refusal("the audit chain head is never removed: % refused"),
            ),
            TriggerWithoutIgnoreSwitch(
                name="head_starts_at_genesis",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                condition=pgtrigger.Condition(f"NEW.seq <> 0 OR NEW.hash <> '{GENESIS_HASH}'"),
                func=_refusal("the audit chain head starts before the first event: % refused"),
            ),
            # Emptying the head while events remain would make the next append
            # restart the chain, so that is refused. Emptying both in one statement
            # is left to the events table's own TRUNCATE refusal (the append-only
            # triggers, common.models), so that a test run's flush, which empties
            # every table at once, still works here; a checkpoint catches it anyway.
            TriggerWithoutIgnoreSwitch(
                name="head_not_truncated",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Truncate,
                func=(
                    "IF EXISTS (SELECT 1 FROM safeguard_auditevent) THEN RAISE EXCEPTION"
                    " 'the audit chain head is never emptied: % refused', TG_OP"
                    " USING ERRCODE = 'insufficient_privilege'; END IF; RETURN NULL;"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
