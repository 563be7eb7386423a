"""Sign-in in a real Chromium: keyboard only, accessibility rules, and the CSP."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from accounts.tokens import invitation_path_args
from tests.auth import secret_base32, totp
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def csp_violations(page: Page) -> list[str]:
    messages: list[str] = []
    page.on(
        "console",
        lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return messages


def assert_accessible(page: Page) -> None:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    assert results.violations_count == 0, results.generate_report()


def sign_in(page: Page, base: str, user) -> None:
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(
        totp(secret_base32(user.totpdevice_set.get()))
    )
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_with_the_keyboard_alone(page: Page, live_server, alice) -> None:
    violations = csp_violations(page)
    page.goto(f"{live_server.url}/account/login/")
    assert_accessible(page)

    page.keyboard.press("Tab")
    expect(page.locator(".govuk-skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(alice.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    code = page.get_by_label("Code from your authenticator app")
    expect(code).to_be_focused()  # autofocus: straight on to the code
    assert_accessible(page)
    page.keyboard.type(totp(secret_base32(alice.totpdevice_set.get())))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Alder Play Therapy")
    # GOV.UK Frontend's module ran, so the CSP let our own script through.
    expect(page.locator("body")).to_have_class(
        "govuk-template__body js-enabled govuk-frontend-supported"
    )
    assert violations == []


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/account/",
        "/account/security/",
        "/account/security/backup-codes/",
        "/account/security/authenticators/add/",
        "/account/password/",
        "/account/confirm/",
        "/staff/",
        "/staff/invite/",
        "/notices/",
        "/children/",
        "/children/new/",
        "/children/import/",
        "/staff/compliance/",
        "/policies/",
        "/policies/new/",
        "/policies/import/",
        "/consent/types/",
    ],
)
def test_staff_pages_meet_wcag_aa(page: Page, live_server, bob, path: str) -> None:
    sign_in(page, live_server.url, bob)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"{live_server.url}{path}")
    assert_accessible(page)


def test_error_summary_links_to_the_field(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    # GOV.UK Frontend moves focus to the summary so screen readers announce it.
    expect(summary).to_be_focused()
    assert_accessible(page)
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Email address")).to_be_focused()


def test_invitation_to_enrolment_is_accessible_and_the_qr_code_loads(
    page: Page, live_server, organisation
):
    newcomer = UserFactory(organisation=organisation, password=None, authenticator=False)
    uidb64, token = invitation_path_args(newcomer)
    page.goto(f"{live_server.url}/account/invitation/{uidb64}/{token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill("plum orchard lantern 42")
    page.get_by_label("New password confirmation").fill("plum orchard lantern 42")
    page.get_by_role("button", name="Save password and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    qr = page.get_by_role("img", name="QR code for setting up Safeguard")
    expect(qr).to_be_visible()
    image = page.request.get(f"{live_server.url}{qr.get_attribute('src')}")
    assert image.status == 200
    assert image.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in image.text()
    assert_accessible(page)

    page.get_by_text("I cannot scan the QR code").click()
    secret = "".join(page.locator("#secret").inner_text().split())
    page.get_by_label("Code from your authenticator app").fill(totp(secret))
    page.get_by_role("button", name="Finish setting up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Backup codes")
    # The codes are made at once; going on needs the tick that they were saved.
    expect(
        page.get_by_role("list", name="Your backup codes").get_by_role("listitem")
    ).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("I have saved my backup codes somewhere safe, away from my phone").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Backup codes")


def test_child_record_is_accessible(page: Page, live_server, dana, organisation) -> None:
    from children import services as caseload
    from tests.factories import ChildFactory

    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="mother",
        parental_responsibility=True,
    )
    sign_in(page, live_server.url, dana)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for suffix in ("", "edit/", "guardians/add/", "allocate/"):
        path = f"/children/{child.pk}/{suffix}"
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)


def test_policy_pages_are_accessible(page: Page, live_server, bob, organisation) -> None:
    from policies import services

    draft = services.policy_create(
        organisation=organisation,
        by=bob,
        title="Online Safety Policy",
        category="online_safety",
        body="# Purpose\n\nWe keep children safe.\n\n- One\n- Two",
        audience_roles=["admin"],
    )
    sign_in(page, live_server.url, bob)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for path in (
        f"/policies/{draft.policy_id}/",
        f"/policies/versions/{draft.pk}/approve/",
        f"/policies/versions/{draft.pk}/edit/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)
    page.goto(f"{live_server.url}/policies/versions/{draft.pk}/approve/")
    page.get_by_label("Approved by").fill("Helen Marsh")
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_role("button", name="I have read and understood v1")).to_be_visible()
    assert_accessible(page)
    # A second version: its draft, what changed at approval, the comparison, the details.
    second = services.draft_start(policy=draft.policy, by=bob)
    services.draft_update(
        draft=second, by=bob, body="# Purpose\n\nWe keep children safe online.", change_summary=""
    )
    for path in (
        f"/policies/versions/{second.pk}/edit/",
        f"/policies/versions/{second.pk}/approve/",
        f"/policies/{draft.policy_id}/compare/?from={draft.pk}&to={second.pk}",
        f"/policies/{draft.policy_id}/details/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)
