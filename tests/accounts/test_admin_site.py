"""The Django admin is for platform operators: second factor, and read-only staff accounts."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from accounts.services import backup_codes_generate
from audit.models import AuditEvent
from tests.auth import force_verified_login, secret_base32
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(organisation) -> User:
    return UserFactory(organisation=organisation, is_staff=True, is_superuser=True)


def test_staff_accounts_cannot_be_changed_from_the_admin(client: Client, operator, alice) -> None:
    force_verified_login(client, operator)
    page = client.get(f"/admin/safeguard/user/{alice.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = client.post(
        f"/admin/safeguard/user/{alice.pk}/change/", {"role": "admin", "is_active": ""}
    )
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.role == Role.STAFF
    assert alice.is_active
    assert client.post(f"/admin/safeguard/user/{alice.pk}/delete/").status_code == 403


def test_audit_events_cannot_be_touched_from_the_admin(client: Client, operator, alice) -> None:
    force_verified_login(client, operator)
    event = AuditEvent.objects.filter(actor=operator).first()
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403


def test_invite_staff_command_creates_the_first_admin(
    organisation, settings, django_capture_on_commit_callbacks
):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "invite_staff",
            "--organisation=alder",
            "--email=Fay@Alder.test",
            "--name=Fay Foster",
            stdout=out,
        )
    fay = User.objects.get(email="fay@alder.test")
    assert fay.role == Role.ADMIN
    assert not fay.has_usable_password()
    assert mail.outbox[-1].to == ["fay@alder.test"]
    event = AuditEvent.objects.get(action="staff.invited")
    assert event.actor is None
    assert event.actor_label == "manage.py"
    assert event.organisation == organisation
    with pytest.raises(CommandError, match="cannot be invited"):
        call_command("invite_staff", "--organisation=alder", "--email=fay@alder.test", "--name=F")
    with pytest.raises(CommandError, match="No organisation"):
        call_command("invite_staff", "--organisation=nope", "--email=g@x.test", "--name=G")


def test_create_organisation_command_sets_up_consent_types() -> None:
    from consent.models import ConsentType

    out = StringIO()
    call_command(
        "create_organisation", "--name", "Riverside Play", "--slug", "riverside", stdout=out
    )
    assert "Created Riverside Play (riverside)." in out.getvalue()
    from accounts.models import Organisation

    riverside = Organisation.objects.get(slug="riverside")
    assert ConsentType.objects.filter(organisation=riverside).count() == 8
    with pytest.raises(CommandError):
        call_command("create_organisation", "--name", "Again", "--slug", "riverside")
    with pytest.raises(CommandError, match="timezone"):
        call_command("create_organisation", "--name", "X", "--slug", "x", "--timezone", "Mars/Base")


def test_an_authenticators_secret_is_never_shown_or_changed_in_the_admin(
    client: Client, operator, alice
) -> None:
    """Before, django-otp's admin showed the key and its QR code, and let an operator
    add an authenticator to anyone's account or change one, unaudited."""
    force_verified_login(client, operator)
    device = alice.totpdevice_set.get()
    key = device.key
    listing = client.get("/admin/otp_totp/totpdevice/")
    assert listing.status_code == 200
    assert alice.full_name in listing.content.decode()
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert key not in html
    assert key.upper() not in html
    assert secret_base32(device) not in html
    assert 'name="_save"' not in html
    # The QR code and configuration pages are gone.
    for name in ("admin:otp_totp_totpdevice_config", "admin:otp_totp_totpdevice_qrcode"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[device.pk])
    for page_name in ("config", "qrcode"):
        old = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/{page_name}/", follow=True)
        assert key not in old.content.decode()
        assert "svg+xml" not in old["Content-Type"]

    changed = client.post(
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
        {"user": alice.pk, "name": "mine", "confirmed": "on", "key": "00" * 20},
    )
    assert changed.status_code == 403
    device.refresh_from_db()
    assert (device.key, device.name) == (key, "default")
    added = client.post(
        "/admin/otp_totp/totpdevice/add/",
        {"user": alice.pk, "name": "operator's phone", "confirmed": "on", "key": "11" * 20},
    )
    assert added.status_code == 403
    assert client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/").status_code == 403
    assert list(TOTPDevice.objects.filter(user=alice).values_list("pk", flat=True)) == [device.pk]


def test_backup_codes_are_never_shown_or_changed_in_the_admin(
    client: Client, operator, alice
) -> None:
    codes = backup_codes_generate(user=alice, count=3)
    device = StaticDevice.objects.get(user=alice)
    force_verified_login(client, operator)
    page = client.get(f"/admin/otp_static/staticdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert not any(code in page.content.decode() for code in codes)
    assert client.post("/admin/otp_static/staticdevice/add/", {"user": alice.pk}).status_code == 403
    assert (
        client.post(f"/admin/otp_static/staticdevice/{device.pk}/delete/", {"post": "yes"})
    ).status_code == 403
    assert StaticToken.objects.filter(device=device).count() == 3


def test_invite_staff_command_makes_no_second_account_for_another_organisations_member(
    organisation, charlie, django_capture_on_commit_callbacks
) -> None:
    elsewhere = "already has an account with another organisation"
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CommandError, match=elsewhere),
    ):
        call_command(
            "invite_staff", "--organisation=alder", "--email=charlie@birch.test", "--name=C"
        )
    assert User.objects.filter(email="charlie@birch.test").get() == charlie
    assert mail.outbox[-1].to == ["charlie@birch.test"]
