from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval

from outbox import services

MAX_RETRIES = 6


@shared_task(bind=True, name="outbox.tasks.send_message", max_retries=MAX_RETRIES)
def send_message(self: Task, message_id: int) -> str:
    """Send one queued email, retrying a fault that may pass with backoff.

    Safe to run twice: only a row still queued is sent, and it is locked while
    it is, so a second run finds it sent (or being sent) and does nothing.
    """
    retries = self.request.retries or 0
    attempt = services.message_send(message_id=message_id, last_try=retries >= MAX_RETRIES)
    if attempt.retry:
        countdown = get_exponential_backoff_interval(
            factor=30, retries=retries, maximum=1800, full_jitter=True
        )
        if self.request.is_eager:
            # Run in this process (tests; the broker down): there is no worker
            # to come back later, so the next try follows at once, and raising
            # Retry would fail the request that queued it.
            return str(self.apply(args=(message_id,), retries=retries + 1).get())
        raise self.retry(countdown=countdown)
    return attempt.state
