"""Facts about the incoming request that security decisions rest on.

One place decides what the client's address is, so the lockout counter (axes)
and the audit log always agree on it.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address; the proxy's view of it only when we trust the proxy.

    Behind one trusted proxy the last X-Forwarded-For entry is the one that proxy
    appended; earlier entries were written by the client and prove nothing.
    """
    address = request.META.get("REMOTE_ADDR")
    if settings.TRUST_PROXY_HEADERS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        entries = [part.strip() for part in forwarded.split(",") if part.strip()]
        if entries:
            address = entries[-1]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def sign_in_email(request: HttpRequest | None, credentials: dict[str, object] | None = None) -> str:
    """The email being tried at sign-in, normalised as the login normalises it.

    Lower-cased so that ALICE@ and alice@ count towards one lockout, not two.
    """
    # Django's sign-in failure signal names it "username"; axes' own check before
    # authenticating names it by the user model's USERNAME_FIELD, "email".
    value = (credentials or {}).get("username") or (credentials or {}).get("email")
    if not value and request is not None and hasattr(request, "POST"):
        value = request.POST.get("auth-username") or request.POST.get("username")
    return str(value or "").strip().lower()[:254]
