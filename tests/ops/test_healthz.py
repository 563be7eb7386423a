import tomllib
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from ops.models import WorkerHeartbeat
from ops.tasks import record_worker_heartbeat

pytestmark = pytest.mark.django_db


def test_healthy_when_database_and_broker_answer(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def _version() -> str:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    return pyproject["project"]["version"]


def test_healthz_does_not_tell_anyone_the_version(client: Client) -> None:
    response = client.get("/healthz")
    assert "version" not in response.json()
    assert _version() not in response.content.decode()


def test_only_verified_staff_see_the_version_in_the_footer(client: Client, client_for, alice):
    assert f"Safeguard {_version()}" not in client.get("/account/login/").content.decode()
    assert f"Safeguard {_version()}" in client_for(alice).get("/").content.decode()


def test_unreachable_broker_makes_it_unhealthy(client: Client, settings) -> None:
    # Port 1 on loopback refuses connections: a real failed connect, nothing stopped.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "error"}
    assert response.json()["status"] == "error"


def test_missing_filesystem_broker_folder_makes_it_unhealthy(client: Client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    missing = str(tmp_path / "gone")
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": missing,
        "data_folder_out": missing,
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error"


def test_reports_when_a_worker_last_ran_the_heartbeat(client: Client) -> None:
    assert client.get("/healthz").json()["worker_last_seen"] is None
    record_worker_heartbeat()
    record_worker_heartbeat()  # running it twice keeps one row per worker
    assert WorkerHeartbeat.objects.count() == 1
    seen = WorkerHeartbeat.objects.get().seen_at
    assert client.get("/healthz").json()["worker_last_seen"] == seen.isoformat()


def test_ci_health_uses_postgres_and_redis(client: Client, postgres, redis_broker) -> None:
    """In CI's environment /healthz reports the real services as ok."""
    assert connection.vendor == "postgresql"
    assert redis_broker.startswith("redis://")
    assert client.get("/healthz").json()["checks"] == {"database": "ok", "broker": "ok"}


def test_healthz_only_answers_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
