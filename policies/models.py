"""Policies, their versions, reviews and who has read them.

An approved version never changes: changing a policy means a new version. The
status of a policy (current, due soon, overdue, draft in progress) is derived
from its versions and reviews, never stored.
"""

import hashlib

from django.db import models
from django.utils import timezone

from accounts.models import Organisation, User
from children.models import Child, Guardian
from common.models import AppendOnly, append_only


class PolicyCategory(models.TextChoices):
    ONLINE_SAFETY = "online_safety", "Online safety"
    ACCEPTABLE_USE = "acceptable_use", "Acceptable use"
    CONDUCT_PARENTS = "conduct_parents", "Code of conduct for parents and carers"
    CONDUCT_STAFF = "conduct_staff", "Code of conduct for staff"
    ANTI_BULLYING = "anti_bullying", "Anti-bullying"
    SOCIAL_MEDIA = "social_media", "Social media"
    MOBILE_PHONES = "mobile_phones", "Mobile phones and devices"
    DATA_PROTECTION = "data_protection", "Data protection"
    SAFEGUARDING = "safeguarding", "Safeguarding"
    PHOTOGRAPHY = "photography", "Photography and video"
    REMOTE_SESSIONS = "remote_sessions", "Remote sessions"
    OTHER = "other", "The organisation's own"


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
    # Parent-facing: parents and carers acknowledge the current version with every
    # consent request, and again on their own link when a substantive version is
    # published; a session is not planned with a child whose parents have not.
    audience_parents = models.BooleanField(
        "parents and carers agree to it before services start", default=False
    )
    # An acceptable-use agreement children agree to, written for their age.
    audience_children = models.BooleanField(
        "children agree to it (an acceptable-use agreement)", default=False
    )
    children_age_from = models.PositiveSmallIntegerField(
        "for children aged from", null=True, blank=True
    )
    children_age_to = models.PositiveSmallIntegerField("to", null=True, blank=True)
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.title

    @property
    def interval_months(self) -> int:
        return self.review_interval_months or self.organisation.default_review_interval_months


class ChangeKind(models.TextChoices):
    """Whether a new version asks everyone to read it again."""

    SUBSTANTIVE = "substantive", "Substantive: everyone it binds reads it again"
    EDITORIAL = "editorial", "Editorial (typos, contact details): earlier reading still counts"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"


class PolicyVersion(AppendOnly):
    """A draft may still change; once approved, a version never does."""

    sealed_name = "approved policy versions"

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    label = models.CharField(max_length=20)
    body = models.TextField(help_text="Plain text or Markdown.")
    # The organisation's own Welsh text for parents; empty shows them the English.
    body_cy = models.TextField("text in Welsh", blank=True, default="")
    change_summary = models.CharField(max_length=500, blank=True)
    change_kind = models.CharField(
        max_length=12, choices=ChangeKind.choices, default=ChangeKind.SUBSTANTIVE
    )
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
        """SHA-256 of exactly what was approved: title, label and body, and the
        Welsh body when there is one (so versions without it hash as before)."""
        content = f"{self.policy.title}\n{self.label}\n{self.body}"
        if self.body_cy:
            content += f"\n{self.body_cy}"
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


class AgreementWay(models.TextChoices):
    WITH_PARENT = "with_parent", "With a parent or carer, on their link"
    IN_SESSION = "in_session", "In a session, with the therapist as witness"


class ChildAgreement(AppendOnly):
    """A child agreed to one exact version of an acceptable-use agreement, with a
    parent or carer on their link or in a session with a member of staff as
    witness. Evidence, so it never changes."""

    version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="child_agreements"
    )
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="agreements")
    way = models.CharField(max_length=12, choices=AgreementWay.choices)
    guardian = models.ForeignKey(
        Guardian, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    witnessed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The name the child gave, as they typed or said it.
    child_name = models.CharField(max_length=200)
    agreed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-agreed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    way="with_parent", guardian__isnull=False, witnessed_by__isnull=True
                )
                | models.Q(way="in_session", guardian__isnull=True, witnessed_by__isnull=False),
                name="agreement_with_parent_or_witness",
            ),
            models.UniqueConstraint(fields=["version", "child"], name="child_agrees_once"),
        ]
        triggers = append_only()

    def __str__(self) -> str:
        return f"{self.child} agreed to {self.version}"
