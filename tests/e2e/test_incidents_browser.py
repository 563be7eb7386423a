"""The incident log in Chromium: a therapist raises a concern, the DSL triages,
records, refers and closes it; the reporter sees only what she reported; a
director sees the count and never the case. axe checks the concern form and the
DSL's incident page."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.models import Role
from children import services as caseload
from tests.e2e.test_consent_browser import no_serious_violations
from tests.e2e.test_sign_in_browser import sign_in
from tests.factories import ChildFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WHAT_HAPPENED = "Noor showed me messages from an adult on Roblox asking her to move to Snapchat."
CHRONOLOGY_TEXT = "Spoke to Noor's mother by phone; she had not known about the messages."
TRIAGE_DECISION = "Possible grooming: refer to MASH today."
REFERRAL_REFERENCE = "MASH-48213"
REFERRAL_OUTCOME = "Strategy discussion held; police are investigating the account."
WHAT_WAS_SHARED = "The messages, the account name and what Noor told her therapist."
SHARING_REASON = "An adult is grooming Noor; the police and MASH must act today."
CLOSE_OUTCOME = "Social care and police involved; safety plan agreed with Noor and her mother."


def local_minute(hours_ago: int) -> str:
    """A datetime-local value (Europe/London) some hours in the past."""
    return f"{timezone.localtime() - dt.timedelta(hours=hours_ago):%Y-%m-%dT%H:%M}"


def signed_in(page: Page, base: str, user) -> None:
    """Sign in and wait for the home page, so the next navigation cannot cut it short."""
    sign_in(page, base, user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Alder Play Therapy")


def test_concern_raised_triaged_referred_and_closed(
    page: Page, browser: Browser, live_server, organisation, alice, dana
) -> None:
    base = live_server.url
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    today = timezone.localdate()

    # 1. The therapist raises a concern from the child's page.
    signed_in(page, base, alice)
    page.goto(f"{base}/children/{child.pk}/")
    page.get_by_role("link", name="Raise a concern about Noor Hassan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise an online-safety concern")
    no_serious_violations(page)
    expect(page.get_by_label("Noor Hassan")).to_be_checked()  # chosen from the child's page
    page.get_by_label("When it happened").fill(local_minute(3))
    page.get_by_label("When it was disclosed or discovered").fill(local_minute(2))
    page.get_by_label("Kind of risk").select_option(label="Contact: harmful contact from others")
    page.get_by_label("Type of concern").select_option(label="Online grooming")
    page.get_by_label("Platform or app").fill("Roblox")
    page.get_by_label("What happened", exact=True).fill(WHAT_HAPPENED)
    page.get_by_label("What the child said, in their own words").fill("He said I was special.")
    page.get_by_label("Risk as you see it now").select_option(label="Medium")
    page.get_by_role("button", name="Submit the concern").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Concern raised")
    reference = page.locator("[data-reference]")
    expect(reference).to_have_text(re.compile(r"^OS-\d{4}-0001$"))
    ref = reference.inner_text()
    page.get_by_role("link", name="See what you reported").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What you reported")
    detail_url = page.url
    assert re.search(r"/incidents/\d+/$", detail_url), detail_url

    # 2. The DSL, in a browser of her own, finds it and works it to a close.
    dsl = browser.new_context().new_page()
    dsl.set_default_timeout(20_000)
    signed_in(dsl, base, dana)
    dsl.get_by_role("link", name="Incidents", exact=True).click()
    expect(dsl.get_by_role("heading", level=1)).to_have_text("Incidents")
    row = dsl.locator("[data-incidents] tbody tr").filter(has_text=ref)
    expect(row).to_contain_text("Noor Hassan")
    expect(row).to_contain_text("New")
    row.get_by_role("link", name=ref).click()
    expect(dsl.get_by_role("heading", level=1)).to_contain_text(ref)
    expect(dsl.locator("[data-status]")).to_have_text("New")
    expect(dsl.get_by_text(WHAT_HAPPENED)).to_be_visible()
    no_serious_violations(dsl)

    dsl.get_by_role("link", name="Triage", exact=True).click()
    dsl.get_by_label("Risk", exact=True).select_option(label="High")
    dsl.get_by_label("Triage decision").fill(TRIAGE_DECISION)
    dsl.get_by_label("Next action", exact=True).fill("Phone the MASH")
    dsl.get_by_label("Next action due").fill(f"{today + dt.timedelta(days=2):%Y-%m-%d}")
    dsl.get_by_role("button", name="Save").click()
    expect(dsl.get_by_text("Triaged.", exact=True)).to_be_visible()
    expect(dsl.locator("[data-status]")).to_have_text("Triaged")

    dsl.get_by_role("link", name="Add to the chronology").click()
    dsl.get_by_label("Kind of entry").select_option(label="Contact with parent or carer")
    dsl.get_by_label("When it happened").fill(local_minute(1))
    dsl.get_by_label("Entry", exact=True).fill(CHRONOLOGY_TEXT)
    dsl.get_by_role("button", name="Save").click()
    expect(dsl.get_by_text("Added to the chronology.")).to_be_visible()
    expect(dsl.locator("[data-chronology]")).to_contain_text(CHRONOLOGY_TEXT)

    dsl.get_by_role("link", name="Record a referral").click()
    dsl.get_by_label("Agency", exact=True).select_option(label="Children's social care / MASH")
    dsl.get_by_label("Date referred").fill(f"{today:%Y-%m-%d}")
    dsl.get_by_label("Their reference").fill(REFERRAL_REFERENCE)
    dsl.get_by_label("Did the family consent to this referral?").select_option(label="Not sought")
    dsl.get_by_role("button", name="Save").click()
    # Saved without waiting for consent; the record of why is asked for next.
    expect(dsl.get_by_text("Referral recorded. The family did not consent")).to_be_visible()
    expect(dsl.get_by_role("heading", level=1)).to_have_text("Record a sharing decision")
    dsl.get_by_role("link", name=re.compile("^Back to ")).click()
    expect(dsl.locator("[data-status]")).to_have_text("Referred")
    prompt = dsl.locator("[data-sharing-prompt]")
    expect(prompt).to_contain_text("without asking the family's consent")
    prompt.get_by_role("link", name=re.compile("Record why this referral was made")).click()
    no_serious_violations(dsl)
    expect(dsl.get_by_label("With whom")).to_have_value("Children's social care / MASH")
    dsl.get_by_label("What was shared, or would have been").fill(WHAT_WAS_SHARED)
    dsl.get_by_label("Why consent was not sought, or what the family said").fill(
        "Noor asked us not to tell her mother until the police had spoken to her."
    )
    dsl.get_by_label("Lawful basis (UK GDPR Article 6)").select_option(
        label="Public task (UK GDPR Article 6(1)(e))"
    )
    dsl.get_by_label("The reason for your decision").fill(SHARING_REASON)
    dsl.get_by_role("button", name="Save").click()
    expect(dsl.get_by_text("Sharing decision recorded.")).to_be_visible()
    expect(dsl.locator("[data-sharing-prompt]")).to_have_count(0)
    expect(dsl.get_by_role("region", name="Information sharing decisions")).to_contain_text(
        SHARING_REASON
    )
    referrals = dsl.get_by_role("region", name="Referrals")
    expect(referrals).to_contain_text(REFERRAL_REFERENCE)
    expect(referrals).to_contain_text("Waiting")

    referrals.get_by_role(
        "link", name="Record the outcome from Children's social care / MASH"
    ).click()
    dsl.get_by_label("What the agency decided").fill(REFERRAL_OUTCOME)
    dsl.get_by_label("Date of the outcome").fill(f"{today:%Y-%m-%d}")
    dsl.get_by_role("button", name="Save").click()
    expect(dsl.get_by_text("Outcome recorded.")).to_be_visible()
    expect(dsl.get_by_role("region", name="Referrals")).to_contain_text(REFERRAL_OUTCOME)

    dsl.get_by_role("link", name="Close", exact=True).click()
    dsl.get_by_label("Outcome", exact=True).fill(CLOSE_OUTCOME)
    dsl.get_by_label("Were parents or carers informed?").select_option(label="Yes")
    dsl.get_by_role("button", name="Close the incident").click()
    expect(dsl.locator("[data-status]")).to_have_text("Closed")
    expect(dsl.get_by_role("link", name="Close", exact=True)).to_have_count(0)
    no_serious_violations(dsl)
    dsl.context.close()

    # 3. The reporter sees her report as she made it, and nothing recorded after.
    page.goto(detail_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("What you reported")
    main = page.locator("#main-content")
    expect(main).to_contain_text(ref)
    expect(main).to_contain_text(WHAT_HAPPENED)
    for later in (
        CHRONOLOGY_TEXT,
        REFERRAL_REFERENCE,
        REFERRAL_OUTCOME,
        TRIAGE_DECISION,
        CLOSE_OUTCOME,
    ):
        expect(page.locator("body")).not_to_contain_text(later)

    # 4. A director: the case is a 404, the count is there.
    director = UserFactory(organisation=organisation, role=Role.DIRECTOR, full_name="Dee Okafor")
    boss = browser.new_context().new_page()
    boss.set_default_timeout(20_000)
    signed_in(boss, base, director)
    response = boss.goto(detail_url)
    assert response is not None
    assert response.status == 404
    expect(boss.locator("body")).not_to_contain_text(WHAT_HAPPENED)
    boss.goto(f"{base}/incidents/counts/")
    expect(boss.get_by_role("heading", level=1)).to_have_text("Incident counts")
    status = boss.locator('[data-counts="status"]')
    closed = status.get_by_role("row").filter(
        has=boss.get_by_role("rowheader", name="Closed", exact=True)
    )
    expect(closed.get_by_role("cell")).to_have_text("1")
    new = status.get_by_role("row").filter(
        has=boss.get_by_role("rowheader", name="New", exact=True)
    )
    expect(new.get_by_role("cell")).to_have_text("0")
    expect(boss.locator("body")).not_to_contain_text(ref)
    boss.context.close()
