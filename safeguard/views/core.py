"""Core pages: home and the health check.

The 400/403/404/500 pages are Django's default handlers rendering templates/<code>.html
without a request context, so they render even when the session or database failed.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from safeguard import health
from safeguard.permissions import (
    children_visible_to,
    is_admin,
    sees_all_children,
    staff_visible_to,
)


def home(request: HttpRequest) -> HttpResponse:
    """Where to start: what is waiting for this person, in their own words."""
    user = request.user
    visible = children_visible_to(user).active(timezone.localdate())
    context = {
        "children_count": visible.count(),
        "unallocated": visible.unallocated().count() if sees_all_children(user) else None,
        "sees_all": sees_all_children(user),
        "not_set_up": (
            staff_visible_to(user)
            .filter(is_active=True)
            .exclude(totpdevice__confirmed=True)
            .count()
            if is_admin(user)
            else None
        ),
    }
    return render(request, "safeguard/home.html", context)


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and dependency check for load balancers and docker-compose.

    Public, so it says only "ok" or "error" per dependency, never why.
    """
    checks = {"database": health.database_status(), "broker": health.broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    last_seen = health.worker_last_seen()
    body = {
        "status": "ok" if healthy else "error",
        "version": health.app_version(),
        "checks": checks,
        "worker_last_seen": last_seen.isoformat() if last_seen else None,
    }
    return JsonResponse(body, status=200 if healthy else 503)
