"""New backup codes, a new authenticator and a new password need the password or a
code given in the last five minutes, not only a session that is signed in."""

import datetime as dt
import re
import time

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.recent_auth import SESSION_CONFIRMED_AT
from audit.models import AuditEvent
from tests.auth import force_verified_login, post_code, post_password, secret_base32, totp
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

CONFIRM = "/account/confirm/"
BACKUP_CODES = "/account/security/backup-codes/"
ADD_AUTHENTICATOR = "/account/security/authenticators/add/"
PASSWORD_CHANGE = "/account/password/"
NEW_PASSWORD = "plum orchard lantern 42"


def left_signed_in(client: Client, user) -> Client:
    """A session signed in with both factors more than five minutes ago: a computer
    left signed in, or a session someone else has got hold of."""
    force_verified_login(client, user)
    session = client.session
    session[SESSION_CONFIRMED_AT] = time.time() - 5 * 60 - 1
    session.save()
    return client


def sent_to_confirm(response, next_path: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == f"{CONFIRM}?next={next_path.replace('/', '%2F')}"


def test_new_backup_codes_need_the_password_again(client: Client, alice) -> None:
    """Before, any signed-in session could replace the backup codes and read the new ones."""
    left_signed_in(client, alice)
    sent_to_confirm(client.post(BACKUP_CODES), BACKUP_CODES)
    sent_to_confirm(client.get(BACKUP_CODES), BACKUP_CODES)
    assert not StaticDevice.objects.filter(user=alice).exists()
    assert not AuditEvent.objects.filter(action="two_factor.backup_codes_generated").exists()

    page = client.get(f"{CONFIRM}?next={BACKUP_CODES}")
    assert page.status_code == 200
    assert "Confirm it is you" in page.content.decode()
    wrong = client.post(CONFIRM, {"password": "not my password", "next": BACKUP_CODES})
    assert wrong.status_code == 200
    html = wrong.content.decode()
    assert "There is a problem" in html
    assert "That password is not right." in html
    assert AuditEvent.objects.filter(action="auth.login_failed", object_id=str(alice.pk)).exists()

    right = client.post(CONFIRM, {"password": PASSWORD, "next": BACKUP_CODES})
    assert right["Location"] == BACKUP_CODES
    assert AuditEvent.objects.get(action="auth.identity_confirmed").details == {"with": "password"}
    assert client.post(BACKUP_CODES)["Location"] == BACKUP_CODES
    assert StaticToken.objects.filter(device__user=alice).count() == 10


def test_a_new_authenticator_needs_a_code_again(client: Client, alice) -> None:
    """Before, a signed-in session could add its own phone to the account."""
    left_signed_in(client, alice)
    sent_to_confirm(client.get(ADD_AUTHENTICATOR), ADD_AUTHENTICATOR)
    sent_to_confirm(
        client.post(ADD_AUTHENTICATOR, {"name": "x", "token": "123456"}), ADD_AUTHENTICATOR
    )
    assert TOTPDevice.objects.filter(user=alice).count() == 1

    wrong = client.post(CONFIRM, {"code": "000000", "next": ADD_AUTHENTICATOR})
    assert "That code is not right, or it has been used already." in wrong.content.decode()
    failed = AuditEvent.objects.get(action="auth.identity_confirmation_failed")
    assert failed.details == {"with": "authenticator"}

    code = totp(secret_base32(alice.totpdevice_set.get()))
    throttled = client.post(CONFIRM, {"code": code, "next": ADD_AUTHENTICATOR})
    assert "Too many wrong codes. Wait a minute, then try again." in throttled.content.decode()
    # django-otp's throttle doubles the wait after each wrong code; this one's has passed.
    TOTPDevice.objects.filter(user=alice).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(minutes=1)
    )
    right = client.post(CONFIRM, {"code": code, "next": ADD_AUTHENTICATOR})
    assert right["Location"] == ADD_AUTHENTICATOR
    page = client.get(ADD_AUTHENTICATOR).content.decode()
    secret = "".join(re.search(r'id="secret">([A-Z2-7 ]+)<', page).group(1).split())
    added = client.post(ADD_AUTHENTICATOR, {"name": "Spare phone", "token": totp(secret)})
    assert added["Location"] == "/account/security/"
    assert TOTPDevice.objects.filter(user=alice, name="Spare phone", confirmed=True).exists()


def test_a_new_password_needs_confirming_again(client: Client, alice) -> None:
    """Before, the password form's own check of the old password was not counted
    by the lockout, so a signed-in session could guess it without limit."""
    left_signed_in(client, alice)
    change = {
        "old_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }
    sent_to_confirm(client.post(PASSWORD_CHANGE, change), PASSWORD_CHANGE)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)

    codes = services.backup_codes_generate(user=alice, count=3)
    right = client.post(CONFIRM, {"code": codes[0], "next": PASSWORD_CHANGE})
    assert right["Location"] == PASSWORD_CHANGE
    assert AuditEvent.objects.get(action="auth.identity_confirmed").details == {
        "with": "backup code"
    }
    # A backup code works once.
    assert StaticToken.objects.filter(device__user=alice, token=codes[0]).count() == 0
    assert client.post(PASSWORD_CHANGE, change)["Location"] == "/account/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_the_confirmation_lasts_five_minutes(client: Client, alice) -> None:
    left_signed_in(client, alice)
    client.post(CONFIRM, {"password": PASSWORD, "next": BACKUP_CODES})
    assert client.get(BACKUP_CODES).status_code == 200
    session = client.session
    session[SESSION_CONFIRMED_AT] -= 5 * 60
    session.save()
    sent_to_confirm(client.get(BACKUP_CODES), BACKUP_CODES)


def test_signing_in_counts_as_confirming(client: Client, alice) -> None:
    post_password(client, alice.email, PASSWORD)
    post_code(client, totp(secret_base32(alice.totpdevice_set.get())))
    assert client.post(BACKUP_CODES)["Location"] == BACKUP_CODES


def test_nothing_entered_says_what_to_enter(client: Client, alice) -> None:
    left_signed_in(client, alice)
    response = client.post(CONFIRM, {"password": "", "code": "", "next": BACKUP_CODES})
    assert response.status_code == 200
    assert "Enter your password, or a code from your authenticator app." in (
        response.content.decode()
    )


def test_wrong_passwords_here_count_towards_the_lockout(client: Client, alice) -> None:
    left_signed_in(client, alice)
    statuses = [
        client.post(CONFIRM, {"password": f"guess {n}", "next": BACKUP_CODES}).status_code
        for n in range(5)
    ]
    assert statuses == [200] * 4 + [429]
    locked = client.post(CONFIRM, {"password": PASSWORD, "next": BACKUP_CODES})
    assert locked.status_code == 429
    assert "Sign-in locked for 30 minutes" in locked.content.decode()
    sent_to_confirm(client.post(BACKUP_CODES), BACKUP_CODES)


@pytest.mark.parametrize("target", ["https://evil.test/", "//evil.test/", "javascript:alert(1)"])
def test_confirming_never_sends_anyone_off_the_site(client: Client, alice, target: str) -> None:
    left_signed_in(client, alice)
    response = client.post(CONFIRM, {"password": PASSWORD, "next": target})
    assert response["Location"] == "/account/security/"


def test_removing_an_authenticator_needs_the_password_again(client: Client, alice) -> None:
    """Removing is a change to how someone signs in, as adding is; its button posts
    from the security page, so that is where the person comes back to."""
    device = TOTPDevice.objects.get(user=alice)
    spare = TOTPDevice.objects.create(user=alice, name="Second phone", confirmed=True)
    left_signed_in(client, alice)
    response = client.post(f"/account/security/authenticators/{spare.pk}/remove/")
    sent_to_confirm(response, "/account/security/")
    assert TOTPDevice.objects.filter(pk=spare.pk).exists()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
