"""The beat task that copies the chain's head, signed, outside the database, and
the refusal of a checkpoint file that was altered."""

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core import mail

from audit import services as audit
from audit.checkpoints import STORAGE_ALIAS
from audit.models import AuditChainHead
from audit.tasks import write_checkpoint
from safeguard.celery import app as celery_app
from tests.audit.test_audit import raw, write_events
from tests.audit.test_chain_head import verify
from tests.real_services import database_url, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoint_dir(settings, tmp_path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        STORAGE_ALIAS: {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "checkpoints")},
        },
    }
    settings.OPERATORS = ["ops@safeguard.test", "oncall@safeguard.test"]
    return tmp_path / "checkpoints"


def test_beat_runs_the_checkpoint_hourly_and_emails_it_daily() -> None:
    entries = [
        entry
        for entry in celery_app.conf.beat_schedule.values()
        if entry["task"] == "audit.tasks.write_checkpoint"
    ]
    assert sorted(entry["kwargs"]["send"] for entry in entries) == [False, True]
    assert write_checkpoint.name == "audit.tasks.write_checkpoint"


def test_the_task_stores_a_signed_checkpoint_and_emails_it(alice, checkpoint_dir) -> None:
    write_events(alice, 3)
    name = write_checkpoint.delay(send=True).get()

    stored = checkpoint_dir / name
    document = json.loads(stored.read_bytes())
    assert document["seq"] == 3
    assert document["hash"] == AuditChainHead.objects.get().hash
    assert document["mac"] == audit.head_mac(3, document["hash"])
    assert document["signed"]

    assert sorted(message.to[0] for message in mail.outbox) == [
        "oncall@safeguard.test",
        "ops@safeguard.test",
    ]
    message = mail.outbox[0]
    assert "#3" in message.subject
    (filename, attached, _mimetype) = message.attachments[0]
    assert attached == stored.read_bytes()
    assert f"verify_audit --against {filename}" in message.body

    # What operators keep proves the chain later.
    copy = checkpoint_dir.parent / filename
    copy.write_bytes(attached)
    code, output = verify(copy)
    assert code == 0, output


def test_the_hourly_run_stores_without_emailing(alice, checkpoint_dir) -> None:
    write_events(alice, 1)
    name = write_checkpoint.delay(send=False).get()
    assert (checkpoint_dir / name).exists()
    assert mail.outbox == []


def test_the_checkpoint_reaches_operators_over_smtp(alice, checkpoint_dir, settings) -> None:
    """Through Django's SMTP backend to a real SMTP server."""
    received: list[bytes] = []
    done = threading.Event()

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.content)
            done.set()
            return "250 OK"

    port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.OPERATORS = ["ops@safeguard.test"]
        write_events(alice, 2)
        write_checkpoint.delay(send=True).get()
        assert done.wait(10)
    finally:
        smtp.stop()
    message = message_from_bytes(received[0])
    assert message["To"] == "ops@safeguard.test"
    parts = [part for part in message.walk() if part.get_filename()]
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert json.loads(payload)["seq"] == 2


@pytest.mark.parametrize(
    "tamper",
    [
        lambda doc: doc.update(seq=doc["seq"] - 2),  # readable field changed
        lambda doc: doc.update(signed=doc["signed"].replace(":", ":x", 1)),  # signature broken
        lambda doc: doc.pop("signed"),
    ],
    ids=["readable-field", "signature", "no-signature"],
)
def test_a_tampered_checkpoint_is_refused(alice, checkpoint_dir, tamper) -> None:
    write_events(alice, 4)
    name = write_checkpoint.delay(send=False).get()
    path = checkpoint_dir / name
    document = json.loads(path.read_bytes())
    tamper(document)
    path.write_text(json.dumps(document))
    code, message = verify(path)
    assert code == 1
    assert f"Checkpoint {path} refused" in message


def test_a_checkpoint_signed_with_another_key_is_refused(alice, checkpoint_dir, settings) -> None:
    write_events(alice, 2)
    name = write_checkpoint.delay(send=False).get()
    settings.AUDIT_CHAIN_KEY = "someone else's key"
    code, message = verify(checkpoint_dir / name)
    assert code == 1
    assert "signature does not verify" in message


def test_a_missing_checkpoint_file_is_a_clear_error(alice, tmp_path) -> None:
    code, message = verify(tmp_path / "nowhere.json")
    assert code == 1
    assert "Cannot read the checkpoint" in message


def test_no_checkpoint_vouches_for_a_head_that_does_not_verify(alice, checkpoint_dir) -> None:
    write_events(alice, 3)
    raw("UPDATE safeguard_auditchainhead SET mac = %s WHERE id = 1", ["0" * 64])
    with pytest.raises(Exception, match="does not verify; no checkpoint was taken"):
        write_checkpoint.delay(send=True).get()
    assert not checkpoint_dir.exists() or not any(checkpoint_dir.rglob("*.json"))
    assert [message.subject for message in mail.outbox] == [
        "Safeguard: audit checkpoint NOT taken"
    ] * 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_and_emails_the_checkpoint(
    postgres, redis_broker, alice, monkeypatch, tmp_path
) -> None:
    """From Redis to a Celery worker in its own process, with the file email backend."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    write_events(alice, 3)
    queue = f"test-{uuid.uuid4().hex}"
    stored, mailbox = tmp_path / "checkpoints", tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_broker,
        "AUDIT_CHECKPOINT_DIR": str(stored),
        "EMAIL_URL": f"filemail://{mailbox}",
        "OPERATORS": "ops@safeguard.test",
    }
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
        write_checkpoint.apply_async(kwargs={"send": True}, queue=queue)
        wait_until(lambda: any(mailbox.glob("*.log")), 90, "the checkpoint email")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    (checkpoint,) = stored.rglob("*.json")
    assert json.loads(checkpoint.read_bytes())["seq"] == 3
    code, message = verify(checkpoint)
    assert code == 0, message
    email = next(mailbox.glob("*.log")).read_text()
    assert "To: ops@safeguard.test" in email
    assert checkpoint.name in email
