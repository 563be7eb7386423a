from django.conf import settings
from django.http import HttpRequest

from accounts.permissions import is_admin
from common.version import app_version
from notices.permissions import notices_visible_to


def portal(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    organisation = user.organisation if user is not None and user.is_authenticated else None
    verified = organisation is not None and user.is_verified()
    return {
        "unread_notices": (
            notices_visible_to(user).filter(read_at__isnull=True).count() if verified else 0
        ),
        "service_name": "Safeguard",
        "app_version": app_version(),
        "current_organisation": organisation,
        "is_org_admin": organisation is not None and is_admin(user),
        "show_demo_banner": not settings.PRODUCTION,
    }
