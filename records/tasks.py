import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="safeguard.tasks.queue_retention_reviews")
def queue_retention_reviews() -> int:
    """Queue a review for every record whose retention period has ended. It
    only queues: nothing is anonymised or deleted without a person's decision.

    Safe to run twice: a review is unique per record and due date.
    """
    from accounts.models import Organisation
    from records import retention

    queued = 0
    for organisation in Organisation.objects.all():
        try:
            queued += retention.queue_reviews(organisation=organisation)
        except Exception:
            # One organisation's bad data must not stop the others' reviews.
            logger.exception("Retention queue failed for %s", organisation.slug)
    return queued
