"""The DSL's incident log: concerns as reported, the DSL's workflow, the
append-only chronology, referrals to other agencies and the evidence.

What the reporter wrote is kept exactly as submitted: no service changes those
fields, a correction is a chronology entry, and on PostgreSQL a trigger refuses
any change to them. Chronology entries and evidence are never updated or
deleted (common.models.AppendOnly, and its trigger on PostgreSQL).
"""

import datetime as dt
from typing import Any

from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from accounts.models import Organisation, User
from accounts.references import YearlyCounter
from audit.seals import sealed
from children.models import Child
from common.models import AppendOnly, append_only, kept_as_submitted

ICO_DEADLINE = dt.timedelta(hours=72)
EVIDENCE_MAX_BYTES = 10_000_000
# Evidence a browser shows as a picture; a PDF (the other kind kept) stays a download.
IMAGE_KINDS = frozenset({"png", "jpg", "gif", "webp"})


class Category(models.TextChoices):
    """The 4 Cs of online risk (KCSIE). A personal data breach is none of them:
    it is recorded with no category (those filed under one before it had its
    own kind keep the category their reporter chose, and are counted as breaches)."""

    CONTENT = "content", "Content: harmful material seen"
    CONTACT = "contact", "Contact: harmful contact from others"
    CONDUCT = "conduct", "Conduct: behaviour that causes or risks harm"
    COMMERCE = "commerce", "Commerce: scams, gambling, financial harm"


class IncidentType(models.TextChoices):
    GROOMING = "grooming", "Online grooming"
    CYBERBULLYING = "cyberbullying", "Cyberbullying"
    NUDE_IMAGES = "nude_images", "Nude or semi-nude image sharing"
    SEXTORTION = "sextortion", "Sextortion"
    HARMFUL_CONTENT = "harmful_content", "Harmful or violent content"
    RADICALISATION = "radicalisation", "Radicalisation"
    EXPLOITATION = "exploitation", "Exploitation"
    PHISHING = "phishing", "Phishing or scam"
    GAMBLING = "gambling", "Gambling"
    MISINFORMATION = "misinformation", "Misinformation"
    DISINFORMATION = "disinformation", "Disinformation"
    CONSPIRACY = "conspiracy", "Conspiracy theories"
    AI_IMAGERY = "ai_imagery", "AI-generated or manipulated imagery"
    DATA_BREACH = "data_breach", "Personal data breach"
    STAFF_CONTACT = "staff_contact", "Inappropriate contact from staff"
    OTHER = "other", "Other"


# Sharing nudes and semi-nudes (UKCIS 2024), which treats financially motivated
# sexual extortion as one of them: nobody uploads, copies or keeps the imagery.
NUDE_IMAGERY_TYPES = frozenset({IncidentType.NUDE_IMAGES, IncidentType.SEXTORTION})
NUDE_IMAGERY_REFUSAL = (
    "Do not upload, copy or screenshot the image: the file was not saved. Describe what it "
    "showed and where it is (whose device, which app or account) in what happened, and tell "
    "the DSL now."
)
# Said to a reporter whose file was dropped while the concern itself was recorded.
NUDE_IMAGERY_NOT_KEPT = (
    "The file you attached was not stored: nude or semi-nude imagery is never stored. "
    "Delete any copy you made, do not share it, and describe what it showed to the DSL."
)
CATEGORY_REQUIRED = (
    "Choose the kind of risk: content, contact, conduct or commerce. Only a personal data "
    "breach has none."
)


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    IMMEDIATE = "immediate", "Immediate danger"


URGENT_RISKS = frozenset({Risk.HIGH, Risk.IMMEDIATE})


class Status(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    ACTION = "action", "Action under way"
    REFERRED = "referred", "Referred"
    CLOSED = "closed", "Closed"


class IcoDecision(models.TextChoices):
    REPORTED = "reported", "Reported to the ICO"
    NOT_REPORTABLE = "not_reportable", "Not reportable"


class SignoffRule(models.TextChoices):
    NEVER = "never", "Never: one DSL or deputy closes an incident"
    WHEN_NEEDED = (
        "when_needed",
        ("When parents were not informed, or the person closing it also reported it"),
    )
    ALWAYS = "always", "Always"


class IncidentSettings(models.Model):
    """How an organisation runs its incident log."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="incident_settings"
    )
    second_signoff = models.CharField(
        "second sign-off before closing",
        max_length=12,
        choices=SignoffRule.choices,
        default=SignoffRule.NEVER,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "incident settings"

    def __str__(self) -> str:
        return f"incident settings of {self.organisation_id}"


# What the reporter submitted; only a retention decision (anonymising) rewrites it.
REPORTED = [
    "reference",
    "reporter",
    "reported_at",
    "occurred_at",
    "disclosed_at",
    "category",
    "incident_type",
    "platform",
    "what_happened",
    "childs_words",
    "immediate_action",
    "online_identifiers",
    "initial_risk",
    "others_involved",
]


def still_open() -> models.Q:
    """Not closed: what IncidentQuerySet.open() keeps, as a condition a count can filter on."""
    return ~models.Q(status=Status.CLOSED)


class IncidentQuerySet(models.QuerySet["Incident"]):
    def open(self) -> "IncidentQuerySet":
        return self.filter(still_open())


class Incident(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=20)
    reporter = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now, editable=False)
    # What the reporter said, kept as submitted.
    children = models.ManyToManyField(Child, related_name="incidents", blank=True)
    others_involved = models.TextField("others involved", blank=True)
    occurred_at = models.DateTimeField("when it happened")
    disclosed_at = models.DateTimeField("when it was disclosed or discovered")
    category = models.CharField(max_length=10, choices=Category.choices, blank=True)
    incident_type = models.CharField("type", max_length=20, choices=IncidentType.choices)
    platform = models.CharField("platform or app", max_length=120, blank=True)
    what_happened = models.TextField()
    childs_words = models.TextField("in the child's own words", blank=True)
    immediate_action = models.TextField("immediate action taken", blank=True)
    online_identifiers = models.TextField("usernames, links and other identifiers", blank=True)
    initial_risk = models.CharField(max_length=10, choices=Risk.choices)
    # The DSL's workflow; its field history is kept by simple-history.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    risk = models.CharField(max_length=10, choices=Risk.choices)
    triage_decision = models.TextField(blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    next_action = models.CharField(max_length=300, blank=True)
    next_action_due = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    no_referral_rationale = models.TextField(blank=True)
    parents_informed = models.BooleanField(null=True)
    parents_not_informed_reason = models.TextField(blank=True)
    close_proposed_at = models.DateTimeField(null=True, blank=True)
    close_proposed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Personal data breaches: the ICO's 72 hours run from disclosed_at.
    ico_decision = models.CharField(max_length=16, choices=IcoDecision.choices, blank=True)
    ico_reference = models.CharField(max_length=60, blank=True)
    ico_reason = models.TextField(blank=True)
    ico_decided_at = models.DateTimeField(null=True, blank=True)
    ico_decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["reported_at"])

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="incident_reference")
        ]
        indexes = [models.Index(fields=["organisation", "status", "reported_at"])]
        triggers = kept_as_submitted(*REPORTED, what="what a reporter submitted")

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The organisation and reference (the unique key) are fixed when the
        # concern is raised, so a later save leaves them out of its UPDATE. With
        # a BEFORE UPDATE trigger on the table (kept_as_submitted), PostgreSQL
        # locks a row FOR UPDATE, not FOR NO KEY UPDATE, when the UPDATE names a
        # key column even unchanged, and every colleague adding a chronology
        # entry to the incident would wait for the step to commit (issue 22).
        if not self._state.adding and not args and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in {"organisation", "reference"}
            ]
        super().save(*args, **kwargs)

    @property
    def is_data_breach(self) -> bool:
        return self.incident_type == IncidentType.DATA_BREACH

    @property
    def is_nude_imagery(self) -> bool:
        """Sharing nudes and semi-nudes, sextortion included (UKCIS 2024):
        nobody stores the imagery."""
        return self.incident_type in NUDE_IMAGERY_TYPES

    @property
    def ico_deadline(self) -> dt.datetime | None:
        return self.disclosed_at + ICO_DEADLINE if self.is_data_breach else None

    @property
    def ico_open(self) -> bool:
        """A breach whose reportability nobody has decided yet."""
        return self.is_data_breach and not self.ico_decision

    @property
    def awaiting_signoff(self) -> bool:
        return self.close_proposed_at is not None and self.closed_at is None

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


class ReferenceCounter(YearlyCounter):
    """The last reference number given, per organisation and year (OS-2026-0042)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="incident_counter_year")
        ]


class EntryKind(models.TextChoices):
    NOTE = "note", "Note"
    ACTION = "action", "Action"
    PARENT_CONTACT = "parent_contact", "Contact with parent or carer"
    DECISION = "decision", "Decision"
    REFERRAL = "referral", "Referral"
    INFORMATION = "information", "Information received"


@sealed
class ChronologyEntry(AppendOnly):
    """One dated line of what happened and who did what. A correction is a new
    entry pointing at the one it corrects; both are kept and shown together."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="chronology")
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    happened_at = models.DateTimeField(
        help_text="When it happened, which may be before it was written."
    )
    text = models.TextField()
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    # True when Safeguard wrote the text from a step (triage, a referral, closing):
    # that step's own record is what a later step corrects, so only entries people
    # wrote offer "correct this entry". Unknown (null) for entries written before
    # the distinction was kept, which are treated as people's.
    composed = models.BooleanField(null=True, editable=False)

    class Meta:
        verbose_name_plural = "chronology entries"
        ordering = ["happened_at", "recorded_at", "pk"]
        triggers = append_only()

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.incident}"


class Decision(models.TextChoices):
    SHARE = "share", "Share"
    NOT_SHARE = "not_share", "Not share"


class LawfulBasis(models.TextChoices):
    """The UK GDPR Article 6 bases a safeguarding lead relies on."""

    PUBLIC_TASK = "public_task", "Public task (UK GDPR Article 6(1)(e))"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation (UK GDPR Article 6(1)(c))"
    VITAL_INTERESTS = "vital_interests", "Vital interests (UK GDPR Article 6(1)(d))"
    LEGITIMATE_INTERESTS = (
        "legitimate_interests",
        "Legitimate interests (UK GDPR Article 6(1)(f))",
    )
    CONSENT = "consent", "Consent (UK GDPR Article 6(1)(a))"


class SpecialCategoryCondition(models.TextChoices):
    """Where special category data (health, sex life, ethnicity...) is shared:
    the Article 9 condition, with the DPA 2018 Schedule 1 condition it rests on."""

    NONE = "", "No special category data"
    SAFEGUARDING = (
        "safeguarding",
        "Safeguarding of children and individuals at risk (Article 9(2)(g), "
        "DPA 2018 Schedule 1 paragraph 18)",
    )
    VITAL_INTERESTS = "vital_interests", "Vital interests (Article 9(2)(c))"
    LEGAL_CLAIMS = "legal_claims", "Legal claims or courts (Article 9(2)(f))"
    EXPLICIT_CONSENT = "explicit_consent", "Explicit consent (Article 9(2)(a))"


class FamilyConsent(models.TextChoices):
    GIVEN = "given", "Sought and given"
    REFUSED = "refused", "Sought and refused"
    NOT_SOUGHT = "not_sought", "Not sought"


class Agency(models.TextChoices):
    POLICE = "police", "Police"
    CEOP = "ceop", "CEOP"
    SOCIAL_CARE = "social_care", "Children's social care / MASH"
    LADO = "lado", "LADO"
    IWF = "iwf", "Report Remove (Childline and the IWF)"
    NSPCC = "nspcc", "NSPCC"
    SCHOOL = "school", "School DSL"
    OTHER = "other", "Other"


class Referral(models.Model):
    """A referral to another agency. Its outcome is recorded later; until then
    it is chased from chase_on. Changes are kept by simple-history and each one
    is also a chronology entry."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="referrals")
    agency = models.CharField(max_length=16, choices=Agency.choices)
    agency_other = models.CharField("other agency", max_length=120, blank=True)
    referred_on = models.DateField()
    reference = models.CharField("their reference", max_length=80, blank=True)
    contact = models.CharField("contact at the agency", max_length=200, blank=True)
    chase_on = models.DateField("chase on", null=True, blank=True)
    # Blank on referrals recorded before the question was asked.
    family_consent = models.CharField(
        "the family's consent to the referral",
        max_length=12,
        choices=FamilyConsent.choices,
        blank=True,
    )
    outcome = models.TextField(blank=True)
    outcome_on = models.DateField(null=True, blank=True)
    made_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["referred_on", "pk"]

    def __str__(self) -> str:
        return f"{self.agency_name} referral for {self.incident}"

    @property
    def needs_sharing_record(self) -> bool:
        """Made without the family's consent and with no record yet of why:
        the referral stands, and the record is asked for until it is written."""
        return self.family_consent in {FamilyConsent.REFUSED, FamilyConsent.NOT_SOUGHT} and not (
            self.sharing_decisions.all()
        )

    @property
    def agency_name(self) -> str:
        return self.agency_other if self.agency == Agency.OTHER else self.get_agency_display()


@sealed
class SharingDecision(AppendOnly):
    """A decision to share information, or not to share it, and why (Working
    Together 2023; information sharing advice 2024). Consent is sought where it
    is safe to, but never stands in the way of a referral: the record says why
    sharing went ahead without it. A changed decision is a new record."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="sharing_decisions"
    )
    # The referral this decision is the record for, when it is one.
    referral = models.ForeignKey(
        "Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sharing_decisions",
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    shared_with = models.CharField("with whom", max_length=200)
    what = models.TextField("what was shared, or would have been")
    lawful_basis = models.CharField(max_length=24, choices=LawfulBasis.choices)
    special_category = models.CharField(
        "special category data",
        max_length=20,
        choices=SpecialCategoryCondition.choices,
        blank=True,
    )
    reason = models.TextField("the reason for the decision")
    consent = models.CharField("the family's consent", max_length=12, choices=FamilyConsent.choices)
    consent_note = models.TextField(
        "why consent was not sought, or what the family said", blank=True
    )
    decided_at = models.DateTimeField("when the decision was made")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["decided_at", "pk"]
        triggers = append_only()

    def __str__(self) -> str:
        return f"decision to {self.get_decision_display().lower()} on {self.incident}"

    @property
    def without_consent(self) -> bool:
        return self.decision == Decision.SHARE and self.consent != FamilyConsent.GIVEN


class Evidence(AppendOnly):
    """A screenshot or file, stored privately: only a permission-checked,
    audited view ever reads it back, and never inline."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to="incident_evidence/%Y/")
    original_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["uploaded_at", "pk"]
        triggers = append_only()

    def __str__(self) -> str:
        return self.original_name

    @property
    def file_withheld_because(self) -> str:
        """Why this file is never copied out (a subject access export reads it),
        or "" when it may be. Imagery stored on a nudes incident before the rule
        that refuses it stays where it is, unread and uncopied (UKCIS 2024)."""
        if self.incident.is_nude_imagery:
            return (
                "This file belongs to a nude or semi-nude image incident. Such imagery is "
                "never copied, downloaded or shared (UKCIS 2024); it is withheld here."
            )
        return ""

    @property
    def is_image(self) -> bool:
        return self.kind in IMAGE_KINDS


# django-guardian's direct foreign-key tables: a DSL grants one named member of
# staff access to one incident.
class IncidentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)


class IncidentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)


# Child protection file transfers live in their own module; imported here so
# Django finds their models in the incidents app.
from incidents.transfer_models import (  # noqa: E402, F401
    FileTransfer,
    ReceivedFile,
    TransferNotNeeded,
)
