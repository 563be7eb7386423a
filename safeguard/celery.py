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
    # Lets /healthz say when a worker last ran a scheduled task, which proves
    # beat, broker and worker are all alive, not just reachable.
    "worker-heartbeat": {
        "task": "safeguard.tasks.record_worker_heartbeat",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
}
