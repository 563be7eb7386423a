"""Thin Celery wrappers around consent services."""

from celery import shared_task

from consent import records


@shared_task(name="consent.tasks.send_renewal_requests")
def send_renewal_requests() -> int:
    """Ask parents again before consent runs out.

    Safe to run twice: a request sent after a grant means that grant is never
    asked about again.
    """
    return records.renewal_requests_send()


@shared_task(name="consent.tasks.send_manage_link")
def send_manage_link(email: str) -> None:
    """Email a fresh manage link to each guardian with this address, if any.

    The page that queues this answers the same for every address; only here is
    the address looked up. Safe to run twice: a guardian sent a link in the last
    10 minutes is not sent another. The token is made here, in the worker, so it
    never passes through the broker.
    """
    records.manage_link_resend(email=email)
