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
from children.models import Child, Guardian
from common.models import AppendOnly, append_only
from consent.models import Channel, ConsentType

ASSESSMENT_VALID_MONTHS = 12
ATTESTATION_VALID_MONTHS = 12


def weekdays_default() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday


# Where a default comes from. Each rule is on by default when any of the
# policies these services wrote asks for it: the stricter policy wins.
MUSIC = "music therapy online-safety policy"
PLAY = "play therapy online-safety policy"


class PracticeSettings(models.Model):
    """The rules an organisation's online work with children follows, each its
    own setting. "May I?" answers no when a planned session would break one; the
    contact log records a session that broke one, names the breach and tells the
    DSL. Every rule is on unless the organisation turns it off."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="practice_settings"
    )
    working_day_starts = models.TimeField(default=dt.time(8, 0))
    working_day_ends = models.TimeField(default=dt.time(18, 0))
    working_days = models.JSONField(default=weekdays_default)
    require_purpose = models.BooleanField(
        "a contact states its purpose",
        default=True,
        help_text=f"{MUSIC} 7: communication relates solely to the therapy session or agreed "
        "therapeutic activities.",
    )
    flag_out_of_hours = models.BooleanField(
        "tell the DSL of contact outside working hours",
        default=True,
        help_text=f"{MUSIC} 7: no communication outside scheduled appointments.",
    )
    scheduled_only = models.BooleanField(
        "contact happens only in a planned session",
        default=True,
        help_text=f"{MUSIC} 7: therapists must not communicate with clients outside "
        "scheduled appointments. A contact with no planned session is flagged.",
    )
    never_phone_or_text_child = models.BooleanField(
        "never phone or text a child directly",
        default=True,
        help_text="Staff phone or message a parent or carer, never the child. The stricter "
        f"policies forbid phoning children; the {MUSIC} (4.2) allows phone-based chat in a "
        "session for children who struggle with speech: turn this off to allow it.",
    )
    occasion_permission = models.BooleanField(
        "each direct message to a child needs a parent's permission for that occasion",
        default=False,
        help_text=f"{MUSIC} 6: parents are informed of, and agree to, each use of phone-based "
        "communication. Off by default: a standing consent covers messages.",
    )
    require_copy = models.BooleanField(
        "messages copy in a colleague or a parent or carer",
        default=True,
        help_text="Chat, email and voice messages copy in another adult: a colleague or a "
        f"parent or carer with parental responsibility ({MUSIC} 6: transparency with parents).",
    )
    parent_contacted_start = models.BooleanField(
        "a parent or carer is contacted at the start of a video session",
        default=True,
        help_text=f"{MUSIC} 7: parents or carers are contacted at the beginning of each "
        "virtual session.",
    )
    parent_contacted_end = models.BooleanField(
        "a parent or carer is contacted at the end of a video session",
        default=True,
        help_text=f"{MUSIC} 7: parents or carers are contacted at the end of each virtual session.",
    )
    parent_present = models.BooleanField(
        "a named parent or carer is close by during video, chat, voice and phone contact",
        default=True,
        help_text=f"{MUSIC} 6: parents are physically close by and aware during all "
        "communication between the therapist and the child; 7: video calls with parental "
        "participation.",
    )
    second_staff = models.BooleanField(
        "a second member of staff joins video sessions",
        default=True,
        help_text="Two adults from the service in every video session. A solo practitioner "
        "turns this off and keeps the parent checks.",
    )
    single_use_link = models.BooleanField(
        "video meeting links are used once",
        default=True,
        help_text=f"{MUSIC} 7: therapists do not send links to other platforms; a link made "
        "for one session cannot be reused by someone else.",
    )
    passcode = models.BooleanField(
        "video meetings have a passcode",
        default=True,
        help_text=f"{PLAY} 5: secure and appropriate platforms, with steps to ensure privacy.",
    )
    waiting_room = models.BooleanField(
        "video meetings use a waiting room",
        default=True,
        help_text=f"{PLAY} 5: reasonable steps to ensure privacy; nobody joins unadmitted.",
    )
    camera_check = models.BooleanField(
        "everyone's camera is checked at introductions",
        default=True,
        help_text="Everyone in the call is seen at the start. A child who will not switch "
        "the camera on is recorded, with a follow-up for the therapist.",
    )
    approved_platforms_only = models.BooleanField(
        "only approved, risk-assessed platforms",
        default=True,
        help_text=f"{PLAY} 5: secure and appropriate platforms will be used.",
    )
    registered_devices_only = models.BooleanField(
        "phone calls and voice messages only from a registered work device",
        default=True,
        help_text=f"{MUSIC} 4.3: therapists use their work phone where authorised; phones are "
        "password protected and kept secure.",
    )
    work_device_chat = models.BooleanField(
        "chat only from a registered work device",
        default=True,
        help_text=f"{MUSIC} 4.3: phone-based chat from a work phone, password protected, "
        "messages kept.",
    )
    require_dbs = models.BooleanField(
        "no online contact without a DBS check at the level the organisation sets",
        default=True,
        help_text="The level (Enhanced, or Enhanced with the barred list) is set with the "
        "organisation's staff checks; a lower or lapsed check answers no.",
    )
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
    description = models.TextField(blank=True, help_text="What the policy asks for, and why.")
    evidence_expected = models.CharField(
        "what counts as evidence",
        max_length=300,
        blank=True,
        help_text="For example: the monitoring log for the term, signed by both monitors.",
    )
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    cycle_months = models.PositiveSmallIntegerField(default=12)
    next_due = models.DateField()
    # Retired tasks keep their history and completions; they stop falling due.
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["next_due", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "title"],
                condition=models.Q(active=True),
                name="recurring_task_once",
            )
        ]

    def __str__(self) -> str:
        return self.title


class TaskCompletion(AppendOnly):
    """A task done, with its evidence: kept, never edited."""

    task = models.ForeignKey(RecurringTask, on_delete=models.PROTECT, related_name="completions")
    done_on = models.DateField()
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    evidence = models.TextField()
    # Checked by content on upload, stored privately and streamed only through a
    # permission check.
    evidence_file = models.FileField(upload_to="task_evidence/%Y/", blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-done_on", "-pk"]
        triggers = append_only()

    def __str__(self) -> str:
        return f"{self.task} done {self.done_on}"


class With(models.TextChoices):
    CHILD = "child", "The child"
    PARENT = "parent", "A parent or carer"


class PlannedSession(models.Model):
    """A session or contact a member of staff plans, and the answer "may I?" gave
    when it was planned, every reason at once. Kept as a record; cancelling one
    marks it, never deletes it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="planned_sessions")
    staff = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    planned_for = models.DateTimeField()
    channel = models.CharField(max_length=12, choices=Channel.choices)
    with_whom = models.CharField(max_length=10, choices=With.choices, default=With.CHILD)
    guardian = models.ForeignKey(
        Guardian, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(max_length=300, blank=True)
    approved_platform = models.ForeignKey(
        Platform, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    device = models.ForeignKey(
        WorkDevice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_staff = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent_present = models.ForeignKey(
        Guardian, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    permission_from = models.ForeignKey(
        Guardian, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    permission_at = models.DateTimeField(null=True, blank=True)
    permission_for = models.CharField(max_length=300, blank=True)
    allowed = models.BooleanField()
    # [{"code": ..., "message": ...}]: why not, as answered when it was planned.
    reasons = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["planned_for", "pk"]
        indexes = [models.Index(fields=["child", "staff", "planned_for"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} with {self.child} planned for {self.planned_for}"


class ContactLog(models.Model):
    """An online session or contact with a child, or with a parent about the
    child: always saved, with each rule it broke named (``breaches``) and the
    reason it went ahead (``override_reason``); the DSL is told of any breach."""

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
    # None for contact with a parent or carer, which needs no consent of the child's.
    consent_type = models.ForeignKey(
        ConsentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consent_allowed = models.BooleanField()
    consent_reason = models.CharField(max_length=300)
    # Why the contact went ahead although it broke a rule (consent included).
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
    # Free text from before copies were chosen from people; kept for old contacts.
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
    # Who the contact was with, and the safeguards each have their own answer.
    with_whom = models.CharField(max_length=10, choices=With.choices, default=With.CHILD)
    guardian = models.ForeignKey(
        Guardian, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent_present = models.ForeignKey(
        Guardian, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    passcode = models.BooleanField(default=False)
    waiting_room = models.BooleanField(default=False)
    camera_refused = models.BooleanField(default=False)
    copied_staff = models.ManyToManyField(User, blank=True, related_name="+")
    copied_guardians = models.ManyToManyField(Guardian, blank=True, related_name="+")
    message_text = models.TextField("copy of the message", blank=True)
    message_file = models.FileField(upload_to="contact_messages/%Y/", blank=True)
    permission_from = models.ForeignKey(
        Guardian, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    permission_at = models.DateTimeField(null=True, blank=True)
    permission_for = models.CharField(max_length=300, blank=True)
    plan = models.ForeignKey(
        PlannedSession,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    # [{"code": ..., "message": ...}]: each rule the contact broke, as judged
    # when it was logged. Empty when it kept every rule.
    breaches = models.JSONField(default=list)

    class Meta:
        # The table kept its name when the contact log moved here from consent.
        db_table = "consent_contactlog"
        ordering = ["-happened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} with {self.child}"

    @property
    def breach_messages(self) -> list[str]:
        return [breach["message"] for breach in self.breaches]


class FollowUp(models.Model):
    """Something a logged contact leaves to do (a child who would not switch the
    camera on: talk to the parent before the next session), owned and reminded
    until done."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(ContactLog, on_delete=models.PROTECT, related_name="follow_ups")
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=300)
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.what
