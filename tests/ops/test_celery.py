"""The Celery app: its schedule names real tasks, and a real worker runs them."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ops.models import WorkerHeartbeat
from ops.tasks import record_worker_heartbeat
from safeguard.celery import app
from tests.real_services import database_url

ROOT = Path(__file__).resolve().parents[2]


def test_every_scheduled_task_is_registered() -> None:
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_tasks_survive_a_lost_worker_and_never_run_forever() -> None:
    # Behaviour the reminder engine depends on: redelivery after a crash and a
    # hard stop for a stuck task, with JSON so nothing executable crosses the broker.
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.accept_content == ["json"]
    assert app.conf.timezone == "UTC"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_takes_the_task_from_redis_and_writes_to_postgres(
    postgres, redis_broker, monkeypatch
) -> None:
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    # A queue of its own, so parallel test processes never take each other's tasks.
    queue = f"test-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": redis_broker}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "safeguard",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        record_worker_heartbeat.apply_async(queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.5)
        heartbeat = WorkerHeartbeat.objects.get()
        assert heartbeat.hostname == socket.gethostname()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
