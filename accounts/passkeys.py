"""Passkeys (django-otp-webauthn) as a second factor beside the authenticator app.

Signing in: the passkey step's page carries a fresh challenge; the browser's
signed answer comes back through the sign-in wizard's own form, so a passkey
verifies the session the same way a code does (django_otp.login, via the
wizard). The library's own sign-in endpoints are not mounted: they would sign a
user in outside the wizard.
"""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers.exceptions import WebAuthnException

from accounts.models import User

SESSION_CHALLENGE = "safeguard_passkey_challenge"

# What a wrong, tampered or malformed answer from a browser can raise, from the
# library, py_webauthn, or parsing JSON of the wrong shape.
ANSWER_ERRORS = (
    OTPWebAuthnApiError,
    WebAuthnException,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
)

NOT_ACCEPTED = (
    "Your passkey was not accepted. Try again, or use a code from your authenticator app."
)


def passkeys_of(user: User) -> QuerySet[WebAuthnCredential]:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk")


def passkey_label(credential: WebAuthnCredential) -> str:
    return credential.name or f"Passkey {credential.pk}"


def passkey_challenge_start(*, request: HttpRequest, user: User) -> dict[str, Any]:
    """Options for navigator.credentials.get, naming only this user's passkeys.

    A new challenge each time the page is shown replaces the last one.
    """
    helper = WebAuthnCredential.get_webauthn_helper(request=request)
    # After the password, touching the passkey proves possession; the person
    # has already proved knowledge, so user verification is not demanded.
    options, state = helper.authenticate_begin(user=user, require_user_verification=False)
    request.session[SESSION_CHALLENGE] = state
    return options


def passkey_answer_verify(
    *, user: User, request: HttpRequest | None, assertion: str
) -> WebAuthnCredential:
    """Check the browser's answer against the challenge this session was given.

    The challenge is taken out of the session first, so it can be answered once.
    """
    state = request.session.pop(SESSION_CHALLENGE, None) if request is not None else None
    if not assertion or state is None:
        raise ValidationError(NOT_ACCEPTED, code="passkey_missing")
    helper = WebAuthnCredential.get_webauthn_helper(request=request)
    try:
        credential = helper.authenticate_complete(
            user=user, state=state, data=json.loads(assertion)
        )
    except ANSWER_ERRORS as error:
        # Malformed JSON, another person's passkey, an unknown passkey, a bad
        # signature or a replayed counter: all the same to the person signing in.
        raise ValidationError(NOT_ACCEPTED, code="passkey_invalid") from error
    if not credential.confirmed or not credential.user.is_active:
        raise ValidationError(NOT_ACCEPTED, code="passkey_disabled")
    return credential
