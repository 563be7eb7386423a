"""Asking again who is at the keyboard before a change to how someone signs in.

A signed-in session alone cannot make new backup codes, add an authenticator or
change the password: staff share computers, and a session left open (or stolen)
must not be enough to take the account over for good. The password, or a code
from an authenticator or a backup code, given within the last few minutes
(RECENT_AUTH_SECONDS) is. Signing in counts as giving them.
"""

import time
from collections.abc import Callable
from functools import wraps
from typing import TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

SESSION_CONFIRMED_AT = "safeguard_identity_confirmed_at"

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def identity_confirmed(request: HttpRequest) -> None:
    request.session[SESSION_CONFIRMED_AT] = time.time()


def identity_confirmed_recently(request: HttpRequest) -> bool:
    at = request.session.get(SESSION_CONFIRMED_AT)
    if not isinstance(at, int | float):
        return False
    return 0 <= time.time() - at < settings.RECENT_AUTH_SECONDS


def _confirm_first(back_to: str) -> HttpResponseBase:
    query = urlencode({"next": back_to})
    return redirect(f"{reverse('reauthenticate')}?{query}")


def recent_auth_required(view: V) -> V:
    """Send the person to confirm it is them first, then back to this page.

    A POST that arrives too late is not carried out: they confirm, come back to
    the page and submit it again, seeing what they are about to do.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if identity_confirmed_recently(request):
            return view(request, *args, **kwargs)
        return _confirm_first(request.path)

    return wrapped  # type: ignore[return-value]


def recent_auth_required_then(back_to: str) -> Callable[[V], V]:
    """recent_auth_required for a button that posts from another page (a
    "remove" on the security page): its own address answers POST only, so the
    person comes back to the page named ``back_to`` and presses it again."""

    def decorate(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
            if identity_confirmed_recently(request):
                return view(request, *args, **kwargs)
            return _confirm_first(reverse(back_to))

        return wrapped  # type: ignore[return-value]

    return decorate
