"""Policies, their versions, reviews and who has read them.

An approved version never changes: changing a policy means a new version. The
status of a policy (current, due soon, overdue, draft in progress) is derived
from its versions and reviews, never stored.
"""

import hashlib

from django.db import models
from django.utils import timezone

from accounts.models import Organisation, User
from children.models import Guardian
from common.models import AppendOnly, append_only


class PolicyCategory(models.TextChoices):
    ONLINE_SAFETY = "online_safety", "Online safety"
    SAFEGUARDING = "safeguarding", "Safeguarding"
    DATA_PROTECTION = "data_protection", "Data protection"
    PHOTOGRAPHY = "photography", "Photography and video"
    REMOTE_SESSIONS = "remote_sessions", "Remote sessions"
    OTHER = "other", "Other"


class Policy(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="policies"
    )
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=30, choices=PolicyCategory.choices)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_policies"
    )
    review_interval_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Leave empty to use the organisation's default."
    )
    # Which staff roles must read and acknowledge each new version.
    audience_roles = models.JSONField(default=list, blank=True)
    audience_parents = models.BooleanField(
        "parents agree to it before services start", default=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.title

    @property
    def interval_months(self) -> int:
        return self.review_interval_months or self.organisation.default_review_interval_months


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"


class PolicyVersion(AppendOnly):
    """A draft may still change; once approved, a version never does."""

    sealed_name = "approved policy versions"

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    label = models.CharField(max_length=20)
    body = models.TextField(help_text="Plain text or Markdown.")
    change_summary = models.CharField(max_length=500, blank=True)
    source_file = models.FileField(upload_to="policy_sources/%Y/", blank=True)
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default="draft")
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by_name = models.CharField(
        max_length=200, blank=True, help_text="When approved by someone without an account."
    )
    approved_on = models.DateField(null=True, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    review_due = models.DateField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "label"], name="version_label_once"),
            # At most one draft in progress per policy.
            models.UniqueConstraint(
                fields=["policy"], condition=models.Q(status="draft"), name="one_draft"
            ),
        ]
        triggers = append_only(sealed_when=models.Q(status=VersionStatus.APPROVED))

    def __str__(self) -> str:
        return f"{self.policy} {self.label}"

    def content_hash(self) -> str:
        """SHA-256 of exactly what was approved: title, label and body."""
        content = f"{self.policy.title}\n{self.label}\n{self.body}"
        return hashlib.sha256(content.encode()).hexdigest()

    @property
    def approver(self) -> str:
        if self.approved_by is not None:
            return self.approved_by.full_name
        return self.approved_by_name


class PolicyReview(models.Model):
    """A review that found nothing to change: the most common real outcome.

    It moves the next review date on without a new version."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="reviews")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reviewed_on = models.DateField()
    next_review_due = models.DateField()
    notes = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-reviewed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.policy} reviewed {self.reviewed_on}"


class Acknowledgement(AppendOnly):
    """Someone read one exact version: a member of staff, or a parent in the
    consent flow. Evidence that they did, so it never changes."""

    version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    guardian = models.ForeignKey(
        Guardian, null=True, blank=True, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, guardian__isnull=True)
                | models.Q(user__isnull=True, guardian__isnull=False),
                name="acknowledged_by_one_person",
            ),
            models.UniqueConstraint(fields=["version", "user"], name="staff_ack_once"),
            models.UniqueConstraint(fields=["version", "guardian"], name="guardian_ack_once"),
        ]
        triggers = append_only()

    def __str__(self) -> str:
        return f"{self.user or self.guardian} read {self.version}"
