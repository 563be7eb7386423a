"""Signed, expiring, single-use invitation links.

Built on Django's password-reset token: an HMAC over the user's id, password
hash, last login and a timestamp. Setting a password changes the hash, so the
link works once; the timestamp makes it expire after 72 hours.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from safeguard.models import User


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "safeguard.tokens.InvitationTokenGenerator"

    def __init__(self) -> None:
        super().__init__()
        # An invitation link must not double as a password-reset link, and
        # expires on its own clock.
        self.timeout = settings.INVITATION_TIMEOUT_SECONDS

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        # is_active: deactivating an invited user kills the link at once.
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


invitation_tokens = InvitationTokenGenerator()


def invitation_path_args(user: User) -> tuple[str, str]:
    return urlsafe_base64_encode(force_bytes(user.pk)), invitation_tokens.make_token(user)
