"""Operational state: which Celery workers are alive (see ops.health)."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the scheduled heartbeat task.

    One row per worker hostname. It is operational state, not a record about a
    child, so it is overwritten in place.
    """

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        db_table = "safeguard_workerheartbeat"

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
