"""A passkey in a real Chromium, through its virtual authenticator (DevTools
protocol): added from the security page, then used as the second factor."""

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from tests.e2e.test_sign_in_browser import assert_accessible, csp_violations, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def passkey_site(settings, live_server) -> str:
    # Browsers refuse an IP address as a passkey's site, so the live server is
    # reached as localhost, and the origin carries its port.
    base = live_server.url.replace("127.0.0.1", "localhost")
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [base]
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    return base


def add_virtual_authenticator(page: Page) -> None:
    """A platform authenticator that stores passkeys and always verifies the user,
    as Touch ID or Windows Hello would."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def test_add_a_passkey_then_sign_in_with_it(page: Page, passkey_site: str, alice) -> None:
    violations = csp_violations(page)
    add_virtual_authenticator(page)
    sign_in(page, passkey_site, alice)
    expect(page.get_by_role("heading", level=1)).to_have_text("Alder Play Therapy")

    page.goto(f"{passkey_site}/account/security/")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("has been added")).to_be_visible()
    passkey = WebAuthnCredential.objects.get(user=alice)
    expect(page.get_by_role("region", name="Your passkeys")).to_contain_text(passkey.name)
    assert AuditEvent.objects.filter(action="two_factor.passkey_added", actor=alice).count() == 1

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{passkey_site}/account/login/?next=/account/security/")
    page.get_by_label("Email address").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Use your passkey")
    assert_accessible(page)
    page.get_by_role("button", name="Use your passkey").click()

    # Signed in and verified by the passkey, not the authenticator app: the
    # staff page opens, and names the passkey as this sign-in's second factor.
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in security")
    row = page.get_by_role("region", name="Your passkeys").get_by_role("row").nth(1)
    expect(row).to_contain_text("Used for this sign-in")
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
    assert violations == []


def test_a_cancelled_passkey_leaves_the_code_one_step_away(
    page: Page, passkey_site: str, alice
) -> None:
    """No authenticator in this browser: the passkey cannot be used, and the
    authenticator app still signs the person in."""
    add_virtual_authenticator(page)
    sign_in(page, passkey_site, alice)
    page.goto(f"{passkey_site}/account/security/")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("has been added")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    other = page.context.browser.new_context().new_page()  # no virtual authenticator
    other.set_default_timeout(20_000)
    other.goto(f"{passkey_site}/account/login/")
    other.get_by_label("Email address").fill(alice.email)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Continue").click()
    other.get_by_role("button", name="Use a code from your authenticator app instead").click()
    expect(other.get_by_label("Code from your authenticator app")).to_be_focused()
