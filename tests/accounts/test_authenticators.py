"""Managing one's own authenticators: more than one phone, never none."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from audit.models import AuditEvent
from tests.auth import force_verified_login, post_code, post_password, secret_base32, totp
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def add_authenticator(client: Client, name: str) -> TOTPDevice:
    page = client.get("/account/security/authenticators/add/").content.decode()
    secret = "".join(re.search(r'id="secret">([A-Z2-7 ]+)<', page).group(1).split())
    response = client.post(
        "/account/security/authenticators/add/", {"name": name, "token": totp(secret)}
    )
    assert response["Location"] == "/account/security/"
    return TOTPDevice.objects.get(name=name)


def test_a_second_phone_can_be_added_and_used(client: Client, alice) -> None:
    force_verified_login(client, alice)
    spare = add_authenticator(client, "Spare phone")
    assert spare.user == alice
    assert spare.confirmed
    assert "Spare phone" in client.get("/account/security/").content.decode()
    assert AuditEvent.objects.filter(action="two_factor.enrolled", actor=alice).exists()

    other = Client()
    post_password(other, alice.email, PASSWORD)
    response = post_code(other, totp(secret_base32(spare)), **{"token-device": spare.persistent_id})
    assert response.status_code == 302


def test_the_device_used_to_sign_in_stays_until_another_is_used(client: Client, alice) -> None:
    force_verified_login(client, alice)  # verified with the first authenticator
    first = TOTPDevice.objects.get(user=alice)
    spare = add_authenticator(client, "Spare phone")

    refused = client.post(f"/account/security/authenticators/{first.pk}/remove/", follow=True)
    assert "You signed in with this authenticator" in refused.content.decode()

    # Lost the first phone: sign in with the spare, then remove the lost one.
    other = Client()
    post_password(other, alice.email, PASSWORD)
    post_code(other, totp(secret_base32(spare)), **{"token-device": spare.persistent_id})
    removed = other.post(f"/account/security/authenticators/{first.pk}/remove/", follow=True)
    assert "Authenticator app has been removed" in removed.content.decode()
    assert list(TOTPDevice.objects.filter(user=alice)) == [spare]
    assert AuditEvent.objects.filter(action="two_factor.device_removed").count() == 1


def test_the_last_authenticator_cannot_be_removed(client: Client, alice) -> None:
    only = TOTPDevice.objects.get(user=alice)
    with pytest.raises(ValidationError, match="You must keep at least one authenticator"):
        services.two_factor_device_remove(user=alice, device=only, signed_in_with=None)
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_someone_elses_device_is_not_found(client: Client, alice, bob) -> None:
    force_verified_login(client, alice)
    TOTPDevice.objects.create(user=alice, name="Spare", confirmed=True)
    bobs = TOTPDevice.objects.get(user=bob)
    response = client.post(f"/account/security/authenticators/{bobs.pk}/remove/")
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(pk=bobs.pk).exists()


def test_wrong_code_when_adding_is_explained_and_adds_nothing(client: Client, alice) -> None:
    force_verified_login(client, alice)
    client.get("/account/security/authenticators/add/")
    response = client.post(
        "/account/security/authenticators/add/", {"name": "Tablet", "token": "12ab"}
    )
    assert response.status_code == 200
    assert "Enter the 6-digit code, numbers only." in response.content.decode()
    assert TOTPDevice.objects.filter(user=alice).count() == 1


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("add", "A new authenticator app was added"),
        ("codes", "New backup codes were created"),
        ("password", "Your Safeguard password was changed"),
    ],
)
def test_every_change_to_sign_in_methods_is_emailed(
    client: Client, alice, django_capture_on_commit_callbacks, action: str, words: str
) -> None:
    force_verified_login(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        if action == "add":
            add_authenticator(client, "Tablet")
        elif action == "codes":
            client.post("/account/security/backup-codes/")
        else:
            response = client.post(
                "/account/password/",
                {
                    "old_password": PASSWORD,
                    "new_password1": "a brand new passphrase 9",
                    "new_password2": "a brand new passphrase 9",
                },
            )
            assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert words in mail.outbox[0].body
