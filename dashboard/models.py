"""What the dashboard keeps between requests: one stamp per organisation that
changes whenever a record its figures read is written; and the commentary
written for the board report."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation
from common.models import AppendOnly, append_only


class FiguresStamp(models.Model):
    """Changed by PostgreSQL itself, from triggers on every table the figures read
    (migration 0001), so no write, bulk or otherwise, can leave a dashboard
    showing figures from before it. dashboard.snapshot keys its cache on it.

    No foreign key constraint: a trigger firing while an organisation is being
    deleted must not fail the deletion.
    """

    organisation = models.OneToOneField(
        Organisation,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    stamp = models.UUIDField()

    def __str__(self) -> str:
        return f"Figures stamp of organisation {self.organisation_id}"


class BoardCommentary(AppendOnly):
    """What a director or admin writes for the board about a period, printed in
    the board report. Every save is a new row, so each version is kept and the
    latest is the one shown (dashboard.commentary); the database refuses a change
    to one, so what the board was told can always be shown again.

    Not part of the kept figures: the board report reads it fresh, so it needs
    no figures stamp trigger.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    text = models.TextField(max_length=5000)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["organisation", "period_start", "period_end", "-written_at"],
                name="dashboard_commentary_latest",
            )
        ]
        triggers = append_only()

    def __str__(self) -> str:
        return f"Board commentary {self.period_start} to {self.period_end}"
