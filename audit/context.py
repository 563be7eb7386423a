"""Where the action being recorded came from: the client of the request served.

AuditContextMiddleware binds it for the length of one request and resets it
after, so services record the client's address without taking the request.
Outside a request (Celery tasks, management commands) it is empty.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.http import HttpRequest

from common.requests import client_ip

USER_AGENT_LIMIT = 400


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""


EMPTY = RequestContext()

_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "audit_request_context", default=EMPTY
)


def current() -> RequestContext:
    return _current.get()


def of_request(request: HttpRequest) -> RequestContext:
    return RequestContext(
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LIMIT],
    )


@contextmanager
def bound(context: RequestContext) -> Iterator[RequestContext]:
    """The context for the block, and the one before it again afterwards, even
    when the block raises: one request's client never leaks into the next."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
