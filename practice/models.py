"""Online practice: the platforms an organisation has approved and risk
assessed, the rules its contact log applies, and the work devices staff use.

The contact log lives here too (ContactLog, practice.contact_log): each contact
is checked against consent (the consent app) and against these rules.
"""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organisation, User
from children.models import Child
from common.models import AppendOnly, append_only
from consent.models import Channel, ConsentType

ASSESSMENT_VALID_MONTHS = 12
ATTESTATION_VALID_MONTHS = 12


def weekdays_default() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday


class PracticeSettings(models.Model):
    """How an organisation's contact log checks online work with children. Every
    rule is on unless the organisation turns it off."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="practice_settings"
    )
    working_day_starts = models.TimeField(default=dt.time(8, 0))
    working_day_ends = models.TimeField(default=dt.time(18, 0))
    working_days = models.JSONField(default=weekdays_default)
    require_purpose = models.BooleanField("a contact must state its purpose", default=True)
    flag_out_of_hours = models.BooleanField(
        "tell the DSL of contact outside working hours", default=True
    )
    require_copy = models.BooleanField("messages to a child must copy another adult", default=True)
    video_safeguards = models.BooleanField(
        "video sessions need a parent at both ends, a second member of staff, a single-use "
        "link and camera checks",
        default=True,
    )
    approved_platforms_only = models.BooleanField(
        "only approved, risk-assessed platforms", default=True
    )
    registered_devices_only = models.BooleanField(
        "phone-based contact only from a registered work device", default=True
    )
    require_dbs = models.BooleanField("no online contact without a current DBS check", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "practice settings"

    def __str__(self) -> str:
        return f"practice settings of {self.organisation_id}"

    def in_working_hours(self, moment: dt.datetime) -> bool:
        return (
            moment.weekday() in self.working_days
            and self.working_day_starts <= moment.time() < self.working_day_ends
        )


class PlatformKind(models.TextChoices):
    VIDEO = "video", "Video calls"
    CHAT = "chat", "Chat or messaging"
    OTHER = "other", "Other"


class Platform(models.Model):
    """A video, chat or messaging platform the organisation uses with children."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=PlatformKind.choices)
    approved = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="platform_name_once")
        ]

    def __str__(self) -> str:
        return self.name

    def current_assessment(self, today: dt.date | None = None) -> "PlatformAssessment | None":
        today = today or timezone.localdate()
        latest = max(self.assessments.all(), key=lambda a: (a.assessed_on, a.pk), default=None)
        return latest if latest and latest.review_due >= today else None


class PlatformAssessment(AppendOnly):
    """A risk assessment of a platform: kept, never edited; a new one replaces it."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField()
    assessed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField()
    file = models.FileField(upload_to="platform_assessments/%Y/", blank=True)
    review_due = models.DateField()
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-assessed_on", "-pk"]
        triggers = append_only()

    def __str__(self) -> str:
        return f"assessment of {self.platform} on {self.assessed_on}"

    @staticmethod
    def default_review(assessed_on: dt.date) -> dt.date:
        return assessed_on + relativedelta(months=ASSESSMENT_VALID_MONTHS)


class WorkDevice(models.Model):
    """An authorised work phone or device of one member of staff: a description,
    never tracking."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(User, on_delete=models.PROTECT, related_name="work_devices")
    description = models.CharField(max_length=200)
    registered_on = models.DateField(default=dt.date.today)
    retired_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["staff__full_name", "description"]

    def __str__(self) -> str:
        return self.description

    def attested_until(self) -> dt.date | None:
        latest = max(self.attestations.all(), key=lambda a: (a.attested_on, a.pk), default=None)
        return (
            latest.attested_on + relativedelta(months=ATTESTATION_VALID_MONTHS) if latest else None
        )


class DeviceAttestation(AppendOnly):
    """Yearly: the device is password protected and kept from others. What one
    person declared on one day, so it is never edited; next year's is a new one."""

    device = models.ForeignKey(WorkDevice, on_delete=models.PROTECT, related_name="attestations")
    attested_on = models.DateField()
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    password_protected = models.BooleanField()
    kept_from_others = models.BooleanField()

    class Meta:
        ordering = ["-attested_on", "-pk"]
        triggers = append_only()

    def __str__(self) -> str:
        return f"{self.device} attested {self.attested_on}"


ADVICE_VALID_MONTHS = 12


class OnlineAccount(models.Model):
    """One of the organisation's social media accounts or pages: who holds access
    and who monitors it (at least two of each), and when the DSL last advised."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    platform = models.CharField(max_length=120)
    handle = models.CharField(max_length=120)
    privacy = models.CharField("privacy setting", max_length=200)
    holders = models.ManyToManyField(User, related_name="online_accounts_held")
    monitors = models.ManyToManyField(User, related_name="online_accounts_monitored")
    advice_on = models.DateField("last safeguarding advice from the DSL", null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[holders, monitors])

    class Meta:
        ordering = ["platform", "handle"]

    def __str__(self) -> str:
        return f"{self.platform} {self.handle}"

    def problems(self, today: dt.date | None = None) -> list[str]:
        """Why the account is flagged; empty when it is in order. Reads the
        prefetched holders and monitors when present."""
        today = today or timezone.localdate()
        found = []
        if len([u for u in self.holders.all() if u.is_active]) < 2:
            found.append("fewer than two staff hold access")
        if len([u for u in self.monitors.all() if u.is_active]) < 2:
            found.append("fewer than two appointed monitors")
        if (
            self.advice_on is None
            or self.advice_on + relativedelta(months=ADVICE_VALID_MONTHS) < today
        ):
            found.append("no safeguarding advice from the DSL in the last 12 months")
        return found


class RecurringTask(models.Model):
    """A task the policies ask for on a cycle (review of filtering and monitoring,
    audit of internet use...): its owner, how often, and when it is next due."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    cycle_months = models.PositiveSmallIntegerField(default=12)
    next_due = models.DateField()
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["next_due", "title"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "title"], name="recurring_task_once")
        ]

    def __str__(self) -> str:
        return self.title


class TaskCompletion(AppendOnly):
    """A task done, with its evidence: kept, never edited."""

    task = models.ForeignKey(RecurringTask, on_delete=models.PROTECT, related_name="completions")
    done_on = models.DateField()
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    evidence = models.TextField()
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-done_on", "-pk"]
        triggers = append_only()

    def __str__(self) -> str:
        return f"{self.task} done {self.done_on}"


class ContactLog(models.Model):
    """An online session or contact with a child, checked against consent and the
    organisation's practice rules when saved (practice.contact_log)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="contacts")
    staff = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    happened_at = models.DateTimeField()
    channel = models.CharField(max_length=12, choices=Channel.choices)
    platform = models.CharField(max_length=100, blank=True)
    parent_present_start = models.BooleanField(default=False)
    parent_present_end = models.BooleanField(default=False)
    second_staff_present = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    consent_type = models.ForeignKey(ConsentType, on_delete=models.PROTECT, related_name="+")
    consent_allowed = models.BooleanField()
    consent_reason = models.CharField(max_length=300)
    override_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # What the organisation's online-practice rules ask of a contact (practice app).
    purpose = models.CharField(max_length=300, blank=True)
    approved_platform = models.ForeignKey(
        Platform, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    device = models.ForeignKey(
        WorkDevice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    copied_to = models.CharField(max_length=200, blank=True)
    parent_contacted_start = models.BooleanField(default=False)
    parent_contacted_end = models.BooleanField(default=False)
    second_staff = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    single_use_link = models.BooleanField(default=False)
    camera_verified = models.BooleanField(default=False)
    participant_removed = models.BooleanField(default=False)
    removal_reason = models.TextField(blank=True)
    unsolicited = models.BooleanField(default=False)
    out_of_hours = models.BooleanField(default=False)
    incident_reference = models.CharField(max_length=20, blank=True)

    class Meta:
        # The table kept its name when the contact log moved here from consent.
        db_table = "consent_contactlog"
        ordering = ["-happened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} with {self.child}"
