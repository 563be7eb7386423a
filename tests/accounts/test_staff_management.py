"""Organisation admins manage their own staff, and nobody else's."""

import re

import pytest
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, StaffSession
from audit.models import AuditEvent
from tests.auth import force_verified_login, post_password, sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    ("get", "/staff/{pk}/"),
    ("post", "/staff/{pk}/role/"),
    ("post", "/staff/{pk}/deactivate/"),
    ("post", "/staff/{pk}/reactivate/"),
    ("post", "/staff/{pk}/reset-two-factor/"),
    ("post", "/staff/{pk}/resend-invitation/"),
]


@pytest.fixture
def as_bob(client: Client, bob) -> Client:
    force_verified_login(client, bob)
    return client


def test_admin_sees_own_staff_and_nobody_elses(as_bob: Client, alice, charlie) -> None:
    html = as_bob.get("/staff/").content.decode()
    assert "Alice Adeyemi" in html
    assert "Bob Bennett" in html
    assert "Charlie Chen" not in html
    assert "charlie@birch.test" not in html


@pytest.mark.parametrize(("method", "path"), STAFF_PAGES)
def test_another_organisations_admin_gets_404_for_every_staff_page(
    client: Client, alice, charlie, method: str, path: str
) -> None:
    force_verified_login(client, charlie)
    response = getattr(client, method)(path.format(pk=alice.pk), {"role": "admin"})
    assert response.status_code == 404
    alice.refresh_from_db()
    assert alice.is_active
    assert alice.role == Role.STAFF
    assert TOTPDevice.objects.filter(user=alice).exists()


@pytest.mark.parametrize(("method", "path"), STAFF_PAGES)
def test_non_admin_staff_get_404_for_colleagues(
    client: Client, alice, dana, method: str, path: str
) -> None:
    force_verified_login(client, dana)
    response = getattr(client, method)(path.format(pk=alice.pk), {"role": "admin"})
    assert response.status_code == 404


@pytest.mark.parametrize("role", [role for role in Role if role != Role.ADMIN])
def test_only_admins_open_the_staff_list(client: Client, organisation, role: str) -> None:
    force_verified_login(client, UserFactory(organisation=organisation, role=role))
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/invite/").status_code == 403


def test_role_change_is_audited_with_before_and_after(as_bob: Client, alice, bob) -> None:
    as_bob.post(f"/staff/{alice.pk}/role/", {"role": "deputy_dsl"})
    alice.refresh_from_db()
    assert alice.role == Role.DEPUTY_DSL
    event = AuditEvent.objects.get(action="staff.role_changed")
    assert event.actor == bob
    assert event.details == {"from": "staff", "to": "deputy_dsl"}


@pytest.mark.parametrize("role", [role for role in Role if role != Role.STAFF])
def test_an_admin_can_give_each_role_and_the_staff_list_names_it(
    as_bob: Client, alice, role: Role
) -> None:
    as_bob.post(f"/staff/{alice.pk}/role/", {"role": role})
    alice.refresh_from_db()
    assert alice.role == role
    rows = re.findall(r"<tr.*?</tr>", as_bob.get("/staff/").content.decode(), re.DOTALL)
    (alices_row,) = [row for row in rows if "Alice Adeyemi" in row]
    assert f">{role.label}<" in alices_row


def test_nonsense_role_is_refused_without_a_500(as_bob: Client, alice) -> None:
    response = as_bob.post(f"/staff/{alice.pk}/role/", {"role": "superuser"}, follow=True)
    assert response.status_code == 200
    assert "Choose a role from the list." in response.content.decode()
    alice.refresh_from_db()
    assert alice.role == Role.STAFF


def test_the_last_admin_cannot_demote_or_deactivate_themselves(as_bob: Client, bob) -> None:
    demote = as_bob.post(f"/staff/{bob.pk}/role/", {"role": "staff"}, follow=True)
    assert "must keep at least one active admin" in demote.content.decode()
    deactivate = as_bob.post(f"/staff/{bob.pk}/deactivate/", follow=True)
    assert "cannot deactivate your own account" in deactivate.content.decode()
    bob.refresh_from_db()
    assert bob.role == Role.ADMIN
    assert bob.is_active


def test_reactivation_lets_them_sign_in_again(as_bob: Client, alice) -> None:
    as_bob.post(f"/staff/{alice.pk}/deactivate/")
    as_bob.post(f"/staff/{alice.pk}/reactivate/")
    again = Client()
    sign_in(again, alice, PASSWORD)
    assert again.get("/").status_code == 200
    assert int(again.session["_auth_user_id"]) == alice.pk


def test_two_factor_reset_clears_sign_in_ends_sessions_and_emails_a_new_link(
    as_bob: Client, alice, bob, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SITE_URL = "http://testserver"
    StaticDevice.objects.create(user=alice, name="backup").token_set.create(token="abcd1234")
    alice_browser = Client()
    force_verified_login(alice_browser, alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_bob.post(f"/staff/{alice.pk}/reset-two-factor/", follow=True)
    assert "sign-in was reset" in response.content.decode()

    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticDevice.objects.filter(user=alice).exists()
    assert not StaffSession.objects.filter(user=alice).exists()
    assert alice_browser.get("/").status_code == 302
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.actor == bob
    assert event.details == {"devices_removed": 2, "sessions_ended": 1}

    # The old password no longer works: whoever knew it cannot enrol a phone.
    fresh = Client()
    post_password(fresh, alice.email, PASSWORD)
    assert "_auth_user_id" not in fresh.session

    # Alice proves her email address again and sets everything up afresh.
    message = mail.outbox[-1]
    assert message.to == [alice.email]
    assert "has been reset" in message.body
    link = re.search(r"http://testserver(/account/invitation/\S+/)", message.body).group(1)
    response = fresh.post(
        link, {"new_password1": "new plum orchard 7", "new_password2": "new plum orchard 7"}
    )
    assert response["Location"] == "/account/two-factor/setup/"


def test_password_alone_never_signs_in_someone_without_an_authenticator(organisation) -> None:
    """An invitee who chose a password but never finished setting up, for example."""
    halfway = UserFactory(organisation=organisation, authenticator=False)
    client = Client()
    response = post_password(client, halfway.email, PASSWORD)
    assert response.status_code == 200
    assert "You have not finished setting up your sign-in" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_pending_invitation_does_not_count_as_another_admin(
    as_bob: Client, bob, organisation
) -> None:
    UserFactory(organisation=organisation, role=Role.ADMIN, password=None, authenticator=False)
    response = as_bob.post(f"/staff/{bob.pk}/role/", {"role": "staff"}, follow=True)
    assert "must keep at least one active admin" in response.content.decode()
    bob.refresh_from_db()
    assert bob.role == Role.ADMIN


def test_an_admin_who_can_sign_in_does_count(as_bob: Client, bob, organisation) -> None:
    UserFactory(organisation=organisation, role=Role.ADMIN)
    as_bob.post(f"/staff/{bob.pk}/role/", {"role": "staff"})
    bob.refresh_from_db()
    assert bob.role == Role.STAFF


def test_platform_operators_are_not_the_organisations_to_manage(
    as_bob: Client, organisation
) -> None:
    operator = UserFactory(organisation=organisation, role=Role.ADMIN, is_superuser=True)
    assert operator.email not in as_bob.get("/staff/").content.decode()
    assert as_bob.post(f"/staff/{operator.pk}/reset-two-factor/").status_code == 404
    assert as_bob.post(f"/staff/{operator.pk}/deactivate/").status_code == 404


def test_admin_cannot_reset_their_own_second_factor_here(as_bob: Client, bob) -> None:
    as_bob.post(f"/staff/{bob.pk}/reset-two-factor/")
    assert TOTPDevice.objects.filter(user=bob).exists()


def test_resend_only_for_people_still_setting_up(as_bob: Client, alice) -> None:
    response = as_bob.post(f"/staff/{alice.pk}/resend-invitation/", follow=True)
    assert "already set up their sign-in" in response.content.decode()
    alice.refresh_from_db()
    assert alice.has_usable_password()
