from django.conf import settings
from django.http import HttpRequest

from safeguard.health import app_version


def portal(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    organisation = user.organisation if user is not None and user.is_authenticated else None
    return {
        "service_name": "Safeguard",
        "app_version": app_version(),
        "current_organisation": organisation,
        "show_demo_banner": not settings.PRODUCTION,
    }
