"""Passkeys as a second factor beside the authenticator app.

A software passkey (tests/passkey_authenticator.py) signs real WebAuthn answers,
so the server's checks (challenge, origin, signature, counter) run unchanged.
"""

import json

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import User
from accounts.passkeys import SESSION_CHALLENGE
from audit.models import AuditEvent
from tests.accounts.test_recent_auth import left_signed_in, sent_to_confirm
from tests.auth import (
    LOGIN_URL,
    WIZARD,
    force_verified_login,
    post_code,
    post_password,
    secret_base32,
    totp,
)
from tests.factories import PASSWORD
from tests.passkey_authenticator import SoftPasskey

pytestmark = pytest.mark.django_db

BEGIN = "/account/security/passkeys/register/begin/"
COMPLETE = "/account/security/passkeys/register/complete/"


def soft_passkey() -> SoftPasskey:
    return SoftPasskey(
        rp_id=settings.OTP_WEBAUTHN_RP_ID, origin=settings.OTP_WEBAUTHN_ALLOWED_ORIGINS[0]
    )


def register(client: Client, passkey: SoftPasskey) -> WebAuthnCredential:
    options = client.post(BEGIN).json()
    response = client.post(
        COMPLETE, json.dumps(passkey.register(options)), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return WebAuthnCredential.objects.get(pk=response.json()["id"])


@pytest.fixture
def alice_passkey(alice: User) -> SoftPasskey:
    client = Client()
    force_verified_login(client, alice)
    passkey = soft_passkey()
    register(client, passkey)
    return passkey


def passkey_step(client: Client, user: User):
    response = post_password(client, user.email, PASSWORD)
    assert response.status_code == 200
    assert response.context["wizard"]["steps"].current == "passkey"
    return response


def post_answer(client: Client, answer: str):
    return client.post(LOGIN_URL, {WIZARD: "passkey", "passkey-assertion": answer})


def test_adding_a_passkey_is_audited_and_listed(client: Client, alice, mailoutbox) -> None:
    force_verified_login(client, alice)
    credential = register(client, soft_passkey())
    assert credential.user == alice
    assert credential.confirmed
    event = AuditEvent.objects.get(action="two_factor.passkey_added")
    assert event.actor == alice
    assert event.details["passkey_id"] == credential.pk
    page = client.get("/account/security/").content.decode()
    assert "Your passkeys" in page
    assert f"/account/security/passkeys/{credential.pk}/remove/" in page


def test_a_tampered_registration_is_refused_and_saves_nothing(client: Client, alice) -> None:
    force_verified_login(client, alice)
    passkey = soft_passkey()
    options = client.post(BEGIN).json()
    options["challenge"] = "c29tZXRoaW5nIGVsc2U"  # signed for a challenge we never gave
    response = client.post(
        COMPLETE, json.dumps(passkey.register(options)), content_type="application/json"
    )
    assert response.status_code == 422
    assert not WebAuthnCredential.objects.exists()
    assert not AuditEvent.objects.filter(action="two_factor.passkey_added").exists()


@pytest.mark.parametrize("body", ["[]", '{"id": "x", "response": 3}', '"text"'])
def test_a_malformed_registration_answer_is_a_4xx_not_a_500(
    client: Client, alice, body: str
) -> None:
    force_verified_login(client, alice)
    client.post(BEGIN)
    response = client.post(COMPLETE, body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert not WebAuthnCredential.objects.exists()


def test_a_passkey_signs_in_as_the_second_factor(alice, alice_passkey: SoftPasskey) -> None:
    client = Client()
    page = passkey_step(client, alice)
    response = post_answer(client, alice_passkey.answer(page.context["passkey_options"]))
    assert response.status_code == 302
    assert response["Location"] == "/"
    credential = WebAuthnCredential.objects.get(user=alice)
    # Verified the way a code verifies: django_otp.login put the device in the session.
    assert client.session[DEVICE_ID_SESSION_KEY] == credential.persistent_id
    assert client.get("/account/security/").status_code == 200
    credential.refresh_from_db()
    assert credential.last_used_at is not None
    assert credential.sign_count == 1


def test_an_answer_counts_once(alice, alice_passkey: SoftPasskey) -> None:
    client = Client()
    page = passkey_step(client, alice)
    answer = alice_passkey.answer(page.context["passkey_options"])
    assert post_answer(client, answer).status_code == 302

    thief = Client()
    passkey_step(thief, alice)
    refused = post_answer(thief, answer)
    assert refused.status_code == 200
    assert "Your passkey was not accepted" in refused.content.decode()
    assert DEVICE_ID_SESSION_KEY not in thief.session
    assert thief.get("/").status_code == 302
    assert AuditEvent.objects.filter(
        action="auth.second_factor_failed", actor=alice, details__step="passkey"
    ).exists()


def test_someone_elses_passkey_does_not_sign_alice_in(
    alice, bob, alice_passkey: SoftPasskey
) -> None:
    bobs_client = Client()
    force_verified_login(bobs_client, bob)
    bobs_passkey = soft_passkey()
    register(bobs_client, bobs_passkey)

    client = Client()
    page = passkey_step(client, alice)
    refused = post_answer(client, bobs_passkey.answer(page.context["passkey_options"]))
    assert refused.status_code == 200
    assert DEVICE_ID_SESSION_KEY not in client.session


@pytest.mark.parametrize("answer", ["", "not json", "[]", '{"id": 1}', '{"response": {}}'])
def test_a_malformed_answer_is_refused_beside_the_button(
    alice, alice_passkey: SoftPasskey, answer: str
) -> None:
    client = Client()
    passkey_step(client, alice)
    refused = post_answer(client, answer)
    assert refused.status_code == 200
    assert "Your passkey was not accepted" in refused.content.decode()
    # The page shown again carries a fresh challenge to try with.
    assert SESSION_CHALLENGE in client.session


def test_the_authenticator_app_still_works_from_the_passkey_step(
    alice, alice_passkey: SoftPasskey
) -> None:
    client = Client()
    passkey_step(client, alice)
    page = client.post(LOGIN_URL, {WIZARD: "passkey", "wizard_goto_step": "token"})
    assert page.context["wizard"]["steps"].current == "token"
    response = post_code(client, totp(secret_base32(alice.totpdevice_set.get())))
    assert response.status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == alice.totpdevice_set.get().persistent_id


def test_without_a_passkey_sign_in_goes_straight_to_the_code(client: Client, alice) -> None:
    response = post_password(client, alice.email, PASSWORD)
    assert response.context["wizard"]["steps"].current == "token"


def test_removing_a_passkey_is_audited(alice, alice_passkey: SoftPasskey) -> None:
    client = Client()
    force_verified_login(client, alice)  # signed in with the authenticator app
    credential = WebAuthnCredential.objects.get(user=alice)
    response = client.post(f"/account/security/passkeys/{credential.pk}/remove/")
    assert response["Location"] == "/account/security/"
    assert not WebAuthnCredential.objects.filter(pk=credential.pk).exists()
    event = AuditEvent.objects.get(action="two_factor.passkey_removed")
    assert event.actor == alice
    assert event.details["passkey_id"] == credential.pk


def test_the_passkey_this_session_used_cannot_be_removed(alice, alice_passkey: SoftPasskey) -> None:
    client = Client()
    page = passkey_step(client, alice)
    post_answer(client, alice_passkey.answer(page.context["passkey_options"]))
    credential = WebAuthnCredential.objects.get(user=alice)
    client.post(f"/account/security/passkeys/{credential.pk}/remove/")
    assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()
    assert not AuditEvent.objects.filter(action="two_factor.passkey_removed").exists()


def test_another_persons_passkey_cannot_be_removed(
    client_for, alice, bob, alice_passkey: SoftPasskey
) -> None:
    credential = WebAuthnCredential.objects.get(user=alice)
    response = client_for(bob).post(f"/account/security/passkeys/{credential.pk}/remove/")
    assert response.status_code == 404
    assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()


def test_passkeys_are_read_only_in_the_admin(
    client: Client, organisation, alice, alice_passkey: SoftPasskey
) -> None:
    from tests.factories import UserFactory

    operator = UserFactory(organisation=organisation, is_staff=True, is_superuser=True)
    force_verified_login(client, operator)
    credential = WebAuthnCredential.objects.get(user=alice)
    url = f"/admin/django_otp_webauthn/webauthncredential/{credential.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert "public_key" not in page.content.decode()
    assert client.post(url, {"name": "renamed", "confirmed": ""}).status_code == 403
    assert client.post(url.replace("/change/", "/delete/")).status_code == 403
    credential.refresh_from_db()
    assert credential.name != "renamed"
    assert credential.confirmed


def test_adding_and_removing_a_passkey_is_emailed(
    client: Client, alice, django_capture_on_commit_callbacks
) -> None:
    force_verified_login(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        credential = register(client, soft_passkey())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/account/security/passkeys/{credential.pk}/remove/")
    assert [m.to for m in mail.outbox] == [[alice.email], [alice.email]]
    assert "A new passkey was added" in mail.outbox[0].body
    assert "A passkey was removed" in mail.outbox[1].body


def test_an_admins_two_factor_reset_removes_passkeys_too(
    client_for, alice, bob, alice_passkey: SoftPasskey
) -> None:
    client_for(bob).post(f"/staff/{alice.pk}/reset-two-factor/")
    assert not WebAuthnCredential.objects.filter(user=alice).exists()
    assert AuditEvent.objects.get(action="two_factor.reset").details["devices_removed"] == 2


@pytest.mark.parametrize("url", [BEGIN, COMPLETE])
def test_a_body_that_is_not_utf8_json_is_a_400_not_a_500(client: Client, alice, url: str) -> None:
    """Found by the fuzzer: the library decoded any body as UTF-8 and raised."""
    force_verified_login(client, alice)
    response = client.post(url, b"\x80", content_type="application/json")
    assert response.status_code == 400


def test_adding_or_removing_a_passkey_needs_a_recent_confirmation(
    alice, alice_passkey: SoftPasskey
) -> None:
    """As for a new authenticator: a session left open must not be enough to add a
    passkey of one's own to someone's account, or take theirs away."""
    client = left_signed_in(Client(), alice)
    page = client.get("/account/security/").content.decode()
    assert "Confirm it is you to add a passkey" in page
    assert "passkey-registration-placeholder" not in page

    refused = client.post(BEGIN, "{}", content_type="application/json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Confirm it is you before adding a passkey."}

    credential = WebAuthnCredential.objects.get(user=alice)
    response = client.post(f"/account/security/passkeys/{credential.pk}/remove/")
    sent_to_confirm(response, "/account/security/")
    assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()
    assert not AuditEvent.objects.filter(action="two_factor.passkey_removed").exists()

    # Confirmed again, the same session may.
    client.post("/account/confirm/", {"password": PASSWORD, "next": "/account/security/"})
    assert "passkey-registration-placeholder" in client.get("/account/security/").content.decode()
    assert client.post(BEGIN, "{}", content_type="application/json").status_code == 200


def test_a_registration_finished_after_the_window_closed_is_refused(client: Client, alice) -> None:
    """Begun while confirmed is not enough: the confirmation may lapse before the
    browser answers, and the passkey would then be added on a stale session."""
    force_verified_login(client, alice)
    options = client.post(BEGIN).json()
    left_signed_in(client, alice)
    response = client.post(
        COMPLETE, json.dumps(soft_passkey().register(options)), content_type="application/json"
    )
    assert response.status_code == 403
    assert not WebAuthnCredential.objects.filter(user=alice).exists()
