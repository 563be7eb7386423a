"""Backup codes cannot be walked past: until the user ticks that they have saved
them, every page sends them back to the codes, in this session and the next."""

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import services
from audit.models import AuditEvent
from tests.auth import force_verified_login, post_code, post_password, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

CODES = "/account/security/backup-codes/"


def shown_codes(response) -> list[str]:
    return re.findall(r"<li>([a-z0-9]{8})</li>", response.content.decode())


def test_codes_never_saved_send_the_next_sign_in_back_to_them(alice) -> None:
    # Shown once in a session that ended before the tick.
    services.backup_codes_generate(user=alice, count=10)
    client = Client()
    assert sign_in(client, alice, PASSWORD).status_code == 302
    for page in ("/", "/children/", "/incidents/new/", "/account/security/"):
        assert client.get(page)["Location"] == CODES, page
    # Signing out, and confirming who they are, stay open.
    assert client.get("/account/confirm/?next=/").status_code == 200
    # The old codes cannot be shown again: the page says so and offers new ones.
    page = client.get(CODES)
    assert shown_codes(page) == []
    assert "cannot be shown again" in page.content.decode()
    fresh = shown_codes(client.post(CODES, follow=True))
    assert len(fresh) == 10
    assert client.get("/")["Location"] == CODES
    assert client.post(CODES, {"action": "saved", "saved": "on"})["Location"] == "/"
    assert client.get("/").status_code == 200
    assert StaticDevice.objects.get(user=alice).name == services.BACKUP_SAVED
    assert AuditEvent.objects.filter(action="two_factor.backup_codes_saved", actor=alice).exists()
    # Signed in again later: nothing in the way.
    later = Client()
    force_verified_login(later, alice)
    assert later.get("/").status_code == 200
    assert client.post("/account/logout/").status_code == 302


def test_new_codes_from_sign_in_security_need_the_tick_too(client: Client, alice) -> None:
    force_verified_login(client, alice)
    codes = shown_codes(client.post(CODES, follow=True))
    assert len(codes) == 10
    assert client.get("/policies/")["Location"] == CODES
    # Refreshing the page shows the same codes until they are saved.
    assert shown_codes(client.get(CODES)) == codes
    unticked = client.post(CODES, {"action": "saved"})
    assert unticked.status_code == 200
    # Continue without the tick keeps the codes shown: it never makes new ones.
    assert shown_codes(unticked) == codes
    assert "Tick to confirm you have saved your backup codes" in unticked.content.decode()
    assert client.get("/policies/")["Location"] == CODES
    client.post(CODES, {"action": "saved", "saved": "on"})
    assert client.get("/policies/").status_code == 200
    assert shown_codes(client.get(CODES)) == []


def test_a_code_written_down_before_the_tick_still_signs_in(alice) -> None:
    codes = services.backup_codes_generate(user=alice, count=3)
    client = Client()
    post_password(client, alice.email, PASSWORD)
    client.post(
        "/account/login/", {"sign_in_view-current_step": "token", "wizard_goto_step": "backup"}
    )
    assert post_code(client, codes[0], step="backup").status_code == 302
    # Signed in, with the phone lost: straight to making codes they will keep.
    assert client.get("/")["Location"] == CODES


def test_the_security_page_counts_codes_not_yet_saved(alice) -> None:
    """They sign in already, so "0 left" would be untrue and alarming. Signed in
    here, then new codes made in another browser and not yet ticked as saved."""
    client = Client()
    force_verified_login(client, alice)
    codes = services.backup_codes_generate(user=alice, count=4)
    assert services.backup_codes_unsaved(alice)
    page = client.get("/account/security/").content.decode()
    assert "You have 4 unused backup codes" in page
    services.backup_codes_saved(user=alice)
    StaticDevice.objects.get(user=alice).verify_token(codes[0])
    page = client.get("/account/security/").content.decode()
    assert "You have 3 unused backup codes" in page
