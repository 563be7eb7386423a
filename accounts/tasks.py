from celery import shared_task
from django.conf import settings

from accounts.models import User
from common.emails import send_email

SECURITY_NOTICES = {
    "authenticator_added": "A new authenticator app was added to your Safeguard sign-in.",
    "authenticator_removed": "An authenticator app was removed from your Safeguard sign-in.",
    "backup_codes_generated": "New backup codes were created for your Safeguard sign-in; "
    "any older codes no longer work.",
    "password_changed": "Your Safeguard password was changed.",
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
