"""Which database a query reads from: the primary, or a replica for reporting.

A replica (``DATABASE_REPLICA_URL``) is a copy of the primary that may be a few
seconds behind. Only work marked as reporting (``reads_from_replica``: the
dashboard, its tables and CSVs, the board report) reads from it, and only until
that work writes something, and never while the primary has a transaction open:
whatever writes, or decides what to write, reads what the primary holds now.
Every write and every migration goes to the primary. Without a replica
configured everything reads from the primary.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

REPLICA = "replica"


@dataclass
class _Reporting:
    # Set by the first write routed while reporting: from then on the work reads
    # back its own writes from the primary, which the replica may not have yet.
    wrote: bool = False


_reporting: contextvars.ContextVar[_Reporting | None] = contextvars.ContextVar(
    "reads_from_replica", default=None
)


@contextmanager
def reads_from_replica() -> Iterator[None]:
    """Mark the block (or, as ``@reads_from_replica()``, the view) as reporting
    whose figures may be a few seconds old, so its reads may go to the replica."""
    token = _reporting.set(_reporting.get() or _Reporting())
    try:
        yield
    finally:
        _reporting.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _primary_in_transaction() -> bool:
    primary = connections[DEFAULT_DB_ALIAS]
    # Autocommit stays off until a transaction's COMMIT has finished, while
    # in_atomic_block is already False as commit() runs; the audit backend
    # reads the chain's head there (audit.backends).
    return primary.in_atomic_block or (primary.connection is not None and not primary.autocommit)


class ReplicaRouter:
    """Reads of reporting work go to the replica; everything else to the primary."""

    def db_for_read(self, model: type[Model], **hints: object) -> str:
        state = _reporting.get()
        if state is None or state.wrote or not replica_configured() or _primary_in_transaction():
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        state = _reporting.get()
        if state is not None:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool:
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: object
    ) -> bool:
        # A replica takes its schema from the primary's replication.
        return db == DEFAULT_DB_ALIAS
