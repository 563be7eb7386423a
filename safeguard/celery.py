"""The Celery application.

Configuration lives in Django settings under the ``CELERY_`` namespace; only the
beat schedule is kept here, in code, so that what runs when is reviewed with the
code that runs it. Beat runs in UTC; tasks apply each organisation's timezone
themselves when they decide what is due.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguard.settings")

app = Celery("safeguard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Hourly, so that each organisation's digest goes out soon after 07:00 in its
    # own timezone; what is due is decided from the database, so a missed hour
    # or day simply catches up. Expires before the next run, so a backlog after
    # an outage never sends a stack of sweeps.
    "reminders-sweep": {
        "task": "safeguard.tasks.sweep_reminders",
        "schedule": crontab(minute=5),
        "options": {"expires": 50 * 60},
    },
    # Daily: ask parents to renew consent that runs out soon (CONSENT_RENEWAL_DAYS).
    "consent-renewals": {
        "task": "consent.tasks.send_renewal_requests",
        "schedule": crontab(minute=20, hour=6),
        "options": {"expires": 3600},
    },
    # Daily, before the morning digest: records whose retention period ended
    # are queued for review (and reminded by the next sweep).
    "retention-queue": {
        "task": "safeguard.tasks.queue_retention_reviews",
        "schedule": crontab(minute=40, hour=5),
        "options": {"expires": 3600},
    },
    # The audit chain's head, signed, copied outside the database: stored hourly,
    # so a cut tail is caught back to the last hour, and emailed to the operators
    # daily (audit.checkpoints).
    "audit-checkpoint": {
        "task": "audit.tasks.write_checkpoint",
        "schedule": crontab(minute=50),
        "kwargs": {"send": False},
        "options": {"expires": 50 * 60},
    },
    "audit-checkpoint-email": {
        "task": "audit.tasks.write_checkpoint",
        "schedule": crontab(minute=55, hour=5),
        "kwargs": {"send": True},
        "options": {"expires": 3600},
    },
    # Hourly: policy documents uploaded for import and never confirmed are kept
    # a day (policies.staging.STALE_AFTER), then deleted from storage.
    "policy-imports-forget": {
        "task": "policies.tasks.forget_unconfirmed_imports",
        "schedule": crontab(minute=35),
        "options": {"expires": 50 * 60},
    },
    # Lets /healthz say when a worker last ran a scheduled task, which proves
    # beat, broker and worker are all alive, not just reachable.
    "worker-heartbeat": {
        "task": "safeguard.tasks.record_worker_heartbeat",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
}
