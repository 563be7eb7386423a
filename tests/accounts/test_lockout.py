"""django-axes: five wrong passwords for one email from one address lock it for 30 minutes."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client

from audit.models import AuditEvent
from tests.auth import post_code, post_password, secret_base32, totp
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def fail(client: Client, email: str, times: int, ip: str = "203.0.113.7") -> None:
    for _ in range(times):
        post_password(client, email, "wrong password", REMOTE_ADDR=ip)


def test_fifth_failure_locks_even_the_right_password_out(client: Client, alice) -> None:
    fail(client, alice.email, 4)
    fail(client, alice.email.upper(), 1)  # a different case is the same account
    response = post_password(client, alice.email, PASSWORD, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in locked for 30 minutes" in html
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.locked_out", actor=None).exists()
    assert AuditEvent.objects.filter(action="auth.login_failed").count() >= 5


def test_four_failures_do_not_lock(client: Client, alice) -> None:
    fail(client, alice.email, 4)
    response = post_password(client, alice.email, PASSWORD, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    assert "Enter the code from your authenticator app" in response.content.decode()


def test_lock_is_per_email_and_address(client: Client, alice, bob) -> None:
    fail(client, alice.email, 5, ip="203.0.113.7")
    elsewhere = post_password(Client(), alice.email, PASSWORD, REMOTE_ADDR="198.51.100.9")
    colleague = post_password(Client(), bob.email, PASSWORD, REMOTE_ADDR="203.0.113.7")
    here = post_password(Client(), alice.email, PASSWORD, REMOTE_ADDR="203.0.113.7")
    for response in (elsewhere, colleague):
        assert response.status_code == 200
        assert "Enter the code from your authenticator app" in response.content.decode()
    assert here.status_code == 429


def test_lock_lifts_after_30_minutes(client: Client, alice) -> None:
    fail(client, alice.email, 5)
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))
    response = post_password(client, alice.email, PASSWORD, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    assert "Enter the code from your authenticator app" in response.content.decode()
    post_code(client, totp(secret_base32(alice.totpdevice_set.get())))
    assert client.get("/").status_code == 200
    assert int(client.session["_auth_user_id"]) == alice.pk


def test_spoofed_forwarded_for_does_not_dodge_the_lock(client: Client, alice) -> None:
    """Without TRUST_PROXY_HEADERS the client cannot choose its own address."""
    for n in range(5):
        post_password(
            client,
            alice.email,
            "wrong",
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    response = post_password(
        client, alice.email, PASSWORD, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert response.status_code == 429
