"""Request gates that every staff page passes through.

Deny by default: Django's LoginRequiredMiddleware turns anonymous visitors away
from any view not marked ``login_not_required``; SecondFactorRequiredMiddleware
then turns away anyone whose session has not verified a second factor, unless
the view is one of the few that enrolment itself needs.
"""

import time
import zoneinfo
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_otp import devices_for_user

from accounts import services
from accounts.induction import InductionRequired, reading
from accounts.models import User
from audit import services as audit

# Safeguard never needs the camera, microphone or location of whoever is viewing
# it; parents sign on their own phones, and a drawn signature needs none of these.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

SESSION_SIGNED_IN_AT = "safeguard_signed_in_at"
SESSION_LAST_SEEN_AT = "safeguard_last_seen_at"
SESSION_REMEMBERED_KEY = "safeguard_remembered_key"
# True while this session's user has backup codes they have not said they saved:
# set when codes are made and at sign-in, so the gate costs no query per page.
SESSION_BACKUP_CODES_UNSAVED = "safeguard_backup_codes_unsaved"

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def second_factor_not_required(view: V) -> V:
    """Mark a view that a signed-in user may reach before verifying a second factor.

    Only for the enrolment journey (set up an authenticator, see its QR code) and
    signing out; never for a page that shows records.
    """
    # A mark on the function, as Django's login_not_required makes; mypy cannot
    # declare attributes on a callable.
    view.second_factor_required = False  # type: ignore[attr-defined]
    return view


def reachable_before_backup_codes_saved(view: V) -> V:
    """Mark a view a user may reach while their new backup codes wait to be
    confirmed as saved: the codes page itself, confirming who they are, signing out."""
    view.before_backup_codes_saved = True  # type: ignore[attr-defined]
    return view


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        if not getattr(view_func, "login_required", True):
            return None  # public: sign-in, health check, parents' links
        user = request.user
        # OTPMiddleware adds is_verified() to request.user; django-otp has no types.
        if not user.is_authenticated:
            return None
        if user.is_verified():  # type: ignore[attr-defined]
            return self._backup_codes_saved_first(request, view_func)
        if not getattr(view_func, "second_factor_required", True):
            return None
        if not any(devices_for_user(user, confirmed=True)):
            # Signed in with a password only because there is nothing to verify
            # yet: the one thing they may do is set up an authenticator.
            return redirect("two_factor_setup")
        # A device exists but this session never verified it (for example it was
        # added in another browser): start again at sign-in.
        logout(request)
        return redirect_to_login(request.get_full_path())

    def _backup_codes_saved_first(
        self, request: HttpRequest, view_func: Callable
    ) -> HttpResponse | None:
        """Codes shown and not confirmed as saved: nothing else until they are. A
        newcomer who walked on would meet a lost phone with no way back in."""
        if not request.session.get(SESSION_BACKUP_CODES_UNSAVED):
            return None
        if getattr(view_func, "before_backup_codes_saved", False):
            return None
        if not getattr(view_func, "second_factor_required", True):
            return None  # enrolment and signing out
        return redirect("backup_codes")


class InductionMiddleware:
    """Turns a child's record refused for want of induction into the page that
    asks for it, coming back afterwards to the page that was asked for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with reading(request.method in {"GET", "HEAD"}):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, InductionRequired):
            return None
        url = reverse("induction")
        return redirect(url + "?" + urlencode({"next": request.get_full_path()}))


def remember_session(request: HttpRequest, user: User) -> None:
    """Record the session's key against its user, once per key.

    Keys change (sign-in, second factor, password change, the admin's password
    page); whichever code changed it, the next response records the new one, so
    deactivation can always find and end every session.
    """
    session = request.session
    if session.session_key is None:
        session.save()
    if session.get(SESSION_REMEMBERED_KEY) != session.session_key:
        services.session_remember(user=user, session_key=session.session_key)
        session[SESSION_REMEMBERED_KEY] = session.session_key


class SessionTimeoutMiddleware:
    """Sign staff out after 30 minutes idle or 12 hours in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            signed_in_at = session.setdefault(SESSION_SIGNED_IN_AT, now)
            last_seen_at = session.get(SESSION_LAST_SEEN_AT, now)
            idle = now - last_seen_at > settings.SESSION_IDLE_TIMEOUT_SECONDS
            too_long = now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS
            if idle or too_long:
                reason = "idle" if idle else "absolute"
                audit.record(
                    action="auth.session_expired",
                    actor=user,
                    details={"reason": reason},
                )
                logout(request)
                messages.info(
                    request,
                    "You were signed out after 30 minutes without activity."
                    if idle
                    else "You were signed out because you had been signed in for 12 hours.",
                )
                return redirect_to_login(request.get_full_path())
            session[SESSION_LAST_SEEN_AT] = now
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            remember_session(request, user)
        return response


class OrganisationTimezoneMiddleware:
    """Show times in the signed-in person's organisation's timezone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.organisation.timezone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # Pages for signed-in staff show records about children: never keep them
        # in a browser or proxy cache where the next person at the computer sees them.
        # A response that says no-store already (with "private" too, say) keeps its own.
        signed_in = getattr(request, "user", None) is not None and request.user.is_authenticated
        if signed_in and "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
        return response
