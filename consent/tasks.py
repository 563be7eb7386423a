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
