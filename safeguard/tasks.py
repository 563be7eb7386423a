"""Thin Celery wrappers around core services."""

import datetime as dt
import logging
import smtplib
import socket

from celery import shared_task
from django.conf import settings
from django.urls import reverse

from safeguard import health, reminders
from safeguard.emails import send_email
from safeguard.models import User
from safeguard.tokens import invitation_path_args

logger = logging.getLogger(__name__)


@shared_task(name="safeguard.tasks.record_worker_heartbeat")
def record_worker_heartbeat() -> None:
    """Record that a worker ran a scheduled task.

    Safe to run twice: it only moves this worker's last-seen time forward.
    """
    health.worker_heartbeat_record(hostname=socket.gethostname())


@shared_task(name="safeguard.tasks.send_invitation_email")
def send_invitation_email(user_id: int) -> None:
    """Email an invited (or reset) member of staff their link to set a password.

    The link is made here, not passed in, so no token ever sits in the broker.
    Safe to run twice: both links work and both stop working once a password
    is set, so a duplicate email gives nobody anything more.
    """
    user = User.objects.filter(pk=user_id, is_active=True).select_related("organisation").first()
    if user is None or not user.invitation_pending:
        return
    uidb64, token = invitation_path_args(user)
    # Someone who has signed in before is here because their sign-in was reset.
    returning = user.last_login is not None
    context = {
        "returning": returning,
        "user": user,
        "organisation": user.organisation,
        "invited_by": user.invited_by,
        "link": settings.SITE_URL + reverse("invitation_accept", args=[uidb64, token]),
        "hours": settings.INVITATION_TIMEOUT_SECONDS // 3600,
    }
    send_email(
        to=user.email,
        subject=(
            f"Set up your Safeguard sign-in again for {user.organisation.name}"
            if returning
            else f"You have been invited to Safeguard for {user.organisation.name}"
        ),
        template="invitation",
        context=context,
    )


SECURITY_NOTICES = {
    "authenticator_added": "A new authenticator app was added to your Safeguard sign-in.",
    "authenticator_removed": "An authenticator app was removed from your Safeguard sign-in.",
    "backup_codes_generated": "New backup codes were created for your Safeguard sign-in; "
    "any older codes no longer work.",
    "password_changed": "Your Safeguard password was changed.",
}


@shared_task(name="safeguard.tasks.send_security_notice")
def send_security_notice(user_id: int, change: str) -> None:
    """Tell someone their sign-in methods changed, so a change they did not make
    (a stolen session adding a phone, say) does not go unnoticed.

    Safe to run twice: a second identical notice misleads nobody.
    """
    user = User.objects.filter(pk=user_id, is_active=True).select_related("organisation").first()
    if user is None or change not in SECURITY_NOTICES:
        return
    context = {"user": user, "change": SECURITY_NOTICES[change], "site_url": settings.SITE_URL}
    send_email(
        to=user.email,
        subject="Your Safeguard sign-in was changed",
        template="security_notice",
        context=context,
    )


# Sending email fails transiently (SMTP down, DNS, timeouts): retry with backoff.
# The ledger keeps the notice unsent meanwhile, and the hourly sweep re-queues it
# even if every retry fails.
EMAIL_RETRY = {
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 1800,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(name="safeguard.tasks.sweep_reminders")
def sweep_reminders(now: str | None = None) -> dict[str, int]:
    """Claim every reminder due now (or at ``now``, ISO 8601) and queue its emails.

    Safe to run twice, or on two workers at once: each reminder's ledger row can
    be inserted once, and each email task sends only rows it can lock unsent.
    """
    moment = dt.datetime.fromisoformat(now) if now else None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    result = reminders.sweep(now=moment)
    for notice_id in result.urgent_notices:
        send_urgent_notice.delay(notice_id)
    for digest_id in result.digests:
        send_reminder_digest.delay(digest_id)
    return result.counts()


@shared_task(name="safeguard.tasks.send_reminder_digest", **EMAIL_RETRY)
def send_reminder_digest(digest_id: int) -> int:
    """Send one person's daily digest. Safe to run twice: a sent digest is skipped."""
    return reminders.digest_send(digest_id=digest_id)


@shared_task(name="safeguard.tasks.send_urgent_notice", **EMAIL_RETRY)
def send_urgent_notice(notice_id: int) -> bool:
    """Email one urgent notice. Safe to run twice: a sent notice is skipped."""
    return reminders.urgent_send(notice_id=notice_id)


@shared_task(name="safeguard.tasks.queue_retention_reviews")
def queue_retention_reviews() -> int:
    """Queue a review for every record whose retention period has ended. It
    only queues: nothing is anonymised or deleted without a person's decision.

    Safe to run twice: a review is unique per record and due date.
    """
    from safeguard import retention
    from safeguard.models import Organisation

    queued = 0
    for organisation in Organisation.objects.all():
        try:
            queued += retention.queue_reviews(organisation=organisation)
        except Exception:
            # One organisation's bad data must not stop the others' reviews.
            logger.exception("Retention queue failed for %s", organisation.slug)
    return queued
