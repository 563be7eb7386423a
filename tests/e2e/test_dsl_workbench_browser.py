"""The DSL's workbench in Chromium (issue 19): the DSL triages the high-risk concern
from the top of the list, records a decision to share without consent, and
transfers a child's file; the receiving organisation confirms receipt and its DSL
imports the file."""

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from accounts.models import Role
from children import services as caseload
from incidents import services
from tests.e2e.test_consent_browser import no_serious_violations
from tests.e2e.test_sign_in_browser import sign_in
from tests.factories import ChildFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GROOMING = "An adult on Roblox asked Noor for photos and to keep it secret."
TRIAGE_DECISION = "Grooming: refer to the police today."
WHAT_WAS_SHARED = "The messages, the account name and what Noor told her therapist."
WHY_NO_CONSENT = "Asking her mother first could tip off the adult, who is a family friend."
SHARING_REASON = "An adult is grooming Noor; the police must act today."
RECIPIENT_EMAIL = "sam.senior@oak.test"


def signed_in(page: Page, base: str, user, organisation_name: str) -> None:
    """Sign in and wait for the home page, so the next navigation cannot cut it short."""
    page.set_default_timeout(20_000)
    sign_in(page, base, user)
    expect(page.get_by_role("heading", level=1)).to_have_text(organisation_name)


def test_dsl_triages_shares_without_consent_and_transfers_the_file(
    page: Page,
    browser: Browser,
    live_server,
    settings,
    organisation,
    other_organisation,
    alice,
    dana,
) -> None:
    settings.SITE_URL = live_server.url
    base = live_server.url
    now = timezone.now()
    today = timezone.localdate()
    noor = ChildFactory(
        organisation=organisation,
        first_name="Noor",
        last_name="Hassan",
        date_of_birth=dt.date(2014, 5, 17),
    )
    sami = ChildFactory(organisation=organisation, first_name="Sami", last_name="Ali")
    for child in (noor, sami):
        caseload.allocation_start(child=child, staff=alice, starts_on=today, by=dana)

    # 1. Three concerns. The high-risk grooming one is reported first, so a list
    # ordered newest first would show it last.
    grooming = services.incident_raise(
        reporter=alice,
        children=[noor],
        occurred_at=now - dt.timedelta(hours=5),
        disclosed_at=now - dt.timedelta(hours=4),
        category="contact",
        incident_type="grooming",
        platform="Roblox",
        what_happened=GROOMING,
        initial_risk="high",
    )
    services.incident_raise(
        reporter=alice,
        children=[sami],
        occurred_at=now - dt.timedelta(hours=3),
        disclosed_at=now - dt.timedelta(hours=3),
        category="content",
        incident_type="harmful_content",
        what_happened="Sami saw a violent clip a friend shared.",
        initial_risk="low",
    )
    overdue = services.incident_raise(
        reporter=alice,
        children=[sami],
        occurred_at=now - dt.timedelta(hours=2),
        disclosed_at=now - dt.timedelta(hours=2),
        category="conduct",
        incident_type="cyberbullying",
        what_happened="Classmates post about Sami in a group chat.",
        initial_risk="medium",
    )
    services.incident_triage(
        incident=overdue,
        by=dana,
        decision="Speak to the school.",
        risk="medium",
        next_action="Phone the school",
        next_action_due=today - dt.timedelta(days=3),
    )

    # The DSL opens Incidents: the high-risk concern is the first row.
    signed_in(page, base, dana, "Alder Play Therapy")
    page.get_by_role("link", name="Incidents", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")
    rows = page.get_by_role("region", name="Incidents").locator("tbody").get_by_role("row")
    expect(rows).to_have_count(3)
    first = rows.first
    expect(first).to_contain_text(grooming.reference)
    expect(first).to_contain_text("Noor Hassan")
    expect(first).to_contain_text("Online grooming")
    expect(first).to_contain_text("Not yet triaged")
    expect(rows.nth(2)).to_contain_text(overdue.reference)
    expect(rows.nth(2)).to_contain_text("Overdue")
    first.get_by_role("link", name=grooming.reference).click()

    # The concern as reported comes first on the page, before the chronology.
    expect(page.get_by_role("heading", level=1)).to_contain_text(grooming.reference)
    sections = page.locator("#main-content").get_by_role("heading", level=2)
    headings = sections.all_inner_texts()
    assert headings[0] == "The concern as reported", headings
    assert headings.index("The concern as reported") < headings.index("Chronology"), headings
    expect(page.get_by_text(GROOMING)).to_be_visible()
    expect(page.get_by_text("Not yet triaged")).to_be_visible()

    page.get_by_role("link", name="Triage", exact=True).click()
    page.get_by_label("Risk", exact=True).select_option(label="High")
    page.get_by_label("Triage decision").fill(TRIAGE_DECISION)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Triaged.", exact=True)).to_be_visible()
    expect(page.locator("[data-status]")).to_have_text("Triaged")
    expect(page.get_by_text("Not yet triaged")).to_have_count(0)

    # 2. A referral to the police without the family's consent leads straight to
    # the sharing decision, prefilled.
    page.get_by_role("link", name="Record a referral").click()
    page.get_by_label("Agency", exact=True).select_option(label="Police")
    page.get_by_label("Date referred").fill(f"{today:%Y-%m-%d}")
    page.get_by_label("Did the family consent to this referral?").select_option(label="Not sought")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Referral recorded. The family did not consent")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a sharing decision")
    no_serious_violations(page)
    expect(page.get_by_label("Your decision", exact=True)).to_have_value("share")
    expect(page.get_by_label("With whom")).to_have_value("Police")
    page.get_by_label("What was shared, or would have been").fill(WHAT_WAS_SHARED)
    page.get_by_label("Why consent was not sought, or what the family said").fill(WHY_NO_CONSENT)
    page.get_by_label("Lawful basis (UK GDPR Article 6)").select_option(
        label="Public task (UK GDPR Article 6(1)(e))"
    )
    page.get_by_label("The reason for your decision").fill(SHARING_REASON)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Sharing decision recorded.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(grooming.reference)
    decisions = page.get_by_role("region", name="Information sharing decisions")
    expect(decisions).to_contain_text(SHARING_REASON)
    expect(decisions).to_contain_text("Police")
    expect(page.locator("[data-sharing-prompt]")).to_have_count(0)
    expect(page.get_by_text(re.compile("without asking the family's consent"))).to_have_count(0)

    # 3. Noor leaves: her file goes to her new school from her page.
    page.goto(f"{base}/children/{noor.pk}/")
    page.get_by_role("link", name="Send the child protection file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send the child protection file")
    page.get_by_label("The day the child left").fill(f"{today:%Y-%m-%d}")
    page.get_by_label("Recipient's name").fill("Sam Senior")
    page.get_by_label("Their role").fill("Designated Safeguarding Lead")
    page.get_by_label("Their school or service").fill("Oak Academy")
    page.get_by_label("Their email address").fill(RECIPIENT_EMAIL)
    page.get_by_label("How the passphrase will reach them").select_option(label="A phone call")
    mail.outbox.clear()
    page.get_by_role("button", name="Send the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Child protection file sent")
    passphrase = page.locator("#passphrase").inner_text().strip()
    assert len(passphrase) >= 12, passphrase
    page.get_by_role("link", name="Follow this transfer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Child protection file to Oak Academy"
    )
    transfer_url = page.url
    expect(page.locator("#main-content")).to_contain_text("Sent, not yet collected")

    [email] = [m for m in mail.outbox if m.to == [RECIPIENT_EMAIL]]
    for secret in ("Noor", "Hassan"):
        assert secret not in email.subject, email.subject
    assert passphrase not in email.body
    assert passphrase.replace("-", "") not in email.body.replace("-", "")
    link = re.search(r"(http://\S+/file/\S+/)", email.body).group(1)

    # 4. The receiver, with no account, collects the file and confirms receipt.
    receiver = browser.new_context(accept_downloads=True).new_page()
    receiver.set_default_timeout(20_000)
    receiver.goto(link)
    expect(receiver.get_by_role("heading", level=1)).to_have_text(
        "A child protection file for Sam Senior"
    )
    expect(receiver).to_have_url(f"{base}/incidents/file/")  # no token in the address bar
    with receiver.expect_download() as download_info:
        receiver.get_by_role("button", name="Download the file").click()
    path = download_info.value.path()
    assert path is not None
    content = path.read_bytes()
    assert content.startswith(b"%PDF-")
    locked = PdfReader(io.BytesIO(content))
    assert locked.is_encrypted
    with pytest.raises(PdfReadError):
        locked.pages[0].extract_text()
    opened = PdfReader(io.BytesIO(content))
    assert opened.decrypt(passphrase) != 0
    assert "Noor" in "".join(p.extract_text() for p in opened.pages)

    receiver.reload()
    expect(receiver.get_by_text(re.compile("The file was downloaded on"))).to_be_visible()
    receiver.get_by_label("Your name").fill("Sam Senior")
    receiver.get_by_label("Your role").fill("Designated Safeguarding Lead")
    receiver.get_by_label("Your school or service").fill("Oak Academy")
    receiver.get_by_role("button", name="Confirm receipt").click()
    expect(receiver.get_by_text("Thank you: receipt confirmed.")).to_be_visible()
    confirmed = receiver.get_by_text(re.compile("Receipt was confirmed on .* by Sam Senior"))
    expect(confirmed).to_be_visible()
    receiver.context.close()

    # The DSL, still on the transfer's page, reloads it: received. So says Noor's chronology.
    assert page.url == transfer_url
    page.reload()
    expect(page.locator("#main-content")).to_contain_text("Receipt confirmed:")
    expect(page.locator("#main-content")).to_contain_text(
        "by Sam Senior (Designated Safeguarding Lead), Oak Academy"
    )
    page.goto(f"{base}/children/{noor.pk}/")
    page.get_by_role("link", name="Noor Hassan's chronology").click()
    expect(page.locator("#main-content")).to_contain_text("Receipt confirmed")
    expect(page.locator("#main-content")).to_contain_text("Receipt confirmed by Sam Senior")

    # 5. The receiving organisation's DSL imports the file with the passphrase.
    birch_dsl = UserFactory(
        organisation=other_organisation,
        role=Role.DSL,
        full_name="Bea Birch",
        email="bea@birch.test",
    )
    birch = browser.new_context().new_page()
    signed_in(birch, base, birch_dsl, "Birch Music Therapy")
    birch.goto(f"{base}/incidents/transfers/")
    birch.get_by_role("link", name="Import a file another setting sent you").click()
    expect(birch.get_by_role("heading", level=1)).to_have_text("Import a child protection file")
    birch.get_by_label("The child protection file (PDF)").set_input_files(
        files=[{"name": "file.pdf", "mimeType": "application/pdf", "buffer": content}]
    )
    birch.get_by_label("Passphrase").fill(passphrase)
    birch.get_by_role("button", name="Import the file").click()
    expect(
        birch.get_by_text("Child protection file received from Alder Play Therapy.")
    ).to_be_visible()
    expect(birch.get_by_role("heading", level=1)).to_contain_text("Noor Hassan")
    received = birch.get_by_role(
        "heading", name=re.compile("^Child protection file received from Alder Play Therapy on")
    )
    expect(received).to_be_visible()
    birch.get_by_text(re.compile(r"^Their chronology \(\d+ entries")).click()
    expect(birch.get_by_text(re.compile(re.escape(TRIAGE_DECISION))).first).to_be_visible()
    expect(birch.get_by_text(re.compile(re.escape(SHARING_REASON))).first).to_be_visible()
    assert f"/children/{noor.pk}/" not in birch.url  # a new child of Birch's own
    birch.context.close()
