from django.conf import settings
from django.http import HttpRequest

from safeguard.health import app_version
from safeguard.permissions import is_admin


def portal(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    organisation = user.organisation if user is not None and user.is_authenticated else None
    return {
        "service_name": "Safeguard",
        "app_version": app_version(),
        "current_organisation": organisation,
        "is_org_admin": organisation is not None and is_admin(user),
        "show_demo_banner": not settings.PRODUCTION,
    }
