"""Sign-in events: remembered for session control and written to the audit log."""

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import services
from accounts.middleware import (
    SESSION_BACKUP_CODES_UNSAVED,
    SESSION_LAST_SEEN_AT,
    SESSION_SIGNED_IN_AT,
    remember_session,
)
from accounts.models import StaffSession, User
from accounts.recent_auth import identity_confirmed
from audit import services as audit
from common.requests import sign_in_email


@receiver(user_logged_in)
def on_logged_in(sender: object, request: HttpRequest, user: User, **kwargs: Any) -> None:
    now = time.time()
    request.session[SESSION_SIGNED_IN_AT] = now
    request.session[SESSION_LAST_SEEN_AT] = now
    # The password and code just given count as confirming it is them, for a while.
    identity_confirmed(request)
    remember_session(request, user)
    # Codes shown in an earlier session and never confirmed as saved: this
    # session starts at the codes page too.
    request.session[SESSION_BACKUP_CODES_UNSAVED] = services.backup_codes_unsaved(user)
    device = getattr(user, "otp_device", None)
    audit.record(
        action="auth.login",
        actor=user,
        obj=user,
        details={"second_factor": device.__class__.__name__ if device else "none yet"},
    )


@receiver(user_logged_out)
def on_logged_out(sender: object, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    StaffSession.objects.filter(session_key=request.session.session_key).delete()
    audit.record(action="auth.logout", actor=user, obj=user)


@receiver(user_login_failed)
def on_login_failed(
    sender: object, credentials: dict[str, object], request: HttpRequest | None, **kwargs: Any
) -> None:
    email = sign_in_email(request, credentials)
    account = User.objects.filter(email=email).select_related("organisation").first()
    audit.record(
        action="auth.login_failed",
        organisation=account.organisation if account else None,
        actor_label="anonymous",
        obj=account,
        details={"email": email},
    )


@receiver(user_locked_out)
def on_locked_out(
    sender: object, request: HttpRequest, username: str | None, ip_address: str | None, **kw: Any
) -> None:
    email = (username or "").strip().lower()
    account = User.objects.filter(email=email).select_related("organisation").first()
    audit.record(
        action="auth.locked_out",
        organisation=account.organisation if account else None,
        actor_label="anonymous",
        obj=account,
        details={"email": email},
    )
