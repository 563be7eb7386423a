"""Signed, expiring, single-use invitation links.

Built on Django's password-reset token: an HMAC over the user's id, password
hash, last login and a timestamp. Setting a password changes the hash, so the
link works once; the timestamp makes it expire after 72 hours; including the
invitation time means sending a new invitation kills the old link.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from accounts.models import User


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    # The salt keeps the module's old path: changing it would void every
    # invitation link already sent.
    key_salt = "safeguard.tokens.InvitationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        # is_active: deactivating an invited user kills the link at once.
        invited = user.invited_at.isoformat() if user.invited_at else ""
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}{invited}"

    def check_token(self, user: User | None, token: str | None) -> bool:
        """Django's check, but on the invitation's own clock.

        Django's version reads PASSWORD_RESET_TIMEOUT; an invitation must expire
        after INVITATION_TIMEOUT_SECONDS whatever that setting says.
        """
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - ts <= settings.INVITATION_TIMEOUT_SECONDS


invitation_tokens = InvitationTokenGenerator()


def invitation_path_args(user: User) -> tuple[str, str]:
    return urlsafe_base64_encode(force_bytes(user.pk)), invitation_tokens.make_token(user)
