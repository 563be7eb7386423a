"""Child protection files moving between settings (KCSIE: within 5 school days
of a child leaving, separately and securely, with confirmation of receipt).

``FileTransfer`` is the sender's record: who it went to, how the passphrase
reaches them, the encrypted package, the single-use collection link and the
receipt. ``ReceivedFile`` is the receiver's: a package imported into a new
child's file, kept exactly as it arrived. ``TransferNotNeeded`` is a lead's
record that a child who left has no file to send. incidents.models imports
them, so Django finds them there.
"""

import datetime as dt

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organisation, User
from children.models import Child
from common.models import AppendOnly, append_only
from common.working_days import add_working_days

# KCSIE: the file goes "within 5 school days" of the child leaving.
TRANSFER_WORKING_DAYS = 5
LINK_VALID = dt.timedelta(days=10)
PACKAGE_MAX_BYTES = 25_000_000


class PassphraseRoute(models.TextChoices):
    """How the passphrase reaches the recipient: never with the link."""

    PHONE = "phone", "A phone call"
    TEXT = "text", "A text message"
    IN_PERSON = "in_person", "In person"
    SEPARATE_EMAIL = "separate_email", "A separate email to another address"


def transfer_due_on(left_on: dt.date) -> dt.date:
    return add_working_days(left_on, TRANSFER_WORKING_DAYS)


class FileTransfer(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="file_transfers")
    left_on = models.DateField("the day the child left")
    due_on = models.DateField("due by")
    recipient_name = models.CharField("recipient's name", max_length=200)
    recipient_role = models.CharField("recipient's role", max_length=120)
    recipient_setting = models.CharField("their school or service", max_length=200)
    recipient_email = models.EmailField("recipient's email")
    passphrase_route = models.CharField(
        "how the passphrase reaches them", max_length=16, choices=PassphraseRoute.choices
    )
    # The encrypted PDF, in private storage; only the link's download reads it.
    package = models.FileField(upload_to="file_transfers/%Y/")
    package_sha256 = models.CharField(max_length=64)
    package_size = models.PositiveIntegerField()
    # Only the hash of the link's token: the token itself exists only in the email.
    token_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    link_expires_at = models.DateTimeField()
    collected_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by_name = models.CharField(max_length=200, blank=True)
    received_by_role = models.CharField(max_length=120, blank=True)
    received_setting = models.CharField(max_length=200, blank=True)
    receipt_note = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The token's hash is a credential: no history row keeps old ones.
    history = HistoricalRecords(excluded_fields=["token_sha256", "created_at"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "received_at"])]

    def __str__(self) -> str:
        return f"file transfer {self.pk} to {self.recipient_setting}"

    @property
    def link_expired(self) -> bool:
        return timezone.now() >= self.link_expires_at

    @property
    def is_received(self) -> bool:
        return self.received_at is not None

    @property
    def status(self) -> str:
        if self.received_at:
            return "Receipt confirmed"
        if self.collected_at:
            return "Collected, receipt not yet confirmed"
        if self.link_expired:
            return "Link expired before it was used"
        return "Sent, not yet collected"


class TransferNotNeeded(AppendOnly):
    """A lead's record that a child who left has no child protection file to send
    (their concerns were all about someone else, say): it ends the reminders."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["recorded_at", "pk"]
        triggers = append_only()

    def __str__(self) -> str:
        return f"no file to send for child {self.child_id}"


class ReceivedFile(AppendOnly):
    """A child protection file another setting sent, imported into a new child's
    file: the package as it arrived and what it said, never changed."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="received_files")
    from_organisation = models.CharField("sent by (organisation)", max_length=200)
    from_person = models.CharField("sent by (person)", max_length=200, blank=True)
    left_on = models.DateField(null=True, blank=True)
    package = models.FileField(upload_to="received_files/%Y/")
    package_sha256 = models.CharField(max_length=64)
    package_size = models.PositiveIntegerField()
    records = models.JSONField()
    imported_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["imported_at", "pk"]
        triggers = append_only()

    def __str__(self) -> str:
        return f"file received from {self.from_organisation}"
