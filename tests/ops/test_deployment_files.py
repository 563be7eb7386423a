"""No Docker engine runs here, so check that docker-compose and the Dockerfile
name modules, settings and files that really exist."""

import importlib
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def command_words(service: dict) -> list[str]:
    command = service["command"]
    return command if isinstance(command, list) else shlex.split(command)


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_services_reach_the_database_and_broker_the_stack_runs(name: str) -> None:
    environment = SERVICES[name]["environment"]
    database = urlsplit(environment["DATABASE_URL"])
    db = SERVICES[database.hostname]
    # The database the db service creates, as the user it creates, with the
    # same password variable from .env.
    assert database.path.lstrip("/") == db["environment"]["POSTGRES_DB"]
    assert database.username == db["environment"]["POSTGRES_USER"]
    assert database.password == "${POSTGRES_PASSWORD}"
    assert re.match(r"\$\{POSTGRES_PASSWORD[:}]", db["environment"]["POSTGRES_PASSWORD"])
    assert (database.port or 5432) == 5432
    broker = urlsplit(environment["CELERY_BROKER_URL"])
    assert broker.scheme == "redis"
    assert "redis-server" in command_words(SERVICES[broker.hostname])
    assert (broker.port or 6379) == 6379


@pytest.mark.parametrize("name", ["web", "worker", "beat", "db", "redis"])
def test_every_service_has_a_healthcheck(name: str) -> None:
    check = SERVICES[name]["healthcheck"]
    assert check["test"][0] in {"CMD", "CMD-SHELL"}
    assert len(check["test"]) > 1


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_services_wait_for_healthy_database_and_broker(name: str) -> None:
    depends = SERVICES[name]["depends_on"]
    assert depends == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    settings_module = SERVICES[name]["environment"]["DJANGO_SETTINGS_MODULE"]
    assert importlib.util.find_spec(settings_module) is not None
    assert SERVICES[name]["environment"]["DJANGO_ENV"] == "production"


def test_database_keeps_its_data_in_a_volume() -> None:
    volume = SERVICES["db"]["volumes"][0].split(":")[0]
    assert volume in COMPOSE["volumes"]


def _import_target(target: str) -> object:
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def test_web_command_names_a_real_wsgi_application() -> None:
    words = command_words(SERVICES["web"])
    script = " ".join(words)
    target = re.search(r"gunicorn (\S+)", script).group(1)
    assert callable(_import_target(target))
    assert "manage.py migrate" in script


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_commands_name_the_real_app(name: str) -> None:
    words = command_words(SERVICES[name])
    assert words[:2] == ["celery", "-A"]
    from celery import Celery

    app_module = _import_target(words[2])
    assert isinstance(app_module.celery_app, Celery)
    assert words[3] == name


def test_dockerfile_runs_the_same_wsgi_application() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    target = re.search(r'"gunicorn", "([^"]+)"', dockerfile).group(1)
    assert callable(_import_target(target))
    assert "collectstatic" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE), "must not run as root"


def test_env_example_lists_every_required_production_variable() -> None:
    example = (ROOT / ".env.example").read_text()
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL", "DJANGO_ENV"):
        assert re.search(rf"^{name}=", example, re.MULTILINE), name
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        assert name in example
