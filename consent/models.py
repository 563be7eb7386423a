"""Written parental consent: what is asked, what each parent answered, and the
contacts with children that rest on it.

ConsentRecord rows are append-only: the state of (child, consent type) is
derived from them, never stored, and nothing is ever updated or deleted (the
legal evidence: common.models.AppendOnly, and its trigger on PostgreSQL).
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.references import YearlyCounter
from audit.seals import sealed
from children.models import Child, Guardian
from common.models import AppendOnly, append_only
from policies.models import PolicyVersion


class MediaKind(models.TextChoices):
    """What a withdrawal would have to take down."""

    NONE = "", "Nothing to take down"
    PHOTOS_VIDEO = "photos_video", "Photos or video"
    RECORDING = "recording", "Session recordings"
    ONLINE_POSTS = "online_posts", "Online or social media posts"


class ConsentType(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="consent_types"
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    name_cy = models.CharField("name in Welsh", max_length=120, blank=True)
    # Ticked when staff start a consent request: the set this service usually asks for.
    asked_by_default = models.BooleanField("ticked on a new request", default=True)
    validity_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty: valid until the child is discharged."
    )
    media = models.CharField(max_length=20, choices=MediaKind.choices, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="consent_type_code")
        ]

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> "ConsentTypeVersion | None":
        return self.versions.order_by("-pk").first()


class ConsentTypeVersion(AppendOnly):
    """The words a parent is shown. Changing them makes a new version, so what a
    parent agreed to can always be shown again exactly: a version itself never
    changes."""

    consent_type = models.ForeignKey(ConsentType, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    explanation = models.TextField()
    # The organisation's own Welsh; empty shows the English to a Welsh reader.
    # The Welsh name lives here too, not only on the type: a Welsh reader agreed
    # to the name shown then, and the type's name may be changed since.
    name_cy = models.CharField("name in Welsh", max_length=120, blank=True, default="")
    explanation_cy = models.TextField("explanation in Welsh", blank=True, default="")
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consent_type", "number"], name="consent_text_once")
        ]
        triggers = append_only()

    def __str__(self) -> str:
        return f"{self.consent_type} (wording {self.number})"


class RequestStatus(models.TextChoices):
    SENT = "sent", "Sent"
    OPENED = "opened", "Opened"
    SIGNED = "signed", "Signed"
    CANCELLED = "cancelled", "Cancelled"
    SUPERSEDED = "superseded", "Replaced by a resend"


class ConsentRequest(models.Model):
    """What was asked of one guardian about one child, by an emailed link.

    Only a SHA-256 of the link's token is stored; the token itself exists only
    in the email. Expiry is derived from expires_at.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="consent_requests")
    guardian = models.ForeignKey(
        Guardian, on_delete=models.PROTECT, related_name="consent_requests"
    )
    items = models.ManyToManyField(ConsentTypeVersion, related_name="+")
    # The parent-facing policies current when it was sent, acknowledged on signing,
    # whatever order the policies and the consent types were created in.
    policy_versions = models.ManyToManyField(PolicyVersion, blank=True, related_name="+")
    token_sha256 = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=12, choices=RequestStatus.choices, default="sent")
    # None when Safeguard sent it by itself (a renewal before consent runs out).
    sent_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"consent request {self.pk} for {self.child}"

    @property
    def is_expired(self) -> bool:
        return self.status in {"sent", "opened"} and timezone.now() >= self.expires_at

    @property
    def display_status(self) -> str:
        return "Expired" if self.is_expired else self.get_status_display()

    @property
    def reference_sha256(self) -> str:
        """The request as evidence names it: hashed, so its id is not guessable."""
        return hashlib.sha256(f"consent-request:{self.pk}:{self.token_sha256}".encode()).hexdigest()


class Decision(models.TextChoices):
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Method(models.TextChoices):
    ONLINE = "online", "Online, signed by the parent"
    PAPER = "paper", "Paper form"
    VERBAL = "verbal", "Verbal, to be confirmed in writing"


@sealed
class ConsentRecord(AppendOnly):
    """One decision by one guardian about one child and one consent type."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="consent_records")
    consent_type = models.ForeignKey(ConsentType, on_delete=models.PROTECT, related_name="+")
    type_version = models.ForeignKey(ConsentTypeVersion, on_delete=models.PROTECT, related_name="+")
    guardian = models.ForeignKey(Guardian, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    method = models.CharField(max_length=10, choices=Method.choices)
    valid_until = models.DateField(null=True, blank=True)
    # Evidence
    typed_name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=60, blank=True)
    signature_png = models.TextField(blank=True, help_text="A drawn signature, as a data URL.")
    recorded_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    shown_sha256 = models.CharField(max_length=64, help_text="SHA-256 of exactly what was shown.")
    # The language of the page the answer was given on ("en-gb" or "cy"). For a
    # grant it is covered by shown_sha256. A withdrawal records the language of
    # the page withdrawn from but keeps the grant's shown_sha256, the hash of
    # what was agreed, so its own language is not part of any hash.
    language = models.CharField(max_length=10, default="en-gb")
    # CR-2026-0042: the receipt's short reference, shared by every answer signed
    # together; empty on records made before references, and on staff-recorded ones.
    reference = models.CharField(max_length=20, blank=True, db_index=True)
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request_sha256 = models.CharField(max_length=64, blank=True)
    receipt_sha256 = models.CharField(max_length=64, blank=True)
    # A scan of a signed paper form, stored privately (never served by URL).
    evidence_file = models.FileField(upload_to="consent_forms/%Y/", blank=True)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["child", "consent_type", "recorded_at"])]
        triggers = append_only()

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.consent_type} for {self.child}"


class ReceiptCounter(YearlyCounter):
    """Numbers the parents' receipts, CR-YYYY-NNNN, per organisation and year."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="receipt_counter_once")
        ]


class GuardianAccess(models.Model):
    """A guardian's link to see and withdraw their consents; revocable, re-sendable.

    It stops working after CONSENT_MANAGE_LINK_IDLE_DAYS without use (derived,
    not stored): an old email found in a shared or stolen mailbox should not
    open a child's consents. Use is a POST (continuing from the link, a
    withdrawal), never a GET, which a mail scanner makes too.
    """

    guardian = models.ForeignKey(Guardian, on_delete=models.PROTECT, related_name="accesses")
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"manage link for {self.guardian}"

    @property
    def expires_at(self) -> dt.datetime:
        idle = dt.timedelta(days=settings.CONSENT_MANAGE_LINK_IDLE_DAYS)
        return (self.last_used_at or self.created_at) + idle

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class TakedownTask(models.Model):
    """After a withdrawal of consent to images or recordings: what staff must remove."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="takedown_tasks")
    record = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=300)
    where = models.CharField(max_length=300)
    assigned_to = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["done_at", "due_on", "pk"]

    def __str__(self) -> str:
        return f"take down {self.what} for {self.child}"


class Channel(models.TextChoices):
    VIDEO = "video", "Video session"
    CHAT = "chat", "Chat or messaging"
    VOICE = "voice", "Voice message"
    PHOTO = "photo", "Photo or video taken"
    RECORDING = "recording", "Session recording"
    PHONE = "phone", "Phone call"
    EMAIL = "email", "Email"


class MediaUseKind(models.TextChoices):
    PHOTO = "photo", "Photo"
    VIDEO = "video", "Video"
    NAME = "name", "Name"


class MediaUsePlace(models.TextChoices):
    RECORDS = "records", "Our own records"
    PRINT = "print", "Printed material"
    WEBSITE = "website", "Our website"
    SOCIAL = "social", "Social media"


class MediaUse(models.Model):
    """One use of a child's photo, video or name, and the consent in force that day.

    Always saved, whatever the consent said: a use made without consent is what
    the leads must hear of and what a takedown must remove, so it is flagged,
    never refused. Only ``removed_on`` and ``removed_by`` change, when it is taken down.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="media_uses")
    kind = models.CharField(max_length=10, choices=MediaUseKind.choices)
    where = models.CharField(max_length=10, choices=MediaUsePlace.choices)
    description = models.CharField(max_length=300)
    used_on = models.DateField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    # None where no consent is needed (a child's name in their own records).
    consent_type = models.ForeignKey(
        ConsentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consent_allowed = models.BooleanField()
    consent_reason = models.CharField(max_length=300)
    reason_if_not_allowed = models.TextField(blank=True)
    removed_on = models.DateField(null=True, blank=True)
    removed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-used_on", "-pk"]
        indexes = [models.Index(fields=["child", "consent_type", "removed_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.child} in {self.get_where_display().lower()}"
