"""Shared fixtures: personas, a signed-in browser for each, and the rule for
tests that need real services.

Tests that need PostgreSQL, Redis or Chromium skip with a reason when the
service is missing. CI sets REQUIRE_SERVICES=1, which turns each such skip into
a failure, so a green CI run proves the real parts ran.
"""

import os
import shutil
from collections.abc import Callable

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

from accounts.models import Organisation, Role, User
from safeguard.celery import app as celery_app
from tests import factories
from tests.auth import force_verified_login
from tests.real_services import require_service

# The S3-compatible server, and the fixture that stores a test's uploads in it.
from tests.storage_fixtures import s3_endpoint, s3_storage  # noqa: F401

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_configure(config: pytest.Config) -> None:
    # Password hashing is deliberately slow; tests need it correct, not slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Playwright's sync API runs an event loop in the test thread; Django refuses
    # ORM calls there unless told the thread is safe, which it is in tests.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Queued tasks run inline, in the test's own transaction, so a test can read
    # the email a service sent. test_celery.py turns this off to prove a real
    # worker takes the same tasks from Redis.
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Rate-limit counters live in the cache (memory, in tests): none carry over."""
    cache.clear()


@pytest.fixture
def postgres(db: None) -> None:
    require_service(
        connection.vendor == "postgresql",
        f"needs PostgreSQL (DATABASE_URL); this run uses {connection.vendor}",
    )


def redis_available() -> bool:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        return False
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_broker() -> str:
    require_service(
        redis_available(),
        f"needs a Redis broker (CELERY_BROKER_URL); this run uses {settings.CELERY_BROKER_URL}",
    )
    return settings.CELERY_BROKER_URL


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    """Point pytest-playwright at Debian's Chromium; it cannot download its own here."""
    require_service(
        shutil.which(CHROMIUM) is not None,
        f"needs Chromium at {CHROMIUM} (apt-get install chromium)",
    )
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def organisation(db: None) -> Organisation:
    return factories.OrganisationFactory(name="Alder Play Therapy", slug="alder")


@pytest.fixture
def other_organisation(db: None) -> Organisation:
    return factories.OrganisationFactory(name="Birch Music Therapy", slug="birch")


@pytest.fixture
def alice(organisation: Organisation) -> User:
    """A therapist at Alder."""
    return factories.UserFactory(
        email="alice@alder.test", full_name="Alice Adeyemi", organisation=organisation
    )


@pytest.fixture
def bob(organisation: Organisation) -> User:
    """Alder's organisation admin."""
    return factories.UserFactory(
        email="bob@alder.test", full_name="Bob Bennett", organisation=organisation, role=Role.ADMIN
    )


@pytest.fixture
def dana(organisation: Organisation) -> User:
    """Alder's Designated Safeguarding Lead."""
    return factories.UserFactory(
        email="dana@alder.test", full_name="Dana Douglas", organisation=organisation, role=Role.DSL
    )


@pytest.fixture
def charlie(other_organisation: Organisation) -> User:
    """The admin of another organisation, Birch: must never see Alder's data."""
    return factories.UserFactory(
        email="charlie@birch.test",
        full_name="Charlie Chen",
        organisation=other_organisation,
        role=Role.ADMIN,
    )


@pytest.fixture
def deputy(organisation: Organisation) -> User:
    """Alder's deputy DSL: a lead alongside Dana."""
    return factories.UserFactory(
        organisation=organisation, role=Role.DEPUTY_DSL, full_name="Dev Deputy"
    )


@pytest.fixture
def director(organisation: Organisation) -> User:
    """A director at Alder: sees figures, never a child's record."""
    return factories.UserFactory(
        organisation=organisation, role=Role.DIRECTOR, full_name="Dee Director"
    )


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    """A browser of its own for each person, signed in with both steps done,
    so one test can act as several people at once."""

    def signed_in(user: User) -> Client:
        client = Client()
        force_verified_login(client, user)
        return client

    return signed_in


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path) -> None:
    """Uploads go to a folder of each test's own, never into the checkout."""
    settings.MEDIA_ROOT = tmp_path / "media"
