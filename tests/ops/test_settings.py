"""The one settings module: embedded default without variables, strict in production."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7!Gq2#vL9@pR4$wT1^yU6&iO3*aS8(dF5)gH0_jK-lZ=cX+bN" + "m" * 10,
    "ALLOWED_HOSTS": "safeguard.example.org",
    "DATABASE_URL": "postgres://safeguard:secret@db.example.org:5432/safeguard",
    "CELERY_BROKER_URL": "redis://redis.example.org:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}


def run_django(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: nothing from this test run's own settings leaks in.
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_production_settings_pass_the_deploy_check() -> None:
    result = run_django(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_storage_url_puts_uploads_in_a_private_bucket_and_still_passes_the_deploy_check() -> None:
    storage_env = {
        **PRODUCTION_ENV,
        "STORAGE_URL": "s3://safeguard-media?endpoint_url=http://127.0.0.1:9000&region_name=eu-west-2",
    }
    script = (
        "from django.core.files.storage import default_storage as s; "
        "from django.core.management import call_command; "
        "call_command('check', '--deploy', '--fail-level', 'WARNING'); "
        "print(s.__class__.__name__, s.bucket_name, "
        "s.endpoint_url, s.region_name, s.default_acl, s.querystring_auth, "
        "s.querystring_expire, s.file_overwrite)"
    )
    result = run_django(storage_env, "shell", "-v", "0", "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert result.stdout.split()[-8:] == [
        "S3Storage",
        "safeguard-media",
        "http://127.0.0.1:9000",
        "eu-west-2",
        "None",  # no ACL that could make an object public
        "True",  # any URL ever made is signed...
        "60",  # ...and short-lived
        "False",  # an upload never replaces another
    ]
    refused = run_django({**PRODUCTION_ENV, "STORAGE_URL": "https://key:secret@bucket"}, "check")
    assert "STORAGE_URL must be s3://BUCKET" in refused.stderr


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL"]
)
def test_production_refuses_to_start_without_each_required_variable(missing: str) -> None:
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = run_django(env, "check")
    assert result.returncode != 0
    assert f"{missing} must be set when DJANGO_ENV=production" in result.stderr


def test_production_refuses_debug() -> None:
    result = run_django({**PRODUCTION_ENV, "DEBUG": "1"}, "check")
    assert result.returncode != 0
    assert "DEBUG must not be on" in result.stderr


def test_production_only_trusts_proxy_headers_when_told() -> None:
    script = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    plain = run_django(PRODUCTION_ENV, "shell", "-v", "0", "-c", script)
    proxied = run_django(
        {**PRODUCTION_ENV, "TRUST_PROXY_HEADERS": "1"}, "shell", "-v", "0", "-c", script
    )
    assert plain.stdout.strip() == "None", plain.stderr
    assert "HTTP_X_FORWARDED_PROTO" in proxied.stdout, proxied.stderr


def test_a_replica_is_read_only_and_the_primary_keeps_the_audit_backend() -> None:
    script = (
        "from django.conf import settings; "
        "replica = settings.DATABASES['replica']; "
        "print(settings.DATABASES['default']['ENGINE'], replica['ENGINE'], replica['HOST'], "
        "replica['CONN_MAX_AGE'], replica['CONN_HEALTH_CHECKS']); "
        "print(replica['OPTIONS']['options'])"
    )
    replica_url = "postgres://reader:secret@replica.example.org:5432/safeguard?options=-c%20x=y"
    result = run_django(
        {**PRODUCTION_ENV, "DATABASE_REPLICA_URL": replica_url}, "shell", "-v", "0", "-c", script
    )
    assert result.returncode == 0, result.stderr
    described, options = result.stdout.splitlines()
    assert described.split() == [
        "audit.backends.postgresql",
        "django.db.backends.postgresql",
        "replica.example.org",
        "60",
        "True",
    ]
    assert options == "-c x=y -c default_transaction_read_only=on"


def test_embedded_default_uses_sqlite_and_creates_the_broker_folders(tmp_path: Path) -> None:
    script = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE']); "
        "print(settings.CELERY_BROKER_URL); print(settings.DEBUG); print(settings.EMAIL_BACKEND)"
    )
    result = run_django({"VAR_DIR": str(tmp_path)}, "shell", "-v", "0", "-c", script)
    assert result.returncode == 0, result.stderr
    engine, broker, debug, email = result.stdout.split()
    # SQLite, through the backend that chains audit events as a transaction commits.
    assert engine == "audit.backends.sqlite3"
    assert broker == "filesystem://"
    assert debug == "True"
    assert email == "django.core.mail.backends.console.EmailBackend"
    assert (tmp_path / "celery" / "broker").is_dir()
    assert (tmp_path / "celery" / "processed").is_dir()


def test_unknown_environment_name_is_refused() -> None:
    result = run_django({"DJANGO_ENV": "prod"}, "check")
    assert result.returncode != 0
    assert "DJANGO_ENV must be 'development' or 'production'" in result.stderr


@pytest.mark.parametrize(
    ("port", "site_url", "origins"),
    [
        ("8101", "http://127.0.0.1:8101", "['http://localhost:8101']"),
        (None, "http://127.0.0.1:8000", "['http://localhost:8000']"),
    ],
)
def test_emailed_links_follow_the_port_make_run_serves_on(
    port: str | None, site_url: str, origins: str
) -> None:
    """`make run PORT=8101` gives SAFEGUARD_PORT to the web process and the worker
    (Procfile.dev); both send emails, so both must link to 8101."""
    env = {"SAFEGUARD_PORT": port} if port else {}
    script = (
        "from django.conf import settings; "
        "print(settings.SITE_URL); print(settings.OTP_WEBAUTHN_ALLOWED_ORIGINS)"
    )
    result = run_django(env, "shell", "-v", "0", "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split("\n")[:2] == [site_url, origins]


def test_an_explicit_site_url_still_wins_over_the_port() -> None:
    env = {"SAFEGUARD_PORT": "8101", "SITE_URL": "http://portal.test:9000/"}
    result = run_django(
        env, "shell", "-v", "0", "-c", "from django.conf import settings; print(settings.SITE_URL)"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "http://portal.test:9000"


def test_the_makefile_gives_the_port_to_every_process() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "SAFEGUARD_PORT=$(PORT)" in makefile
    assert "honcho -f Procfile.dev start" in makefile
    procfile = (ROOT / "Procfile.dev").read_text()
    assert "runserver 127.0.0.1:$SAFEGUARD_PORT" in procfile
    # The worker sends emails; it reads the same settings with the same variable.
    assert "worker: celery -A safeguard" in procfile
