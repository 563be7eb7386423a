from celery import shared_task
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from accounts.tokens import invitation_path_args
from common.emails import send_email


@shared_task(name="safeguard.tasks.send_invitation_email")
def send_invitation_email(user_id: int) -> None:
    """Email an invited (or reset) member of staff their link to set a password.

    The link is made here, not passed in, so no token ever sits in the broker.
    Safe to run twice: both links work and both stop working once a password
    is set, so a duplicate email gives nobody anything more.
    """
    user = User.objects.filter(pk=user_id, is_active=True).select_related("organisation").first()
    if user is None or not user.invitation_pending:
        return
    uidb64, token = invitation_path_args(user)
    # Someone who has signed in before is here because their sign-in was reset.
    returning = user.last_login is not None
    context = {
        "returning": returning,
        "user": user,
        "organisation": user.organisation,
        "invited_by": user.invited_by,
        "link": settings.SITE_URL + reverse("invitation_accept", args=[uidb64, token]),
        "hours": settings.INVITATION_TIMEOUT_SECONDS // 3600,
    }
    send_email(
        to=user.email,
        subject=(
            f"Set up your Safeguard sign-in again for {user.organisation.name}"
            if returning
            else f"You have been invited to Safeguard for {user.organisation.name}"
        ),
        template="invitation",
        context=context,
    )


SECURITY_NOTICES = {
    "authenticator_added": "A new authenticator app was added to your Safeguard sign-in.",
    "authenticator_removed": "An authenticator app was removed from your Safeguard sign-in.",
    "backup_codes_generated": "New backup codes were created for your Safeguard sign-in; "
    "any older codes no longer work.",
    "password_changed": "Your Safeguard password was changed.",
    "passkey_added": "A new passkey was added to your Safeguard sign-in.",
    "passkey_removed": "A passkey was removed from your Safeguard sign-in.",
}


@shared_task(name="safeguard.tasks.send_security_notice")
def send_security_notice(user_id: int, change: str) -> None:
    """Tell someone their sign-in methods changed, so a change they did not make
    (a stolen session adding a phone, say) does not go unnoticed.

    Safe to run twice: a second identical notice misleads nobody.
    """
    user = User.objects.filter(pk=user_id, is_active=True).select_related("organisation").first()
    if user is None or change not in SECURITY_NOTICES:
        return
    context = {"user": user, "change": SECURITY_NOTICES[change], "site_url": settings.SITE_URL}
    send_email(
        to=user.email,
        subject="Your Safeguard sign-in was changed",
        template="security_notice",
        context=context,
    )
