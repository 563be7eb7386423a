"""Allegations and low-level concerns about staff (Keeping Children Safe in
Education, part four): a log kept apart from children's files, seen only by the
DSL and deputies and the named case manager, never by the person it is about.

What was alleged or observed is kept exactly as submitted (a trigger refuses
any change on PostgreSQL, as for an incident's report); what was done is an
append-only log; the workflow fields (LADO referral, outcome, closure) keep
their history with simple-history.
"""

from typing import Any

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organisation, User
from accounts.references import YearlyCounter
from audit.seals import sealed
from children.models import Child
from common.models import AppendOnly, append_only, kept_as_submitted


class Kind(models.TextChoices):
    ALLEGATION = "allegation", "An allegation that may meet the harm threshold"
    LOW_LEVEL = "low_level", "A low-level concern"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    REFERRED = "referred", "Referred to the LADO"
    OUTCOME = "outcome", "Outcome recorded"
    CLOSED = "closed", "Closed"


class Outcome(models.TextChoices):
    """The five outcomes KCSIE defines for an allegation; no other is recorded."""

    SUBSTANTIATED = "substantiated", "Substantiated: there is sufficient evidence to prove it"
    MALICIOUS = "malicious", "Malicious: a deliberate act to deceive or cause harm"
    FALSE = "false", "False: there is sufficient evidence to disprove it"
    UNSUBSTANTIATED = (
        "unsubstantiated",
        "Unsubstantiated: there is insufficient evidence either to prove or disprove it",
    )
    UNFOUNDED = "unfounded", "Unfounded: there is no evidence or proper basis to support it"


# Outcomes after which KCSIE says the allegation leaves the person's personnel records.
REMOVED_FROM_PERSONNEL_RECORDS = frozenset({Outcome.MALICIOUS, Outcome.FALSE})

# What the person raising it submitted; only a retention decision rewrites it.
SUBMITTED = ["reference", "kind", "about", "raised_by", "received_at", "what_was_alleged"]


class Allegation(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=20)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    about = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name="member of staff"
    )
    raised_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    what_was_alleged = models.TextField("what was alleged or observed")
    children = models.ManyToManyField(Child, blank=True, related_name="+")
    # The workflow; its field history is kept by simple-history.
    case_manager = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    lado_referred_on = models.DateField("referred to the LADO on", null=True, blank=True)
    lado_reference = models.CharField("LADO reference", max_length=80, blank=True)
    lado_advice = models.TextField("LADO advice", blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    outcome_on = models.DateField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome_rationale = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["received_at", "what_was_alleged"])

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="allegation_reference"
            )
        ]
        triggers = kept_as_submitted(*SUBMITTED, what="what was alleged or observed")

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        # As for an incident: a later save leaves the unique key out of its
        # UPDATE, so the kept_as_submitted trigger does not make PostgreSQL lock
        # the row FOR UPDATE (blocking every log entry) rather than FOR NO KEY UPDATE.
        if not self._state.adding and not args and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in {"organisation", "reference"}
            ]
        super().save(*args, **kwargs)

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED

    @property
    def lado_referral_expected(self) -> bool:
        """An allegation goes to the LADO within one working day; a low-level
        concern need not (a lead may still refer one)."""
        return self.kind == Kind.ALLEGATION and self.lado_referred_on is None


class ReferenceCounter(YearlyCounter):
    """The last reference number given, per organisation and year (AL-2026-0001)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="allegation_counter_year")
        ]


class EntryKind(models.TextChoices):
    NOTE = "note", "Note"
    ACTION = "action", "Action"
    INFORMATION = "information", "Information received"
    LADO = "lado", "LADO referral or advice"
    DECISION = "decision", "Decision"


@sealed
class AllegationEntry(AppendOnly):
    """One dated line of what was done and by whom; never changed or deleted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    allegation = models.ForeignKey(Allegation, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    happened_at = models.DateTimeField(
        help_text="When it happened, which may be before it was written."
    )
    text = models.TextField()
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    sealed_name = "Allegation log entries"

    class Meta:
        verbose_name_plural = "allegation entries"
        ordering = ["happened_at", "recorded_at", "pk"]
        triggers = append_only()

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.allegation}"
