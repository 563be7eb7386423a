import datetime as dt
import smtplib
from typing import TypedDict

from celery import shared_task

from notices import engine as reminders


# Sending email fails transiently (SMTP down, DNS, timeouts): retry with backoff.
# The ledger keeps the notice unsent meanwhile, and the hourly sweep re-queues it
# even if every retry fails.
class RetryOptions(TypedDict):
    autoretry_for: tuple[type[BaseException], ...]
    retry_backoff: int
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int


EMAIL_RETRY: RetryOptions = {
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
