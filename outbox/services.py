"""Queueing email, sending it with retries, recording what became of it.

``email_queue`` is the one way to send an email whose delivery staff rely on:
it writes a queued row and hands its id (never its content) to a Celery task
after the commit. The task sends it and records sent, or failed with the
server's reason. A refusal (SMTP 5xx, a header that cannot be sent) fails at
once; a fault that may pass (4xx, connection lost, timeout) is retried with
backoff, and fails after the last try.
"""

import logging
import smtplib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Organisation, User
from audit import services as audit
from common.queue import enqueue_on_commit
from outbox.composers import Composed, composer_for
from outbox.models import Delivery, OutboundMessage

log = logging.getLogger(__name__)


def _one_line(text: str) -> str:
    # A subject is a header: a line break in it (a name typed with one) would
    # make Django refuse the whole email.
    return " ".join(text.split())[:300]


def email_queue(
    *,
    to: str,
    purpose: models.Model,
    subject: str = "",
    body: str = "",
    kind: str = "",
    organisation: Organisation | None = None,
    requested_by: User | None = None,
) -> OutboundMessage:
    """Queue one email about ``purpose`` and send it after the commit.

    With ``kind``, that kind's composer writes the subject and body when it is
    sent (use it when the email carries a secret link); without, ``subject``
    and ``body`` are sent as given. The organisation defaults to the purpose's.
    """
    if organisation is None:
        organisation = purpose.organisation  # type: ignore[attr-defined]
    if kind:
        composer_for(kind)  # an unknown kind fails here, in the caller, not in a worker
    elif not subject or not body:
        raise ValueError("An email without a kind needs a subject and a body.")
    message = OutboundMessage.objects.create(
        organisation=organisation,
        kind=kind,
        purpose=purpose,
        requested_by=requested_by,
        to=to,
        subject=_one_line(subject),
        body=body,
    )
    from outbox.tasks import send_message

    # A broker outage must not leave staff waiting: send from this process then.
    enqueue_on_commit(send_message, message.pk, run_here_if_broker_down=True)
    return message


def messages_for(purpose: models.Model) -> models.QuerySet[OutboundMessage]:
    return OutboundMessage.objects.filter(
        purpose_type__app_label=purpose._meta.app_label,
        purpose_type__model=purpose._meta.model_name,
        purpose_id=str(purpose.pk),
    )


def latest_message(purpose: models.Model) -> OutboundMessage | None:
    return messages_for(purpose).order_by("-queued_at", "-pk").first()


@dataclass(frozen=True)
class Attempt:
    state: str
    # True when the fault may pass and another try is due.
    retry: bool = False
    reason: str = ""


def _decode(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def failure_of(error: Exception) -> tuple[bool, str]:
    """(whether it may pass, the reason to show staff)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refusals = list(error.recipients.values())
        reason = "; ".join(f"{code} {_decode(text)}" for code, text in refusals)
        return all(400 <= code < 500 for code, _ in refusals), reason
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        return 400 <= code < 500, f"{code} {_decode(error.smtp_error)}".strip()
    if isinstance(error, BadHeaderError | UnicodeError):
        return False, f"The email could not be written: {error}"
    if isinstance(error, smtplib.SMTPException | OSError):
        return True, f"The mail server could not be reached: {error or type(error).__name__}"
    return False, f"{type(error).__name__}: {error}"


def _locked(queryset: models.QuerySet[OutboundMessage]) -> models.QuerySet[OutboundMessage]:
    if connection.features.has_select_for_update_skip_locked:
        # Another worker sending this row right now: skip it, do not send twice.
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def _deliver(message: OutboundMessage, composed: Composed) -> None:
    email = EmailMultiAlternatives(
        subject=_one_line(composed.subject), body=composed.body, to=[message.to]
    )
    if composed.html:
        email.attach_alternative(composed.html, "text/html")
    email.send()


def message_send(*, message_id: int, last_try: bool) -> Attempt:
    """Try to send one queued message and record the outcome.

    The row is locked while it is sent, so two workers never both send it; the
    composer's writes (a new link's hash) are undone when the send fails.
    """
    with transaction.atomic():
        message = (
            _locked(OutboundMessage.objects.filter(pk=message_id, state=Delivery.QUEUED))
            .select_related("organisation")
            .first()
        )
        if message is None:
            return Attempt(state="gone")
        composer = composer_for(message.kind)
        now = timezone.now()
        message.attempts += 1
        message.last_attempt_at = now
        try:
            with transaction.atomic():
                if composer is None:
                    composed: Composed | None = Composed(message.subject, message.body)
                else:
                    purpose = message.purpose
                    composed = composer.compose(purpose) if purpose is not None else None
                if composed is None:
                    message.state = Delivery.FAILED
                    message.failure_reason = "Not sent: it is no longer needed."
                    message.failed_at = now
                else:
                    message.subject = _one_line(composed.subject)
                    _deliver(message, composed)
                    message.state = Delivery.SENT
                    message.sent_at = timezone.now()
                    message.failure_reason = ""
                    if composer is not None and composer.on_sent is not None:
                        composer.on_sent(message.purpose)
        except Exception as error:
            may_pass, reason = failure_of(error)
            message.failure_reason = reason[:500]
            if may_pass and not last_try:
                log.warning(
                    "Email %s not sent yet (%s); it will be tried again", message.pk, reason
                )
                message.save()
                return Attempt(state=Delivery.QUEUED, retry=True, reason=reason)
            log.error("Email %s failed: %s", message.pk, reason)
            message.state = Delivery.FAILED
            message.failed_at = timezone.now()
        message.save()
        return Attempt(state=message.state, reason=message.failure_reason)


def message_resend(*, message: OutboundMessage, by: User) -> OutboundMessage:
    """Send a failed email again, as a new message; the failed one stays as it was."""
    with transaction.atomic():
        locked = OutboundMessage.objects.select_for_update().get(pk=message.pk)
        if not locked.awaiting_resend:
            raise ValidationError("This email is not waiting to be sent again.")
        composer = composer_for(locked.kind)
        purpose = locked.purpose
        if purpose is None or (composer is not None and not composer.still_wanted(purpose)):
            raise ValidationError("What this email was for is over; there is nothing to resend.")
        if composer is not None and composer.resend is not None:
            # The domain's own send-again (a new consent request) queues the email itself.
            new_purpose = composer.resend(purpose=purpose, by=by)
            new = messages_for(new_purpose).order_by("-pk").first()
            if new is None:
                raise RuntimeError(f"{locked.kind} resend queued no email")
        else:
            new = email_queue(
                to=locked.to,
                purpose=purpose,
                subject=locked.subject,
                body=locked.body,
                kind=locked.kind,
                organisation=locked.organisation,
                requested_by=by,
            )
        mark_resent(purpose=purpose, new=new)
        audit.record(
            action="email.resent",
            actor=by,
            organisation=locked.organisation,
            obj=purpose,
            details={"failed": locked.pk, "new": new.pk, "reason": locked.failure_reason},
        )
        return new


def mark_resent(*, purpose: models.Model, new: OutboundMessage) -> None:
    """Every failed email of ``purpose`` is answered by ``new``: no more reminders.

    ``purpose`` may be the old object when the domain made a new one (a consent
    request resent is a new request)."""
    messages_for(purpose).filter(state=Delivery.FAILED, resent_as__isnull=True).exclude(
        pk=new.pk
    ).update(resent_as=new)
