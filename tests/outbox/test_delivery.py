"""Staff are told whether an email went: a real SMTP server refuses or accepts
it, Django's SMTP backend talks to it, and the Celery task runs for real
(eagerly, in the test's transaction, as conftest sets up)."""

import datetime as dt
import email
import email.policy
import re
import threading
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as staff_services
from accounts.models import Role
from audit.models import AuditEvent
from children import services as caseload
from consent import services as consent_services
from consent.models import ConsentRequest, ConsentType, RequestStatus
from incidents import services as incident_services
from notices import engine
from notices.models import Notice
from outbox.models import Delivery, OutboundMessage
from outbox.services import latest_message
from outbox.tasks import MAX_RETRIES
from tests.factories import ChildFactory
from tests.real_services import free_port

pytestmark = pytest.mark.django_db


class MailServer:
    """A real SMTP server whose answer to each message the test chooses."""

    def __init__(self) -> None:
        self.answer_rcpt = "250 OK"
        self.answer_data = "250 Message accepted"
        self.messages: list[email.message.EmailMessage] = []
        self.attempts = 0
        self.lock = threading.Lock()

    def refuse(self, answer: str = "550 5.7.1 Message refused by policy") -> None:
        self.answer_data = answer

    def accept(self) -> None:
        self.answer_rcpt = "250 OK"
        self.answer_data = "250 Message accepted"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.answer_rcpt.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.answer_rcpt

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.attempts += 1
            if self.answer_data.startswith("250"):
                self.messages.append(
                    email.message_from_bytes(envelope.content, policy=email.policy.default)
                )
        return self.answer_data


@pytest.fixture
def mail_server(settings) -> Iterator[MailServer]:
    server = MailServer()
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.SITE_URL = "http://testserver"
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="parent",
        parental_responsibility=True,
    )
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    consent_services.consent_types_ensure(organisation=organisation)
    return child


def _ask(client: Client, child, capture) -> object:
    guardian = child.guardian_links.get().guardian
    sessions = ConsentType.objects.get(organisation=child.organisation, code="online_sessions")
    with capture(execute=True):
        return client.post(
            reverse("consent_request_new", args=[child.pk]),
            {"guardians": [guardian.pk], "consent_types": [sessions.pk]},
            follow=True,
        )


def _text(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def _opens(path: str) -> bool:
    """Whether a parent following the link reaches the consent form."""
    response = Client().get(path, follow=True)
    return response.status_code == 200 and response.redirect_chain == [("/consent/sign/", 302)]


def _sweep(days: int = 0) -> list[Notice]:
    before = set(Notice.objects.values_list("pk", flat=True))
    engine.sweep(now=timezone.now() + dt.timedelta(days=days))
    return list(Notice.objects.exclude(pk__in=before).filter(ledger__kind="outbox.failed"))


def test_a_refused_consent_request_is_failed_shown_reminded_and_resent(
    child, alice, client_for, mail_server, django_capture_on_commit_callbacks
) -> None:
    mail_server.refuse("550 5.7.1 Message refused by policy")
    client = client_for(alice)

    response = _ask(client, child, django_capture_on_commit_callbacks)

    page = response.content.decode()
    assert "sent to 1" not in page  # the old, false claim
    assert "queued" in page
    # The page the success message shows on was drawn before the commit, and the send.
    assert "Email queued, not sent yet" in page
    page = client.get(reverse("child_detail", args=[child.pk])).content.decode()
    message = OutboundMessage.objects.get()
    assert message.state == Delivery.FAILED
    assert message.failure_reason == "550 5.7.1 Message refused by policy"
    assert message.attempts == 1  # a refusal is not retried
    assert message.failed_at is not None
    assert message.sent_at is None
    assert message.requested_by == alice
    assert message.purpose == ConsentRequest.objects.get()
    assert mail_server.messages == []
    # The child's page, where the request is listed, says so, with a way to resend.
    assert "Email not sent" in page
    assert "550 5.7.1 Message refused by policy" in page
    assert reverse("email_resend", args=[message.pk]) in page

    # The sweep reminds whoever sent it, once, and again a week later while it stands.
    (notice,) = _sweep()
    assert notice.recipient == alice
    assert "consent request" in notice.title
    assert "550" in notice.title
    assert notice.url == reverse("child_detail", args=[child.pk])
    assert _sweep() == []
    assert [n.recipient for n in _sweep(days=7)] == [alice]

    mail_server.accept()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("email_resend", args=[message.pk]), follow=True)

    assert response.status_code == 200
    message.refresh_from_db()
    new = message.resent_as
    assert new is not None
    assert new.state == Delivery.SENT
    assert new.attempts == 1
    assert message.state == Delivery.FAILED  # what happened to the first stays recorded
    # A consent request resent is a new request; the old one's link never went out.
    old_request, new_request = ConsentRequest.objects.order_by("pk")
    assert old_request.status == RequestStatus.SUPERSEDED
    assert new.purpose == new_request
    assert AuditEvent.objects.filter(action="email.resent", actor=alice).exists()
    (received,) = mail_server.messages
    assert received["To"] == "huda@example.test"
    link = re.search(r"http://testserver(/c/\S+/)", _text(received))
    assert link is not None
    assert _opens(link.group(1))
    page = client.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert "Email sent" in page
    # Resent: no more reminders, this week or later.
    assert _sweep(days=14) == []


def test_an_accepting_server_receives_the_consent_request(
    child, alice, client_for, mail_server, django_capture_on_commit_callbacks
) -> None:
    client = client_for(alice)
    _ask(client, child, django_capture_on_commit_callbacks)

    message = OutboundMessage.objects.get()
    assert message.state == Delivery.SENT
    # The organisation, never the child: a subject shows on lock screens.
    assert message.subject == "Please answer: a consent request from Alder Play Therapy"
    (received,) = mail_server.messages
    assert received["Subject"] == message.subject
    assert received["To"] == "huda@example.test"
    body = _text(received)
    assert "Huda Hassan" in body
    link = re.search(r"http://testserver(/c/\S+/)", body)
    assert link is not None
    # The link is made when the email is written; only its hash is kept.
    token = link.group(1).split("/")[2]
    assert ConsentRequest.objects.get().token_sha256 == consent_services.token_hash(token)
    assert token not in message.body
    assert token not in message.subject
    assert _opens(link.group(1))
    page = client.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert "Email sent" in page


def test_a_name_saved_with_a_line_break_before_the_rule_no_longer_stops_the_email(
    organisation, dana, alice, client_for, mail_server, django_capture_on_commit_callbacks
) -> None:
    # Saved before names refused line breaks; the subject used to be refused
    # (BadHeaderError), logged and swallowed, while staff read "sent".
    child = ChildFactory(organisation=organisation, first_name="Noor\nAmina", last_name="Hassan")
    caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="parent",
        parental_responsibility=True,
    )
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    consent_services.consent_types_ensure(organisation=organisation)

    _ask(client_for(alice), child, django_capture_on_commit_callbacks)

    (received,) = mail_server.messages
    # The subject no longer names the child at all; the email still goes.
    assert received["Subject"] == "Please answer: a consent request from Alder Play Therapy"
    assert OutboundMessage.objects.get().state == Delivery.SENT


def test_a_fault_that_may_pass_is_retried_then_failed(
    child, alice, client_for, mail_server, django_capture_on_commit_callbacks
) -> None:
    mail_server.answer_rcpt = "451 4.3.0 Mailbox busy, try again later"

    _ask(client_for(alice), child, django_capture_on_commit_callbacks)

    message = OutboundMessage.objects.get()
    assert message.attempts == MAX_RETRIES + 1
    assert message.state == Delivery.FAILED
    assert message.failure_reason == "451 4.3.0 Mailbox busy, try again later"


def test_a_fault_that_passes_is_sent_on_a_later_try(
    child, alice, client_for, mail_server, django_capture_on_commit_callbacks
) -> None:
    busy = iter(["451 4.3.0 Mailbox busy", "451 4.3.0 Mailbox busy"])

    original = MailServer.handle_RCPT

    async def busy_twice(self, server, session, envelope, address, rcpt_options):
        answer = next(busy, None)
        if answer is not None:
            return answer
        return await original(self, server, session, envelope, address, rcpt_options)

    mail_server.handle_RCPT = busy_twice.__get__(mail_server)  # type: ignore[method-assign]

    _ask(client_for(alice), child, django_capture_on_commit_callbacks)

    message = OutboundMessage.objects.get()
    assert (message.state, message.attempts, message.failure_reason) == (Delivery.SENT, 3, "")
    assert len(mail_server.messages) == 1


def test_a_refused_invitation_shows_on_the_staff_list_and_an_admin_resends_it(
    bob, client_for, mail_server, django_capture_on_commit_callbacks
) -> None:
    mail_server.refuse("554 5.7.1 Relay access denied")
    client = client_for(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff_invite"),
            {"full_name": "Ina Invitee", "email": "ina@alder.test", "role": Role.STAFF},
            follow=True,
        )
    assert "Invitation sent" not in response.content.decode()
    message = OutboundMessage.objects.get()
    assert (message.state, message.failure_reason) == (
        Delivery.FAILED,
        "554 5.7.1 Relay access denied",
    )
    staff_page = client.get(reverse("staff_list")).content.decode()
    assert "Email not sent" in staff_page
    assert "554 5.7.1 Relay access denied" in staff_page
    (notice,) = _sweep()
    assert notice.recipient == bob
    assert "invitation" in notice.title

    mail_server.accept()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("email_resend", args=[message.pk]))

    message.refresh_from_db()
    assert message.resent_as is not None
    assert message.resent_as.state == Delivery.SENT
    (received,) = mail_server.messages
    assert received["To"] == "ina@alder.test"
    assert "/account/invitation/" in _text(received)
    assert "Email sent" in client.get(reverse("staff_list")).content.decode()
    assert _sweep(days=7) == []


def test_a_refused_urgent_notice_shows_on_the_concern_and_a_lead_resends_it(
    alice, dana, client_for, mail_server, django_capture_on_commit_callbacks, organisation
) -> None:
    mail_server.refuse()
    child = ChildFactory(organisation=organisation)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.incident_raise(
            reporter=alice,
            children=[child],
            occurred_at=now - dt.timedelta(hours=1),
            disclosed_at=now,
            category="contact",
            incident_type="grooming",
            platform="A game's chat",
            what_happened="An adult asked to move to a private app.",
            initial_risk="high",
        )
    notice = Notice.objects.get(recipient=dana, urgent=True)
    message = latest_message(notice)
    assert message is not None
    assert message.state == Delivery.FAILED
    assert notice.emailed_at is None
    # The sweep does not send it again behind the outbox's back.
    assert notice.pk not in engine.sweep().urgent_notices

    detail = client_for(dana).get(reverse("incident_detail", args=[incident.pk]))
    page = detail.content.decode()
    assert "Email not sent" in page
    assert "550 5.7.1" in page
    # Whoever raised it sees whether the lead was emailed, but not the notice itself.
    summary = client_for(alice).get(reverse("incident_detail", args=[incident.pk]))
    assert "Email not sent" in summary.content.decode()
    assert reverse("email_resend", args=[message.pk]) not in summary.content.decode()
    assert client_for(alice).post(reverse("email_resend", args=[message.pk])).status_code == 404

    mail_server.accept()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(dana).post(reverse("email_resend", args=[message.pk]))
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    (received,) = mail_server.messages
    assert received["To"] == dana.email
    assert received["Subject"].startswith("Urgent: ")


def test_another_organisation_cannot_see_or_resend_an_email(
    child,
    alice,
    charlie,
    unallocated_staff,
    client_for,
    mail_server,
    django_capture_on_commit_callbacks,
) -> None:
    mail_server.refuse()
    _ask(client_for(alice), child, django_capture_on_commit_callbacks)
    message = OutboundMessage.objects.get()

    assert client_for(charlie).post(reverse("email_resend", args=[message.pk])).status_code == 404
    # Staff of the same organisation who cannot see the child cannot see its email either.
    response = client_for(unallocated_staff).post(reverse("email_resend", args=[message.pk]))
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.resent_as is None
    assert client_for(alice).get(reverse("email_resend", args=[message.pk])).status_code == 405


def test_resending_twice_is_refused_with_a_message(
    child, alice, client_for, mail_server, django_capture_on_commit_callbacks
) -> None:
    mail_server.refuse()
    _ask(client_for(alice), child, django_capture_on_commit_callbacks)
    message = OutboundMessage.objects.get()
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("email_resend", args=[message.pk]))
    response = client.post(reverse("email_resend", args=[message.pk]), follow=True)
    assert response.status_code == 200
    assert "not waiting to be sent again" in response.content.decode()
    assert OutboundMessage.objects.count() == 2


@pytest.fixture
def unallocated_staff(organisation):
    from tests.factories import UserFactory

    return UserFactory(organisation=organisation, role=Role.STAFF, email="una@alder.test")


def test_staff_invite_service_records_who_asked(bob, organisation) -> None:
    member = staff_services.staff_invite(
        organisation=organisation,
        invited_by=bob,
        email="new@alder.test",
        full_name="New Person",
        role=Role.STAFF,
    )
    message = latest_message(member)
    assert message is not None
    assert (message.state, message.requested_by, message.to) == (
        Delivery.QUEUED,
        bob,
        "new@alder.test",
    )
