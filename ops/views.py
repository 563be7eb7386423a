from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from common.version import app_version
from ops import health


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
        "version": app_version(),
        "checks": checks,
        "worker_last_seen": last_seen.isoformat() if last_seen else None,
    }
    return JsonResponse(body, status=200 if healthy else 503)
