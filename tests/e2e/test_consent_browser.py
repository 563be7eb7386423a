"""The consent journey in Chromium: staff ask, a parent answers on a small phone,
then withdraws one item; staff see each change. axe checks the parent's pages."""

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from children import services as caseload
from consent import services
from tests.e2e.test_sign_in_browser import WCAG_AA, sign_in
from tests.factories import ChildFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def no_serious_violations(page: Page) -> None:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    serious = [
        v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}
    ]
    assert serious == [], results.generate_report()


def test_ask_answer_withdraw(
    page: Page, browser: Browser, live_server, settings, organisation, dana, alice
) -> None:
    settings.SITE_URL = live_server.url
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
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    services.consent_types_ensure(organisation=organisation)

    # Staff send the request from the child's page.
    sign_in(page, live_server.url, alice)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"{live_server.url}/children/{child.pk}/")
    page.get_by_role("link", name="Ask parents for consent").click()
    page.get_by_label("Huda Hassan").check()
    # The organisation's usual set starts ticked: the therapist asks for two only.
    expect(page.get_by_label("Online sessions and video calls")).to_be_checked()
    expect(page.get_by_label("Photos online and on social media")).not_to_be_checked()
    for usual in ("Chat and messaging apps", "Voice messages", "Direct contact with your child"):
        page.get_by_label(usual).uncheck()
    page.get_by_label("Photos online and on social media").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Consent request queued")).to_be_visible()
    # Sent after the commit, before the redirect's page was drawn: it says so.
    expect(page.get_by_text("Email sent")).to_be_visible()

    # The parent opens the link from the email on a small phone.
    link = re.search(r"(http://\S+/c/\S+/)", mail.outbox[-1].body).group(1)
    phone = browser.new_context(**PHONE).new_page()
    phone.set_default_timeout(20_000)
    phone.goto(link)
    expect(phone).to_have_url(f"{live_server.url}/consent/sign/")  # no token in the address bar
    expect(phone.get_by_role("heading", level=1)).to_have_text("Consent for Noor Hassan")
    no_serious_violations(phone)
    phone.get_by_role("group", name="Online sessions and video calls").get_by_label(
        "Yes, I agree"
    ).check()
    phone.get_by_role("group", name="Photos online and on social media").get_by_label(
        "Yes, I agree"
    ).check()
    phone.get_by_label("Your full name").fill("Huda Hassan")
    phone.get_by_label("Your relationship to the child").fill("mother")
    phone.get_by_label("I have parental responsibility for this child").check()
    # The optional drawn signature: visible once our script runs, and what is drawn
    # is sent with the answers.
    canvas = phone.get_by_role("img", name="Optional drawn signature")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    phone.mouse.move(box["x"] + 20, box["y"] + 40)
    phone.mouse.down()
    phone.mouse.move(box["x"] + 120, box["y"] + 90, steps=8)
    phone.mouse.move(box["x"] + 200, box["y"] + 50, steps=8)
    phone.mouse.up()
    assert (
        phone.locator("[data-signature-field]").input_value().startswith("data:image/png;base64,")
    )
    phone.get_by_role("button", name="Continue").click()
    # Check your answers: nothing is recorded until it is confirmed.
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending them"
    )
    expect(phone.get_by_role("img", name="Your drawn signature")).to_be_visible()
    no_serious_violations(phone)
    phone.get_by_role("button", name="Confirm and send").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your answers are saved")
    no_serious_violations(phone)

    from consent.models import ConsentRecord

    assert ConsentRecord.objects.filter(signature_png__startswith="data:image/png").count() == 2

    # Staff see the new state.
    page.goto(f"{live_server.url}/children/{child.pk}/")
    expect(page.locator('[data-consent="photos_online"]')).to_contain_text("Granted until")

    # The parent withdraws one item through the manage link in the receipt email.
    manage = re.search(r"(http://\S+/m/\S+/)", mail.outbox[-1].body).group(1)
    phone.goto(manage)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your consents")
    no_serious_violations(phone)
    phone.get_by_role("link", name="Withdraw Photos online and on social media for Noor").click()
    no_serious_violations(phone)
    phone.get_by_role("button", name="Withdraw consent").click()
    expect(phone.get_by_text("Withdrawn: Photos online and on social media")).to_be_visible()

    page.goto(f"{live_server.url}/children/{child.pk}/")
    expect(page.locator('[data-consent="photos_online"]')).to_contain_text("Withdrawn")
    expect(page.locator('[data-consent="online_sessions"]')).to_contain_text("Granted until")
    expect(
        page.get_by_text("Remove Photos online and on social media of Noor Hassan")
    ).to_be_visible()


def fits_the_phone(page: Page) -> None:
    """Nothing wider than the 360 px screen: no sideways scrolling to read or press."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


def test_manage_link_pages_on_a_phone(
    browser: Browser, live_server, settings, organisation, dana, alice
) -> None:
    """Continue from a manage link, an expired link, and too many tries: each on a
    360 px phone, readable without sideways scrolling and without axe violations."""
    from consent.models import ConsentType, GuardianAccess

    settings.SITE_URL = live_server.url
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    guardian = caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="mother",
        parental_responsibility=True,
    ).guardian
    services.consent_types_ensure(organisation=organisation)
    photos = ConsentType.objects.get(organisation=organisation, code="photos_online")
    (request,) = services.consent_request_send(
        child=child, guardians=[guardian], consent_types=[photos], by=alice
    )
    # Sending the email makes the link (outbox): the request now holds its hash.
    request.refresh_from_db()
    signed = services.consent_sign(
        token_digest=request.token_sha256,
        answers={version.pk: "granted" for version in request.items.all()},
        typed_name="Huda Hassan",
        relationship="mother",
        signature_png="",
    )
    link = f"{live_server.url}/m/{signed.manage_token}/"

    phone = browser.new_context(**PHONE).new_page()
    phone.set_default_timeout(20_000)
    phone.goto(link)
    expect(phone).to_have_url(f"{live_server.url}/consent/manage/continue/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("See your consents")
    fits_the_phone(phone)
    no_serious_violations(phone)
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your consents")
    fits_the_phone(phone)

    # Unused for longer than the idle period: the link says so and offers a new one.
    long_ago = timezone.now() - dt.timedelta(days=settings.CONSENT_MANAGE_LINK_IDLE_DAYS + 1)
    GuardianAccess.objects.update(created_at=long_ago, last_used_at=long_ago)
    expired = browser.new_context(**PHONE).new_page()
    expired.goto(link)
    expect(expired.get_by_role("heading", level=1)).to_have_text("This link has expired")
    fits_the_phone(expired)
    no_serious_violations(expired)
    expired.get_by_label("Your email address").fill("huda@example.test")
    expired.get_by_role("button", name="Email me a new link").click()
    expect(expired.get_by_role("heading", level=1)).to_have_text("Check your email")

    # Too many guesses from one connection.
    settings.CONSENT_LINK_GUESS_RATE = "1/h"
    guesser = browser.new_context(**PHONE).new_page()
    guesser.goto(f"{live_server.url}/m/not-a-real-link/")
    response = guesser.goto(f"{live_server.url}/m/still-not-real/")
    assert response is not None
    assert response.status == 429
    expect(guesser.get_by_role("heading", level=1)).to_have_text("Too many tries")
    fits_the_phone(guesser)
    no_serious_violations(guesser)
