"""Database backends whose transactions end by appending their audit events.

Why a backend: the audit chain has one head row, and whoever updates it holds
its lock until their transaction ends. Claimed early (at the first
``audit.record`` of a long transaction), the head serialises every audited
request behind whatever that transaction waits for next, and a transaction
that holds another row and then asks for the head deadlocks with one that
holds the head and then asks for that row (issue 22: a DSL team on one
incident lost a third of its actions). So ``audit.record`` only buffers the
event on the connection, and the head is claimed and the events are chained
as the last statements before COMMIT, after every other lock the transaction
takes. Django has no pre-commit hook; ``commit()`` of the connection is the
one place every transaction (``transaction.atomic``, a Celery task, a
management command) passes through on its way to committing, so the hook
lives there.

What this keeps true:
- Never an action without its event, or an event without its action: the
  events are written in the same transaction, before COMMIT; if writing them
  fails the transaction is rolled back. A savepoint rolled back drops the
  events recorded inside it, as Django drops its on_commit callbacks.
- Gapless and ordered: sequence numbers are still taken under the head row's
  lock, in commit order, and each event's time is taken then too.

Tests run inside a transaction that is rolled back and never commits, so for
them the end of the outermost block that is not the test's own stands in for
COMMIT, exactly where ``transaction.on_commit`` callbacks would have run.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.backends.base.base import BaseDatabaseWrapper

if TYPE_CHECKING:
    from audit.models import AuditEvent


class Pending:
    """The audit events of the open transaction, each with the savepoints it was
    recorded under, waiting for COMMIT."""

    def __init__(self) -> None:
        self._events: list[tuple[frozenset[str | None], AuditEvent]] = []

    def __bool__(self) -> bool:
        return bool(self._events)

    def add(self, event: "AuditEvent", savepoint_ids: Iterable[str | None]) -> None:
        self._events.append((frozenset(savepoint_ids), event))

    def forget_since(self, sid: str) -> None:
        self._events = [(sids, event) for sids, event in self._events if sid not in sids]

    def clear(self) -> None:
        self._events = []

    def take(self) -> list["AuditEvent"]:
        events = [event for _, event in self._events]
        self._events = []
        return events


class ChainsAuditOnCommit(BaseDatabaseWrapper):
    """Appends the audit events buffered in a transaction just before it commits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audit_pending = Pending()

    def commit(self) -> None:
        if self.audit_pending:
            try:
                self._append_audit_events()
            except Exception:
                # Atomic rolls back only on a DatabaseError; whatever went
                # wrong, the action must not commit without its events.
                self.rollback()
                raise
        super().commit()

    def rollback(self) -> None:
        self.audit_pending.clear()
        super().rollback()

    def close(self) -> None:
        self.audit_pending.clear()
        super().close()

    def savepoint_rollback(self, sid: str) -> None:
        super().savepoint_rollback(sid)
        self.audit_pending.forget_since(sid)

    def savepoint_commit(self, sid: str) -> None:
        if self.audit_pending and self.atomic_blocks and self._only_test_blocks_left():
            self._append_audit_events()
            # The test's transaction goes on: foreign keys deferred again, as before.
            from audit.services import set_foreign_key_checks

            set_foreign_key_checks("DEFERRED")
        super().savepoint_commit(sid)

    def _only_test_blocks_left(self) -> bool:
        return all(getattr(block, "_from_testcase", False) for block in self.atomic_blocks)

    def _append_audit_events(self) -> None:
        # Imported here: a backend is loaded before the apps' models are.
        from audit.services import append_to_chain

        append_to_chain(self.audit_pending.take())
