"""The same refusal with a real Celery worker on Redis and a real SMTP server:
what the worker records is what staff are shown."""

import os
import signal
import uuid

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from accounts.models import Role
from children import services as caseload
from consent import services as consent_services
from consent.models import ConsentType
from outbox.models import Delivery, OutboundMessage
from outbox.services import message_resend
from safeguard.celery import app
from tests.factories import ChildFactory, UserFactory
from tests.notices.test_reminders_worker import start_worker
from tests.outbox.test_delivery import MailServer
from tests.real_services import database_url, free_port, wait_until


def _state(pk: int) -> str:
    return OutboundMessage.objects.get(pk=pk).state


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_records_the_refusal_and_sends_the_resend(
    postgres, redis_broker, organisation, monkeypatch
) -> None:
    queue = f"test-{uuid.uuid4().hex}"
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    dsl = UserFactory(organisation=organisation, role=Role.DSL)
    therapist = UserFactory(organisation=organisation, role=Role.STAFF)
    child = ChildFactory(organisation=organisation, first_name="Noor")
    link = caseload.guardian_add(
        child=child,
        by=dsl,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="parent",
        parental_responsibility=True,
    )
    caseload.allocation_start(child=child, staff=therapist, starts_on=timezone.localdate(), by=dsl)
    consent_services.consent_types_ensure(organisation=organisation)
    sessions = ConsentType.objects.get(organisation=organisation, code="online_sessions")

    server = MailServer()
    server.refuse("550 5.1.1 No such mailbox")
    port = free_port()
    smtp = Controller(server, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_broker,
        "CELERY_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
    }
    worker = start_worker(env, queue)
    try:
        consent_services.consent_request_send(
            child=child, guardians=[link.guardian], consent_types=[sessions], by=therapist
        )
        failed = OutboundMessage.objects.get()
        wait_until(lambda: _state(failed.pk) != Delivery.QUEUED, 90, "the worker to try it")
        failed.refresh_from_db()
        assert failed.state == Delivery.FAILED
        assert failed.failure_reason == "550 5.1.1 No such mailbox"
        assert failed.attempts == 1

        server.accept()
        new = message_resend(message=failed, by=therapist)
        wait_until(lambda: _state(new.pk) == Delivery.SENT, 90, "the resend to be sent")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        smtp.stop()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
    (received,) = server.messages
    assert received["To"] == "huda@example.test"
    assert "/c/" in received.get_body(preferencelist=("plain",)).get_content()
