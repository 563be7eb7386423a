from django.conf import settings
from django.http import HttpRequest

from accounts.models import LeadTitles, User
from accounts.permissions import is_admin
from common.version import app_version
from notices.permissions import notices_visible_to

# Where the unread count is kept for the rest of the request.
_UNREAD = "_safeguard_unread_notices"


def _unread(request: HttpRequest, staff: User) -> int:
    """Counted once per request: every section of a page rendered with the
    request (a child's page has one per app) runs this processor again."""
    if not hasattr(request, _UNREAD):
        setattr(request, _UNREAD, notices_visible_to(staff).filter(read_at__isnull=True).count())
    return int(getattr(request, _UNREAD))


def portal(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    staff: User | None = user if user is not None and user.is_authenticated else None
    organisation = staff.organisation if staff is not None else None
    # OTPMiddleware adds is_verified() to request.user; django-otp has no types.
    verified = staff is not None and staff.is_verified()  # type: ignore[attr-defined]
    return {
        "unread_notices": _unread(request, staff) if staff is not None and verified else 0,
        "service_name": "Safeguard",
        # Only for verified staff: anonymous pages (sign-in, a parent's link) must
        # not tell a stranger which version, and so which known flaws, it runs.
        "app_version": app_version() if verified else "",
        "current_organisation": organisation,
        "is_org_admin": staff is not None and is_admin(staff),
        "show_demo_banner": not settings.PRODUCTION,
        # "DSL" or "DSP", as the organisation says it: {{ titles.short }}.
        "titles": organisation.titles if organisation is not None else LeadTitles.of("lead"),
    }
