"""Queue Celery tasks after the commit, without letting a broker outage break a page.

The database is the source of truth: a reminder whose task could not be queued
is still in the ledger, and the next sweep sends it. A task that must not wait
for a sweep (an invitation email, say) runs in the request instead.
"""

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db import transaction

log = logging.getLogger(__name__)


def _publish(task: Task, args: tuple[object, ...], run_here_if_broker_down: bool) -> None:
    try:
        task.delay(*args)
    except Exception:  # kombu raises several types for "broker unreachable"
        if not run_here_if_broker_down:
            log.warning("Broker unreachable; %s%r left for the next sweep", task.name, args)
            return
        log.warning("Broker unreachable; running %s%r in this process", task.name, args)
        task.apply(args=args)


def enqueue_on_commit(
    task: Task, *args: Any, run_here_if_broker_down: bool = False
) -> Callable[[], None]:
    """Queue ``task(*args)`` once the current transaction commits."""

    def publish() -> None:
        _publish(task, args, run_here_if_broker_down)

    transaction.on_commit(publish)
    return publish
