"""The gate before a child's record: what a member of staff must have done first.

The permission helpers that fetch a child's records (the child, an incident, a
plan, a contact) call ``require_induction``, which raises ``InductionRequired``;
the middleware turns that into the page where they do it. What counts is
contributed by the apps that own it (the code of conduct, the system training)
through common.registry.INDUCTION, since they sit above children.

Only reading is gated. A form posted by someone whose induction fell due while
they typed it (a new code of conduct approved at 10:00, a disclosure logged at
10:05) is recorded: what happened is always recordable, and the next page they
open asks them to catch up.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import PermissionDenied

from accounts.models import User
from common.registry import INDUCTION


class InductionRequired(PermissionDenied):
    """The person may see this child but has not yet accepted the code of conduct
    or confirmed their training in using Safeguard."""


def induction_due(user: User) -> bool:
    return any(outstanding(user) for outstanding in INDUCTION.items())


# Set by InductionMiddleware while a GET or HEAD request is answered; unset for
# posted forms, tasks and commands, which the gate never stops.
_reading: ContextVar[bool] = ContextVar("induction_reading", default=False)


@contextmanager
def reading(active: bool) -> Iterator[None]:
    token = _reading.set(active)
    try:
        yield
    finally:
        _reading.reset(token)


def require_induction(user: User) -> None:
    """Raise InductionRequired when a page showing a child's records is asked for
    by someone whose induction is due."""
    if _reading.get() and induction_due(user):
        raise InductionRequired
