"""Retention: how long each kind of record is kept, the reviews that decide what
happens when that time is up, legal holds that stop anything being destroyed,
and subject access requests.

Nothing here deletes anything by itself: a sweep only queues a review, and a
person decides.
"""

import datetime as dt

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organisation, User
from children.models import Child, Guardian


class RetentionRule(models.Model):
    """An organisation's own period for one kind of record (else the default)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40)
    months = models.PositiveIntegerField()
    history = HistoricalRecords(table_name="safeguard_historicalretentionrule")

    class Meta:
        db_table = "safeguard_retentionrule"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind"], name="retention_rule_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.months} months"


class Decision(models.TextChoices):
    KEEP = "keep", "Keep"
    ANONYMISE = "anonymise", "Anonymise"
    DELETE = "delete", "Delete"


class RetentionReview(models.Model):
    """One record whose retention period has ended, waiting for a person's decision.

    Queued once per (record, due date): keeping a record with a new review date
    queues it again on that date.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    # What the record is, never what it says: it outlives the record itself.
    description = models.CharField(max_length=300)
    child = models.ForeignKey(
        Child, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField()
    queued_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    reason = models.TextField(blank=True)
    keep_until = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Deleting a safeguarding record needs a second person.
    confirmed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(table_name="safeguard_historicalretentionreview")

    class Meta:
        db_table = "safeguard_retentionreview"
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "due_on"], name="retention_review_once"
            )
        ]

    def __str__(self) -> str:
        return f"review of {self.description}"

    @property
    def awaiting_confirmation(self) -> bool:
        return self.decision == Decision.DELETE and self.done_at is None


class HoldScope(models.TextChoices):
    ORGANISATION = "organisation", "Everything the organisation holds"
    CHILD = "child", "Everything about one child"
    INCIDENT = "incident", "One incident"


class LegalHold(models.Model):
    """While active, nothing it covers may be anonymised or deleted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=12, choices=HoldScope.choices)
    child = models.ForeignKey(
        Child, null=True, blank=True, on_delete=models.PROTECT, related_name="legal_holds"
    )
    # An active hold blocks deleting its incident (records.retention checks it);
    # a released one keeps the reference when a decided review deletes the incident.
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="legal_holds",
    )
    incident_reference = models.CharField(max_length=20, blank=True)
    reason = models.TextField()
    placed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    until = models.DateField(null=True, blank=True, help_text="Empty: until released.")
    released_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(blank=True)

    class Meta:
        db_table = "safeguard_legalhold"
        ordering = ["-placed_at", "-pk"]

    def __str__(self) -> str:
        return f"legal hold on {self.covers}"

    @property
    def covers(self) -> str:
        if self.scope == HoldScope.CHILD and self.child:
            return f"{self.child.first_name} {self.child.last_name}"
        if self.scope == HoldScope.INCIDENT:
            return f"incident {self.incident_reference}"
        return "everything the organisation holds"

    def is_active(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.released_at is None and (self.until is None or self.until >= today)


class SubjectAccessRequest(models.Model):
    """A request by a person for the records about them (or their child): a
    child, a parent or carer, or a member of staff (exactly one of the three)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    requester = models.CharField("who asked", max_length=200)
    child = models.ForeignKey(
        Child, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    guardian = models.ForeignKey(
        Guardian, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_on = models.DateField()
    due_on = models.DateField()
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "safeguard_subjectaccessrequest"
        ordering = ["completed_at", "due_on", "pk"]

    def __str__(self) -> str:
        return f"subject access request from {self.requester}"

    @property
    def subject(self) -> str:
        if self.child:
            return f"{self.child.first_name} {self.child.last_name}"
        if self.guardian:
            return self.guardian.full_name
        return self.staff.full_name if self.staff else ""
