"""Staff compliance: DBS checks and training, each a dated record kept for good."""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db import models
from django.utils import timezone as django_timezone

from accounts.models import Organisation, Role, User


class DBSLevel(models.TextChoices):
    BASIC = "basic", "Basic"
    STANDARD = "standard", "Standard"
    ENHANCED = "enhanced", "Enhanced"
    ENHANCED_BARRED = "enhanced_barred", "Enhanced with children's barred list"


class DBSCheck(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(User, on_delete=models.PROTECT, related_name="dbs_checks")
    level = models.CharField(max_length=20, choices=DBSLevel.choices)
    issued_on = models.DateField()
    update_service = models.BooleanField("subscribed to the DBS Update Service", default=False)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=django_timezone.now, editable=False)

    class Meta:
        db_table = "safeguard_dbscheck"
        ordering = ["-issued_on", "-pk"]
        get_latest_by = "issued_on"

    def __str__(self) -> str:
        return f"{self.get_level_display()} DBS for {self.staff}, {self.issued_on}"

    def next_check_due(self, recheck_months: int) -> dt.date:
        return self.issued_on + relativedelta(months=recheck_months)


class TrainingKind(models.TextChoices):
    SAFEGUARDING = "safeguarding", "Safeguarding"
    ONLINE_SAFETY = "online_safety", "Online safety"
    ONLINE_RISKS_THERAPY = "online_risks_therapy", "Online risks in therapy"
    ONLINE_PRESENCE = "online_presence", "Managing the organisation's online presence"
    DSL_UPDATE = "dsl_update", "DSL yearly update"
    AI_RISKS = "ai_risks", "AI risks (generated images, chatbots)"
    MISINFORMATION = "misinformation", "Misinformation, disinformation and conspiracy theories"
    # How to use Safeguard itself, confirmed before anyone opens a child's record.
    SYSTEM = "system", "Using Safeguard (system training)"


# How long each kind of training lasts before it must be refreshed: safeguarding
# every three years; the rest every year, as the policies require.
TRAINING_VALID_MONTHS: dict[str, int] = {
    TrainingKind.SAFEGUARDING: 36,
    TrainingKind.ONLINE_SAFETY: 12,
    TrainingKind.ONLINE_RISKS_THERAPY: 12,
    TrainingKind.ONLINE_PRESENCE: 12,
    TrainingKind.DSL_UPDATE: 12,
    TrainingKind.AI_RISKS: 12,
    TrainingKind.MISINFORMATION: 12,
    TrainingKind.SYSTEM: 36,
}


class Delivery(models.TextChoices):
    INTERNAL = "internal", "Internal"
    EXTERNAL = "external", "External"


class TrainingRecord(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(User, on_delete=models.PROTECT, related_name="training_records")
    kind = models.CharField(max_length=20, choices=TrainingKind.choices)
    level = models.CharField(
        max_length=60, blank=True, help_text="For safeguarding: for example level 1, 2, 3 or DSL."
    )
    completed_on = models.DateField()
    delivery = models.CharField(max_length=10, choices=Delivery.choices, blank=True)
    provider = models.CharField(max_length=200, blank=True)
    certificate = models.FileField(upload_to="training_certificates/%Y/", blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=django_timezone.now, editable=False)

    class Meta:
        db_table = "safeguard_trainingrecord"
        ordering = ["-completed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} training for {self.staff}, {self.completed_on}"

    @property
    def refresh_due(self) -> dt.date:
        return self.completed_on + relativedelta(months=TRAINING_VALID_MONTHS[self.kind])


class RoleTrainingRequirement(models.Model):
    """An organisation's own answer to "does this role need this training?",
    overriding the default (compliance.services.ROLE_TRAINING) for that pair."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices)
    kind = models.CharField(max_length=20, choices=TrainingKind.choices)
    required = models.BooleanField()
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "role", "kind"], name="role_training_once"
            )
        ]

    def __str__(self) -> str:
        need = "needs" if self.required else "does not need"
        return f"{self.get_role_display()} {need} {self.get_kind_display()}"
