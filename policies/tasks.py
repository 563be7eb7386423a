"""Thin Celery wrappers around policy services."""

from celery import shared_task
from django.utils import timezone

from policies import services, staging


@shared_task(name="policies.tasks.policy_published")
def policy_published(version_id: int) -> None:
    """What follows an approval (the parents it reaches are emailed), in a worker:
    a failure there is retried by hand from the outbox, never a 500 for the
    approver whose approval has already been saved."""
    services.published(version_id)


@shared_task(name="policies.tasks.forget_unconfirmed_imports")
def forget_unconfirmed_imports() -> int:
    """Delete policy documents uploaded for import and never confirmed (after a day)."""
    return staging.stale_staged_imports_delete(now=timezone.now())
