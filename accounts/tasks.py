from celery import shared_task
from django.conf import settings

from accounts.models import Organisation, User
from common.emails import send_email


@shared_task(name="safeguard.tasks.send_invitation_elsewhere_email")
def send_invitation_elsewhere_email(
    user_id: int, organisation_id: int, invited_by_id: int | None
) -> None:
    """Tell someone who already has an account that another organisation tried to
    invite the same address, and that no second account was made.

    Their address is all it goes to: the organisation that invited learns nothing.
    Safe to run twice: a second identical email misleads nobody.
    """
    user = User.objects.filter(pk=user_id).first()
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if user is None or organisation is None:
        return
    send_email(
        to=user.email,
        subject=f"{organisation.name} tried to invite you to Safeguard",
        template="invitation_elsewhere",
        context={
            "user": user,
            "organisation": organisation,
            "invited_by": User.objects.filter(pk=invited_by_id).first() if invited_by_id else None,
            "site_url": settings.SITE_URL,
        },
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
