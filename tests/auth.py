"""Signing in from tests the way a person would: password, then an authenticator code.

The code is computed from the base32 secret with RFC 6238 written out here, not
with django-otp's own helper, so the tests prove a standard authenticator app
would work.
"""

import base64
import hashlib
import hmac
import struct
import time
from binascii import unhexlify

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

WIZARD = "sign_in_view-current_step"
LOGIN_URL = "/account/login/"


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(unhexlify(device.key)).decode()


def totp(secret_b32: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP with HMAC-SHA1, as Google Authenticator and friends compute it."""
    key = base64.b32decode(secret_b32)
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"


def post_password(client: Client, email: str, password: str, **extra: object):
    return client.post(
        LOGIN_URL,
        {WIZARD: "auth", "auth-username": email, "auth-password": password},
        **extra,
    )


def post_code(client: Client, code: str, step: str = "token", **fields: str):
    return client.post(LOGIN_URL, {WIZARD: step, f"{step}-otp_token": code, **fields})


def sign_in(client: Client, user: User, password: str, device: TOTPDevice | None = None):
    """The whole journey; returns the last response (a redirect when it worked)."""
    device = device or TOTPDevice.objects.filter(user=user, confirmed=True).first()
    post_password(client, user.email, password)
    return post_code(client, totp(secret_base32(device)))


def force_verified_login(client: Client, user: User) -> None:
    """Skip the sign-in pages: a session in the state a real two-step sign-in leaves."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    assert device is not None, "give the user an authenticator first"
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
