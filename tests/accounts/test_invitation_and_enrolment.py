"""From an admin's invitation to a member of staff with an authenticator and backup codes."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.tokens import InvitationTokenGenerator, invitation_path_args
from audit.models import AuditEvent
from tests.auth import force_verified_login, post_code, post_password, totp

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum orchard lantern 42"


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Post the invitation form as an admin; the email goes out when the commit does."""

    def post(client: Client, admin: User, email: str = "erin@alder.test", role: str = "staff"):
        force_verified_login(client, admin)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/staff/invite/", {"full_name": "Erin Evans", "email": email, "role": role}
            )

    return post


def invitation_link() -> str:
    body = mail.outbox[-1].body
    return re.search(r"http://testserver(/account/invitation/\S+/)", body).group(1)


@pytest.fixture
def site_url(settings) -> None:
    settings.SITE_URL = "http://testserver"


def test_admin_invites_and_the_email_carries_a_link(client: Client, bob, site_url, invite) -> None:
    response = invite(client, bob)
    erin = User.objects.get(email="erin@alder.test")
    assert response.status_code == 302
    assert erin.organisation == bob.organisation
    assert erin.invited_by == bob
    assert not erin.has_usable_password()
    message = mail.outbox[-1]
    assert message.to == ["erin@alder.test"]
    assert "Bob Bennett has invited you to Safeguard" in message.body
    assert "Alder Play Therapy" in message.subject
    assert "expires in 72 hours" in message.body
    html = message.alternatives[0][0]
    assert invitation_link() in html
    assert AuditEvent.objects.filter(action="staff.invited", actor=bob).count() == 1


def test_invite_refuses_an_email_already_in_use_beside_the_form(
    client: Client, bob, alice, site_url, invite
) -> None:
    response = invite(client, bob, email="ALICE@alder.test")
    assert response.status_code == 200
    assert "This email address cannot be invited." in response.content.decode()
    assert User.objects.filter(email="alice@alder.test").count() == 1
    assert mail.outbox == []


def test_whole_onboarding_journey(client: Client, bob, site_url, invite) -> None:
    invite(client, bob)
    link = invitation_link()
    newcomer = Client()

    # GET shows the form and changes nothing (mail scanners follow links).
    assert newcomer.get(link).status_code == 200
    assert newcomer.get(link).status_code == 200

    short = newcomer.post(link, {"new_password1": "short", "new_password2": "short"})
    assert "This password is too short" in short.content.decode()

    response = newcomer.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == "/account/two-factor/setup/"
    # Nothing else is reachable until an authenticator is set up.
    assert newcomer.get("/")["Location"] == "/account/two-factor/setup/"

    setup = newcomer.get("/account/two-factor/setup/")
    secret = "".join(
        re.search(r'id="secret">([A-Z2-7 ]+)<', setup.content.decode()).group(1).split()
    )
    qr = newcomer.get("/account/two-factor/qr/")
    assert qr["Content-Type"].startswith("image/svg+xml")

    wrong = newcomer.post("/account/two-factor/setup/", {"token": "000000"})
    assert "That code is not right" in wrong.content.decode()

    key_before = newcomer.session.session_key
    done = newcomer.post("/account/two-factor/setup/", {"token": totp(secret)})
    assert done["Location"] == "/account/security/backup-codes/"
    assert newcomer.session.session_key != key_before
    # The backup codes are made at once, and nothing else opens until the
    # newcomer ticks that they have saved them.
    assert newcomer.get("/")["Location"] == "/account/security/backup-codes/"
    codes_page = newcomer.get("/account/security/backup-codes/")
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", codes_page.content.decode())
    assert len(codes) == 10
    unticked = newcomer.post("/account/security/backup-codes/", {"action": "saved"})
    assert unticked.status_code == 200
    assert "Tick to confirm you have saved your backup codes" in unticked.content.decode()
    assert all(code in unticked.content.decode() for code in codes)
    assert newcomer.get("/children/")["Location"] == "/account/security/backup-codes/"
    ticked = newcomer.post("/account/security/backup-codes/", {"action": "saved", "saved": "on"})
    assert ticked["Location"] == "/"
    assert newcomer.get("/").status_code == 200
    again = newcomer.get("/account/security/backup-codes/").content.decode()
    assert not any(code in again for code in codes), "backup codes shown a second time"

    erin = User.objects.get(email="erin@alder.test")
    assert TOTPDevice.objects.filter(user=erin, confirmed=True).count() == 1
    actions = set(AuditEvent.objects.filter(actor=erin).values_list("action", flat=True))
    assert {
        "staff.invitation_accepted",
        "two_factor.enrolled",
        "two_factor.backup_codes_generated",
        "two_factor.backup_codes_saved",
    } <= actions

    # The invitation link is single use.
    used = Client().get(link)
    assert used.status_code == 404
    assert "This invitation link does not work" in used.content.decode()

    # A backup code signs in once, and only once.
    fresh = Client()
    post_password(fresh, erin.email, NEW_PASSWORD)
    fresh.post(
        "/account/login/", {"sign_in_view-current_step": "token", "wizard_goto_step": "backup"}
    )
    assert post_code(fresh, codes[0], step="backup").status_code == 302
    assert fresh.get("/").status_code == 200
    reuse = Client()
    post_password(reuse, erin.email, NEW_PASSWORD)
    reuse.post(
        "/account/login/", {"sign_in_view-current_step": "token", "wizard_goto_step": "backup"}
    )
    assert post_code(reuse, codes[0], step="backup").status_code == 200
    assert reuse.get("/").status_code == 302


def test_invitation_link_expires_after_72_hours(client: Client, bob, site_url, invite) -> None:
    invite(client, bob)
    erin = User.objects.get(email="erin@alder.test")
    old = InvitationTokenGenerator()
    old._now = lambda: dt.datetime.now() - dt.timedelta(hours=72, minutes=1)
    uidb64, _ = invitation_path_args(erin)
    expired = f"/account/invitation/{uidb64}/{old.make_token(erin)}/"
    assert Client().get(expired).status_code == 404
    old._now = lambda: dt.datetime.now() - dt.timedelta(hours=71)
    assert Client().get(f"/account/invitation/{uidb64}/{old.make_token(erin)}/").status_code == 200


def test_deactivating_an_invited_person_kills_their_link(
    client: Client, bob, site_url, invite
) -> None:
    invite(client, bob)
    link = invitation_link()
    erin = User.objects.get(email="erin@alder.test")
    client.post(f"/staff/{erin.pk}/deactivate/")
    assert Client().get(link).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/account/invitation/MQ/garbage/",
        "/account/invitation/!!/x/",
        "/account/invitation/OTk5OTk5/a-b/",
    ],
)
def test_tampered_links_are_a_clear_404(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 404
    assert "This invitation link does not work" in response.content.decode()


def test_enrolled_user_cannot_enrol_again_without_verifying(client: Client, alice) -> None:
    """A stolen password must not be enough to add an attacker's authenticator."""
    client.force_login(alice)  # password only
    response = client.get("/account/two-factor/setup/")
    assert response["Location"] == "/account/security/authenticators/add/"
    follow = client.get(response["Location"])
    assert follow["Location"].startswith("/account/login/")
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_invitations_keep_their_own_clock(client: Client, bob, site_url, invite, settings):
    """Shortening password-reset links must not shorten (or lengthen) invitations."""
    invite(client, bob)
    settings.PASSWORD_RESET_TIMEOUT = 60
    erin = User.objects.get(email="erin@alder.test")
    two_hours_ago = InvitationTokenGenerator()
    two_hours_ago._now = lambda: dt.datetime.now() - dt.timedelta(hours=2)
    uidb64, _ = invitation_path_args(erin)
    link = f"/account/invitation/{uidb64}/{two_hours_ago.make_token(erin)}/"
    assert Client().get(link).status_code == 200


def test_a_new_invitation_kills_the_old_link(client: Client, bob, site_url, invite) -> None:
    invite(client, bob)
    old_link = invitation_link()
    erin = User.objects.get(email="erin@alder.test")
    client.post(f"/staff/{erin.pk}/resend-invitation/")
    assert Client().get(old_link).status_code == 404


def test_new_backup_codes_replace_the_old_ones(client: Client, alice) -> None:
    force_verified_login(client, alice)
    first = re.findall(
        r"<li>([a-z0-9]{8})</li>",
        client.post("/account/security/backup-codes/", follow=True).content.decode(),
    )
    second = re.findall(
        r"<li>([a-z0-9]{8})</li>",
        client.post("/account/security/backup-codes/", follow=True).content.decode(),
    )
    assert len(first) == len(second) == 10
    assert not set(first) & set(second)
    assert sorted(alice.staticdevice_set.get().token_set.values_list("token", flat=True)) == sorted(
        second
    )


def test_inviting_someone_from_another_organisation_looks_like_any_invitation(
    client: Client, bob, charlie, site_url, invite
) -> None:
    """Before, the form refused an address with an account elsewhere, so an admin
    could learn who works at other organisations. Now the admin sees exactly what a
    fresh invitation shows; no account is made, and only the address is told."""
    elsewhere = invite(Client(), bob, email="Charlie@Birch.test")
    elsewhere_messages = [str(m) for m in get_messages(elsewhere.wsgi_request)]
    fresh = invite(Client(), bob, email="Newcomer@Alder.test")
    fresh_messages = [str(m) for m in get_messages(fresh.wsgi_request)]

    assert elsewhere.status_code == fresh.status_code == 302
    assert elsewhere["Location"] == fresh["Location"] == "/staff/"
    assert elsewhere.content == fresh.content
    assert elsewhere_messages == ["Invitation to charlie@birch.test queued to be emailed."]
    assert fresh_messages == ["Invitation to newcomer@alder.test queued to be emailed."]

    # No second account, and Charlie's own is untouched.
    assert list(User.objects.filter(email__iexact="charlie@birch.test")) == [charlie]
    charlie.refresh_from_db()
    assert charlie.organisation.slug == "birch"
    assert charlie.has_usable_password()
    # Charlie is told, with no link to set anything up.
    (to_charlie,) = [m for m in mail.outbox if m.to == ["charlie@birch.test"]]
    assert "Bob Bennett at Alder Play Therapy tried to invite this email address" in (
        to_charlie.body
    )
    assert "/account/invitation/" not in to_charlie.body
    # Recorded in Birch's log, where it concerns Birch's account; nothing in Alder's names it.
    event = AuditEvent.objects.get(action="staff.invited_while_member_elsewhere")
    assert (event.organisation, event.actor, event.object_id) == (
        charlie.organisation,
        bob,
        str(charlie.pk),
    )
    alder_events = AuditEvent.objects.filter(organisation=bob.organisation)
    assert not [e for e in alder_events if "charlie" in str(e.details).lower()]
    force_verified_login(client, bob)
    assert "charlie@birch.test" not in client.get("/staff/").content.decode()
