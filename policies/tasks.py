"""Thin Celery wrappers around policy services."""

from celery import shared_task

from policies import services


@shared_task(name="policies.tasks.policy_published")
def policy_published(version_id: int) -> None:
    """What follows an approval (the parents it reaches are emailed), in a worker:
    a failure there is retried by hand from the outbox, never a 500 for the
    approver whose approval has already been saved."""
    services.published(version_id)
