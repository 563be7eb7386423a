"""A page read that PostgreSQL chose as a deadlock's victim is served again.

Locks are taken in one order (every row lock is FOR NO KEY UPDATE of only the
rows a step changes, and the audit head is claimed last, as a transaction
commits: see audit.backends), so a deadlock should not happen. If one still
does, PostgreSQL rolls back one transaction so the others can go on. For a
read (GET, HEAD, OPTIONS) nothing it wrote survives the rollback except what
committed before it (its own "viewed" audit event, which is true: the person
asked), so serving it again is safe, and a person reading a record never sees
a 500 for someone else's timing. A change (POST) is never retried here: the
person sees the error and their form, and decides.
"""

import logging
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

READS = frozenset({"GET", "HEAD", "OPTIONS"})
# deadlock_detected, serialization_failure: "try again", in PostgreSQL's words.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 3
_RETRY = "_safeguard_retry_read"


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and (
        getattr(error.__cause__, "pgcode", None) in RETRYABLE_SQLSTATES
    )


class RetryDeadlockedReadsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for attempt in range(1, ATTEMPTS + 1):
            setattr(request, _RETRY, attempt < ATTEMPTS)
            response = self.get_response(request)
            if not getattr(response, _RETRY, False):
                return response
            log.warning(
                "A read of %s lost a deadlock; serving it again (attempt %d of %d).",
                request.path,
                attempt + 1,
                ATTEMPTS,
            )
        raise AssertionError("unreachable: the last attempt is never retried")

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.method in READS and getattr(request, _RETRY, False) and is_retryable(exception):
            # Handled: not logged as a server error, and served again by __call__.
            retry = HttpResponse(status=503)
            setattr(retry, _RETRY, True)
            return retry
        return None
