"""django-axes: five wrong passwords for one email from one address lock it for 30 minutes;
twenty for any emails from one address (password spraying) lock the address."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client

from audit.models import AuditEvent
from tests.auth import post_code, post_password, secret_base32, totp
from tests.factories import PASSWORD, UserFactory

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


SPRAYER = "203.0.113.66"


def spray(emails: list[str], ip: str = SPRAYER) -> list[int]:
    """One guessed password against each account, as a password sprayer tries."""
    return [
        post_password(Client(), email, "Summer2026!", REMOTE_ADDR=ip).status_code
        for email in emails
    ]


def test_spraying_many_accounts_from_one_address_is_locked_out(alice, organisation) -> None:
    """Before, each email had its own count of five, so one wrong password for each
    of any number of accounts was never slowed."""
    staff = [UserFactory(organisation=organisation).email for _ in range(12)]
    unknown = [f"guess{n}@alder.test" for n in range(8)]
    # Nineteen wrong passwords, no more than two for any one email: no account
    # count is near its limit of five.
    statuses = spray(staff + unknown[:7])
    assert statuses == [200] * 19
    assert spray(unknown[7:]) == [429]  # the twentieth failure locks the address
    refused = post_password(Client(), alice.email, PASSWORD, REMOTE_ADDR=SPRAYER)
    assert refused.status_code == 429
    assert "Sign-in locked for 30 minutes" in refused.content.decode()
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()
    # Another address is not locked: Alice signs in from there.
    elsewhere = Client()
    response = post_password(elsewhere, alice.email, PASSWORD, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 200
    assert "Enter the code from your authenticator app" in response.content.decode()
    post_code(elsewhere, totp(secret_base32(alice.totpdevice_set.get())))
    assert int(elsewhere.session["_auth_user_id"]) == alice.pk


def test_nineteen_failures_across_accounts_do_not_lock_the_address(alice, organisation) -> None:
    staff = [UserFactory(organisation=organisation).email for _ in range(19)]
    assert spray(staff) == [200] * 19
    client = Client()
    response = post_password(client, alice.email, PASSWORD, REMOTE_ADDR=SPRAYER)
    assert response.status_code == 200
    assert "Enter the code from your authenticator app" in response.content.decode()


def test_signing_in_to_ones_own_account_does_not_clear_the_address(alice, organisation) -> None:
    """A sprayer with one real account cannot reset the address's count by using it."""
    staff = [UserFactory(organisation=organisation).email for _ in range(15)]
    assert spray(staff) == [200] * 15
    own = Client(REMOTE_ADDR=SPRAYER)
    post_password(own, alice.email, PASSWORD)
    post_code(own, totp(secret_base32(alice.totpdevice_set.get())))
    assert int(own.session["_auth_user_id"]) == alice.pk
    assert spray([f"more{n}@alder.test" for n in range(5)]) == [200] * 4 + [429]


def test_the_address_lock_lifts_after_30_minutes(alice, organisation) -> None:
    spray([f"guess{n}@alder.test" for n in range(20)])
    assert post_password(Client(), alice.email, PASSWORD, REMOTE_ADDR=SPRAYER).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))
    response = post_password(Client(), alice.email, PASSWORD, REMOTE_ADDR=SPRAYER)
    assert response.status_code == 200
