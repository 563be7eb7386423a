"""Dependency checks behind /healthz, and the worker heartbeat they report."""

import datetime as dt
import os
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection

from ops.models import WorkerHeartbeat

BROKER_TIMEOUT_SECONDS = 3


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure to reach the database means "down"
        return "error"
    return "ok"


def broker_status() -> str:
    """Open a real connection to the configured broker and close it again."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    broker = Connection(
        settings.CELERY_BROKER_URL,
        transport_options=options,
        connect_timeout=BROKER_TIMEOUT_SECONDS,
    )
    try:
        broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
        # The filesystem transport "connects" to anything; what matters is that
        # the shared folder is there and we can write messages into it.
        if broker.transport_cls == "filesystem":
            folder = Path(str(options["data_folder_out"]))
            if not (folder.is_dir() and os.access(folder, os.W_OK)):
                return "error"
    except Exception:  # refused, timed out, bad credentials: all "down"
        return "error"
    finally:
        broker.release()
    return "ok"


def worker_last_seen() -> dt.datetime | None:
    try:
        latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    except Exception:  # database down: database_status already says so
        return None
    return latest.seen_at if latest else None


def worker_heartbeat_record(*, hostname: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname[:255], defaults={"seen_at": timezone.now()}
    )
