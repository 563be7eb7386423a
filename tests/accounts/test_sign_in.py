"""Signing in: a password and then a code from an authenticator app, nothing less."""

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from tests.auth import (
    LOGIN_URL,
    force_verified_login,
    post_code,
    post_password,
    secret_base32,
    sign_in,
    totp,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_has_labelled_fields(client: Client) -> None:
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label class="govuk-label" for="id_auth-username">Email address</label>' in html
    assert '<label class="govuk-label" for="id_auth-password">Password</label>' in html
    assert 'href="#main-content"' in html


def test_password_and_authenticator_code_sign_in(client: Client, alice, other_organisation):
    response = post_password(client, "ALICE@alder.test", PASSWORD)
    assert "Enter the code from your authenticator app" in response.content.decode()
    assert "_auth_user_id" not in client.session, "signed in on the password alone"

    device = TOTPDevice.objects.get(user=alice)
    response = post_code(client, totp(secret_base32(device)))
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert "Alder Play Therapy" in home
    assert "Alice Adeyemi" in home
    assert "Birch Music Therapy" not in home
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions == ["auth.login"]


def test_session_key_changes_when_the_second_factor_is_verified(client: Client, alice) -> None:
    post_password(client, alice.email, PASSWORD)
    key_before = client.session.session_key
    post_code(client, totp(secret_base32(alice.totpdevice_set.get())))
    assert client.session.session_key != key_before


def test_wrong_code_does_not_sign_in_and_is_audited(client: Client, alice) -> None:
    post_password(client, alice.email, PASSWORD)
    secret = secret_base32(alice.totpdevice_set.get())
    wrong = f"{(int(totp(secret)) + 1) % 1_000_000:06d}"
    response = post_code(client, wrong)
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.second_factor_failed", actor=alice).count() == 1


def test_codes_are_throttled_after_a_failure(client: Client, alice) -> None:
    """django-otp's throttle: straight after a wrong guess even the right code waits."""
    post_password(client, alice.email, PASSWORD)
    secret = secret_base32(alice.totpdevice_set.get())
    post_code(client, f"{(int(totp(secret)) + 1) % 1_000_000:06d}")
    response = post_code(client, totp(secret))
    assert response.status_code == 200
    assert "Verification temporarily disabled" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_code_cannot_be_used_twice(client: Client, alice) -> None:
    device = alice.totpdevice_set.get()
    code = totp(secret_base32(device))
    post_password(client, alice.email, PASSWORD)
    post_code(client, code)
    other = Client()
    post_password(other, alice.email, PASSWORD)
    response = post_code(other, code)
    assert response.status_code == 200
    assert "_auth_user_id" not in other.session


def test_second_authenticator_works_when_chosen(client: Client, alice) -> None:
    second = TOTPDevice.objects.create(user=alice, name="Spare phone", confirmed=True)
    page = post_password(client, alice.email, PASSWORD).content.decode()
    assert "Which authenticator are you using?" in page
    assert "Spare phone" in page
    response = post_code(
        client, totp(secret_base32(second)), **{"token-device": second.persistent_id}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_password_is_explained_without_naming_the_account(client: Client, alice) -> None:
    wrong = post_password(client, alice.email, "nope")
    unknown = post_password(Client(), "nobody@x.test", "nope")
    assert wrong.status_code == unknown.status_code == 200
    for response in (wrong, unknown):
        html = response.content.decode()
        assert "There is a problem" in html
        assert "Enter a correct email address and password." in html
        assert "<title>Error: Sign in" in html
    failures = AuditEvent.objects.filter(action="auth.login_failed")
    assert sorted(failures.values_list("details__email", flat=True)) == [
        "alice@alder.test",
        "nobody@x.test",
    ]


def test_invalid_email_gets_a_message_next_to_the_field(client: Client) -> None:
    response = post_password(client, "not-an-email", "x")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="govuk-form-group govuk-form-group--error"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_auth-username-error-1"' in html
    assert 'id="id_auth-username-error-1"' in html


def test_signed_in_pages_are_not_cached(client: Client, alice) -> None:
    force_verified_login(client, alice)
    response = client.get("/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_sign_out_is_a_post_and_ends_the_session(client: Client, alice) -> None:
    force_verified_login(client, alice)
    assert client.get("/account/logout/").status_code == 405
    client.post("/account/logout/")
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor=alice).exists()


def test_security_headers_and_a_csp_without_inline_script(client: Client) -> None:
    response = client.get(LOGIN_URL)
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("path", [LOGIN_URL, "/", "/account/security/", "/staff/"])
def test_pages_have_no_inline_script_or_handlers(client: Client, bob, path: str) -> None:
    if path != LOGIN_URL:
        force_verified_login(client, bob)
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "expected the page to load its script file"
    # A JSON data block (json_script) is never run, so the CSP has nothing to allow.
    code = [tag for tag in scripts if 'type="application/json"' not in tag]
    assert all(" src=" in tag for tag in code), scripts
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler found"
    assert not re.search(r"\sstyle\s*=", html), "inline style attribute found"


def test_the_full_journey_helper_signs_in(client: Client) -> None:
    user = UserFactory()
    assert sign_in(client, user, PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_home_says_what_is_waiting(client: Client, alice, dana, organisation) -> None:
    from django.utils import timezone

    from children import services as caseload
    from tests.factories import ChildFactory

    mine = ChildFactory(organisation=organisation)
    ChildFactory(organisation=organisation)
    caseload.allocation_start(child=mine, staff=alice, starts_on=timezone.localdate(), by=dana)
    force_verified_login(client, alice)
    assert "1 child on your caseload" in client.get("/").content.decode()
    force_verified_login(client, dana)
    page = client.get("/").content.decode()
    assert "2 active children" in page
    assert "1 not allocated to anyone" in page


def test_odd_posts_to_sign_in_are_not_server_errors(client: Client, alice) -> None:
    """Found by fuzzing: a file posted with the code step, and a `next` that is not
    a path, each gave a 500."""
    import io

    device = TOTPDevice.objects.get(user=alice)
    post_password(client, alice.email, PASSWORD)
    upload = io.BytesIO(b"not wanted")
    upload.name = "x.txt"
    response = client.post(
        LOGIN_URL + "?next=0",
        {
            "sign_in_view-current_step": "token",
            "token-otp_token": totp(secret_base32(device)),
            "extra": upload,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
