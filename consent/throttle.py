"""Per-client limits on parents' link pages (django-ratelimit, counted in the cache).

Two counters per client address: asking for a new manage link (each request
counts), and link guesses (only lookups that match no link count, so a parent
opening their own link again and again is never refused). Past either limit the
client gets a 429 page that says what to do instead.
"""

import ipaddress
import logging
from typing import Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from common.i18n import parent_language
from common.requests import client_ip

log = logging.getLogger(__name__)

Limit = Literal["link_request", "link_guess"]

_RATES = {
    "link_request": "CONSENT_LINK_REQUEST_RATE",
    "link_guess": "CONSENT_LINK_GUESS_RATE",
}


def _client(group: str, request: HttpRequest) -> str:
    """The address counted: one IPv6 client holds a whole /64, so count that."""
    address = client_ip(request)
    if address is None:
        return "unknown"
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _usage(request: HttpRequest, limit: Limit, *, increment: bool) -> dict | None:
    try:
        usage = get_usage(
            request,
            group=f"consent.{limit}",
            key=_client,
            rate=getattr(settings, _RATES[limit]),
            increment=increment,
        )
    except Exception:  # the cache (Redis) is down: a parent is never locked out by it
        log.warning("Rate limit %s not counted: the cache is unreachable", limit, exc_info=True)
        return None
    if usage is not None and usage["time_left"] == -1:
        return None  # django-ratelimit's sign that the cache gave no count: fail open too
    return usage


def exceeded(request: HttpRequest, limit: Limit) -> bool:
    """Whether this client has used up ``limit`` already (counts nothing)."""
    usage = _usage(request, limit, increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


def count(request: HttpRequest, limit: Limit) -> None:
    """One more against ``limit`` for this client."""
    _usage(request, limit, increment=True)


def too_many(request: HttpRequest, limit: Limit) -> HttpResponse:
    usage = _usage(request, limit, increment=False) or {}
    minutes = max(1, -(-int(usage.get("time_left", 60)) // 60))
    # No link matched, so no organisation is known: the parent's switch, else English.
    parent_language(request, "")
    response = render(
        request,
        "consent/too_many_tries.html",
        {"limit": limit, "minutes": minutes, "organisation": None},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response
