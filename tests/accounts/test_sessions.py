"""Sessions end after 30 idle minutes, after 12 hours, and at once on deactivation."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.middleware import SESSION_LAST_SEEN_AT, SESSION_SIGNED_IN_AT
from accounts.models import StaffSession
from audit.models import AuditEvent
from tests.auth import force_verified_login, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def age_session(client: Client, **seconds_ago: float) -> None:
    session = client.session
    now = time.time()
    if "idle" in seconds_ago:
        session[SESSION_LAST_SEEN_AT] = now - seconds_ago["idle"]
    if "signed_in" in seconds_ago:
        session[SESSION_SIGNED_IN_AT] = now - seconds_ago["signed_in"]
    session.save()


def test_activity_keeps_the_session(client: Client, alice) -> None:
    force_verified_login(client, alice)
    age_session(client, idle=29 * 60)
    assert client.get("/").status_code == 200
    # Another 29 quiet minutes after that request: 58 since the first activity,
    # so this only passes if the request restarted the idle clock.
    session = client.session
    session[SESSION_LAST_SEEN_AT] -= 29 * 60
    session.save()
    assert client.get("/").status_code == 200
    assert not AuditEvent.objects.filter(action="auth.session_expired").exists()


def test_thirty_idle_minutes_sign_you_out(client: Client, alice) -> None:
    force_verified_login(client, alice)
    age_session(client, idle=31 * 60)
    response = client.get("/account/security/", follow=True)
    assert response.redirect_chain[0][0] == "/account/login/?next=/account/security/"
    assert "signed out after 30 minutes without activity" in response.content.decode()
    assert client.get("/").status_code == 302
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert event.actor == alice
    assert event.details == {"reason": "idle"}


def test_twelve_hours_is_the_most_a_session_lasts(client: Client, alice) -> None:
    force_verified_login(client, alice)
    age_session(client, signed_in=12 * 3600 + 60, idle=60)
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.get(action="auth.session_expired").details == {"reason": "absolute"}


def test_deactivation_ends_every_session_at_once(client: Client, alice, bob) -> None:
    phone, laptop = Client(), Client()
    sign_in(phone, alice, PASSWORD)
    force_verified_login(laptop, alice)
    assert phone.get("/").status_code == 200
    assert laptop.get("/").status_code == 200
    keys = {phone.session.session_key, laptop.session.session_key}
    assert set(StaffSession.objects.filter(user=alice).values_list("session_key", flat=True)) >= {
        phone.session.session_key
    }

    force_verified_login(client, bob)
    client.post(f"/staff/{alice.pk}/deactivate/")

    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 302
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not StaffSession.objects.filter(user=alice).exists()
    event = AuditEvent.objects.get(action="staff.deactivated")
    assert event.actor == bob
    assert event.object_id == str(alice.pk)


def test_deactivated_staff_cannot_sign_in_again(alice, bob) -> None:
    admin = Client()
    force_verified_login(admin, bob)
    admin.post(f"/staff/{alice.pk}/deactivate/")
    again = Client()
    sign_in(again, alice, PASSWORD)
    assert "_auth_user_id" not in again.session
    assert again.get("/").status_code == 302
