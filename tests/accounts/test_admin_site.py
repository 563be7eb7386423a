"""The Django admin is for platform operators: second factor, and read-only staff accounts."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Role, User
from audit.models import AuditEvent
from tests.auth import force_verified_login
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
