"""What the dashboard keeps between requests: one stamp per organisation that
changes whenever a record its figures read is written."""

from django.db import models

from accounts.models import Organisation


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
