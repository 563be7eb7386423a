"""The reminder engine with real parts: a Celery worker on Redis killed mid-run,
and a broker that cannot be reached at all."""

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from notices.models import DigestLedger, Notice
from safeguard.celery import app
from tests.factories import UserFactory
from tests.real_services import database_url, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


class SlowSMTPSink:
    """A real SMTP server that pauses before accepting each recipient, so a test
    can kill the sender while it waits on the network mid-message."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.messages: list[tuple[list[str], str]] = []
        self.recipients_started = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.recipients_started += 1
        await asyncio.sleep(self.pause)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 Message accepted"


def start_worker(env: dict[str, str], queue: str) -> subprocess.Popen:
    return subprocess.Popen(
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
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_run_sends_every_reminder_exactly_once(
    postgres, redis_broker, organisation, monkeypatch
) -> None:
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    admins = [
        UserFactory(organisation=organisation, role=Role.ADMIN, email=f"admin{n}@alder.test")
        for n in range(6)
    ]
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    invitees = [
        UserFactory(
            organisation=organisation,
            full_name=f"Invitee Number{n}",
            authenticator=False,
            invited_at=now - dt.timedelta(days=4),
        )
        for n in range(4)
    ]
    assert TOTPDevice.objects.filter(user__in=invitees).count() == 0

    sink = SlowSMTPSink(pause=1.0)
    smtp_port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    queue = f"test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_broker,
        "CELERY_QUEUE": queue,
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
    }
    worker = start_worker(env, queue)
    try:
        app.send_task("safeguard.tasks.sweep_reminders", args=[now.isoformat()], queue=queue)
        # The worker is blocked on the third digest's SMTP conversation: the
        # first two are accepted and marked sent, the third is neither.
        wait_until(lambda: sink.recipients_started >= 3, 60, "the third email to start")
        time.sleep(0.3)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert len(sink.messages) == 2

        worker = start_worker(env, queue)
        # The next hourly sweep, as beat would send it.
        app.send_task("safeguard.tasks.sweep_reminders", args=[now.isoformat()], queue=queue)
        wait_until(lambda: len(sink.messages) >= 6, 90, "all six digests")
        time.sleep(7)  # long enough for the killed task to be redelivered, too
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        smtp.stop()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)

    recipients = sorted(rcpt for rcpts, _ in sink.messages for rcpt in rcpts)
    assert recipients == sorted(admin.email for admin in admins)  # each exactly once
    for _, content in sink.messages:
        for invitee in invitees:
            assert invitee.full_name in content
    assert not Notice.objects.filter(emailed_at__isnull=True).exists()
    assert DigestLedger.objects.filter(sent_at__isnull=False).count() == 6


def test_with_the_broker_unreachable_pages_work_and_the_next_sweep_sends(tmp_path) -> None:
    """Nothing of ours is stopped: the app is simply pointed at a port where no
    broker listens, on a database of its own."""
    mail_dir = tmp_path / "mail"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "DJANGO_ENV"}
    }
    env |= {
        "VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "EMAIL_URL": f"filemail://{mail_dir}",
    }

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    manage("migrate", "--noinput", "-v", "0")
    out = manage("shell", "-v", "0", "-c", BROKER_DOWN_SCRIPT)
    assert out.split() == ["invite=302", "staff=200", "home=200"]
    files = sorted(mail_dir.iterdir())
    assert len(files) == 1  # the invitation went out from the request itself
    assert "You have been invited to Safeguard" in files[0].read_text()

    sweep = manage("send_reminders", "--now=2026-12-01T09:00:00+00:00")
    assert '"claimed": 1' in sweep
    assert '"sent": 1' in sweep
    digest = [f for f in mail_dir.iterdir() if f not in files]
    assert len(digest) == 1
    assert "Erin Evans has not finished setting up their sign-in" in digest[0].read_text()


BROKER_DOWN_SCRIPT = """
import datetime as dt
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.models import Organisation, User

org = Organisation.objects.create(name="Alder Play Therapy", slug="alder")
bob = User.objects.create_user("bob@alder.test", "x" * 16, full_name="Bob", organisation=org,
                               role="admin")
device = TOTPDevice.objects.create(user=bob, name="default", confirmed=True)
client = Client(HTTP_HOST="localhost")
client.force_login(bob)
session = client.session
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.save()
invite = client.post("/staff/invite/", {"full_name": "Erin Evans", "email": "erin@alder.test",
                                        "role": "staff"})
User.objects.filter(email="erin@alder.test").update(
    invited_at=dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC))
print(f"invite={invite.status_code}", f"staff={client.get('/staff/').status_code}",
      f"home={client.get('/').status_code}")
"""
