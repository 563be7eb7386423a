"""Thin Celery wrappers around core services."""

import socket

from celery import shared_task

from ops import health


@shared_task(name="safeguard.tasks.record_worker_heartbeat")
def record_worker_heartbeat() -> None:
    """Record that a worker ran a scheduled task.

    Safe to run twice: it only moves this worker's last-seen time forward.
    """
    health.worker_heartbeat_record(hostname=socket.gethostname())
