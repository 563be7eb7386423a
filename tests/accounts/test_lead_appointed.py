"""Whoever becomes a DSL or deputy can open every case file: the leads already in
post hear of it at once, in the portal and by email, and the audit log says who was told."""

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Role, User
from audit.models import AuditEvent
from notices.models import Notice
from tests.auth import force_verified_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def notices_for(user: User) -> list[Notice]:
    return list(Notice.objects.filter(recipient=user))


def emails_to(user: User) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [user.email]]


def test_making_someone_dsl_tells_the_dsl_and_deputies(
    client: Client, bob, alice, dana, deputy, director, django_capture_on_commit_callbacks
) -> None:
    """Before, an admin could make anyone a DSL and nobody else heard of it."""
    force_verified_login(client, bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/{alice.pk}/role/", {"role": "dsl"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.role == Role.DSL
    for lead in (dana, deputy):
        (notice,) = notices_for(lead)
        assert notice.title.startswith(
            "Alice Adeyemi (alice@alder.test) is now Designated Safeguarding Lead, "
            "made so by Bob Bennett."
        )
        assert notice.urgent
        (message,) = emails_to(lead)
        assert "Alice Adeyemi (alice@alder.test) is now Designated Safeguarding Lead" in (
            message.body
        )
    # Not the new lead, nor people who are not leads.
    for someone in (alice, bob, director):
        assert notices_for(someone) == []
        assert emails_to(someone) == []
    event = AuditEvent.objects.get(action="staff.role_changed", object_id=str(alice.pk))
    assert sorted(event.details["leads_told"]) == [dana.email, deputy.email]
    assert event.actor == bob


def test_inviting_a_deputy_tells_the_dsl(
    client: Client, bob, dana, django_capture_on_commit_callbacks
) -> None:
    force_verified_login(client, bob)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/staff/invite/",
            {"full_name": "Erin Evans", "email": "erin@alder.test", "role": "deputy_dsl"},
        )
    (notice,) = notices_for(dana)
    assert notice.title.startswith("Erin Evans (erin@alder.test) is now Deputy DSL")
    assert len(emails_to(dana)) == 1
    event = AuditEvent.objects.get(action="staff.invited")
    assert event.details["leads_told"] == [dana.email]


def test_letting_a_lead_back_in_tells_the_leads(
    client: Client, bob, dana, organisation, django_capture_on_commit_callbacks
) -> None:
    former = UserFactory(
        organisation=organisation, role=Role.DEPUTY_DSL, full_name="Fred Foster", is_active=False
    )
    force_verified_login(client, bob)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/{former.pk}/reactivate/")
    (notice,) = notices_for(dana)
    assert notice.title.startswith(f"Fred Foster ({former.email}) is now Deputy DSL")


def test_the_first_dsl_is_told_to_the_other_admins(
    client: Client, bob, alice, organisation, django_capture_on_commit_callbacks
) -> None:
    """With no lead in post yet, the other admins hear of it instead."""
    other_admin = UserFactory(organisation=organisation, role=Role.ADMIN)
    force_verified_login(client, bob)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/{alice.pk}/role/", {"role": "dsl"})
    assert len(notices_for(other_admin)) == 1
    assert len(emails_to(other_admin)) == 1
    assert notices_for(bob) == []


def test_other_roles_tell_nobody(
    client: Client, bob, alice, dana, django_capture_on_commit_callbacks
) -> None:
    force_verified_login(client, bob)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/{alice.pk}/role/", {"role": "director"})
    assert notices_for(dana) == []
    assert mail.outbox == []
    event = AuditEvent.objects.get(action="staff.role_changed")
    assert "leads_told" not in event.details


def test_every_appointment_is_announced_however_many_in_a_day(
    client: Client, bob, alice, dana, charlie, django_capture_on_commit_callbacks
) -> None:
    """Each announcement was keyed on the audit event before it had an id, so the
    ledger took the first appointment of the day, anywhere, and silently dropped
    every later one."""
    other_lead = UserFactory(organisation=charlie.organisation, role=Role.DSL)
    other_member = UserFactory(organisation=charlie.organisation, role=Role.STAFF)
    force_verified_login(client, bob)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/{alice.pk}/role/", {"role": "deputy_dsl"})
    from accounts import services

    with django_capture_on_commit_callbacks(execute=True):
        services.staff_role_change(user=other_member, role=Role.DEPUTY_DSL, by=charlie)
    assert len(notices_for(dana)) == 1
    assert len(notices_for(other_lead)) == 1
    assert "is now Deputy DSL" in notices_for(other_lead)[0].title
