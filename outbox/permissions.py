"""Who may see an email's delivery state and send a failed one again.

An email is visible to whoever may see what it was for; each kind's composer
answers that through its own app's permission helpers.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from outbox.composers import composer_for
from outbox.models import OutboundMessage


def get_message_for_user(user: User, pk: int | str, perm: str = "view") -> OutboundMessage:
    """404 outside the user's organisation or when its purpose is hidden from
    them; 403 for "resend" when they may see it but not send it again."""
    if perm not in {"view", "resend"}:
        raise ValueError(f"unknown permission {perm!r}")
    try:
        message = OutboundMessage.objects.select_related("organisation").get(
            pk=pk, organisation_id=user.organisation_id
        )
    except (OutboundMessage.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    composer = composer_for(message.kind)
    purpose = message.purpose
    if composer is None or purpose is None or not composer.visible_to(user, purpose):
        raise Http404
    if perm == "resend" and not composer.may_resend(user, purpose):
        raise PermissionDenied
    return message
