"""Core records: the organisations that use Safeguard and the staff who sign in.

The custom user model lives in the very first migration so that nobody ever has
to swap it later; later issues add fields to it, never replace it.
"""

import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone as django_timezone


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a timezone name such as Europe/London.")


class Organisation(models.Model):
    """A children's service. Every row that belongs to one carries it."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_timezone]
    )
    default_review_interval_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="How often policies are reviewed unless a policy says otherwise.",
    )
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    STAFF = "staff", "Staff"
    DSL = "dsl", "Designated Safeguarding Lead"
    DEPUTY_DSL = "deputy_dsl", "Deputy DSL"
    DIRECTOR = "director", "Director"
    ADMIN = "admin", "Organisation admin"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        extra.setdefault("role", Role.ADMIN)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Email addresses are stored lower-case, so sign-in is case-insensitive.
        return self.get(**{self.model.USERNAME_FIELD: (username or "").lower()})


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Parents never have accounts; they use emailed links."""

    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=200)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    is_active = models.BooleanField(default=True)
    # Django's own flag for the admin site, not a safeguarding role.
    is_staff = models.BooleanField("may use the Django admin", default=False)
    date_joined = models.DateTimeField(default=django_timezone.now, editable=False)
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name", "organisation"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def invitation_pending(self) -> bool:
        """Invited but has not yet chosen a password."""
        return self.is_active and not self.has_usable_password()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the scheduled heartbeat task.

    One row per worker hostname. It is operational state, not a record about a
    child, so it is overwritten in place.
    """

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class StaffSession(models.Model):
    """Which session keys belong to which user, so that deactivating someone or
    resetting their second factor can end every session they have at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    def __str__(self) -> str:
        return f"session of {self.user_id}"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise AuditLogImmutableError("Audit events are never updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutableError("Audit events are never deleted.")


class AuditLogImmutableError(Exception):
    pass


class AuditEvent(models.Model):
    """One thing that happened, append-only and hash-chained.

    Each row stores the hash of the row before it (by ``seq``) and an HMAC-SHA256
    of its own contents including that link, so editing, deleting or reordering
    rows breaks the chain; ``manage.py verify_audit`` finds where. Rows are only
    written by ``safeguard.audit.record``.
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

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AuditLogImmutableError("Audit events are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutableError("Audit events are never deleted.")


class AuditChainHead(models.Model):
    """The newest event's sequence number and hash: one row, locked by every append.

    Locking it serialises writers, so two requests never chain onto the same
    event; comparing it with the last event shows when the newest rows were cut off.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class ReminderLedger(models.Model):
    """One row per reminder ever due: (kind, object, stage) is unique.

    Inserting the row is the claim: whichever sweep inserts it creates the
    notices and queues the emails; any other sweep, now or later, finds the row
    there and does nothing. The database, not the broker, is the source of truth.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    stage = models.CharField(max_length=32)
    # The due date (in the organisation's timezone) is part of the key, so a
    # policy reviewed every year gets its "30 days" reminder every year.
    due_on = models.DateField()
    due_at = models.DateTimeField()
    urgent = models.BooleanField(default=False)
    claimed_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "stage", "due_on"],
                name="reminder_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_type}#{self.object_id} {self.stage}"


class Notice(models.Model):
    """A reminder as one person sees it: in the portal at once, by email later."""

    ledger = models.ForeignKey(ReminderLedger, on_delete=models.PROTECT, related_name="notices")
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notices")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500)
    urgent = models.BooleanField(default=False)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=django_timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["ledger", "recipient"], name="notice_once_per_person")
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "emailed_at"]),
        ]

    def __str__(self) -> str:
        return self.title


class DigestLedger(models.Model):
    """One daily digest email per person per local date; the row is the claim."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    local_date = models.DateField()
    created_at = models.DateTimeField(default=django_timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    notice_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "local_date"], name="one_digest_a_day")
        ]

    def __str__(self) -> str:
        return f"digest for {self.recipient_id} on {self.local_date}"
