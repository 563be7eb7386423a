from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ops import health


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and dependency check for load balancers and docker-compose.

    Public, so it says only "ok" or "error" per dependency, never why, and not
    which version runs: that would tell anyone which known flaws to try. Signed-in
    staff see the version in every page's footer.
    """
    checks = {"database": health.database_status(), "broker": health.broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    last_seen = health.worker_last_seen()
    body = {
        "status": "ok" if healthy else "error",
        "checks": checks,
        "worker_last_seen": last_seen.isoformat() if last_seen else None,
    }
    return JsonResponse(body, status=200 if healthy else 503)
