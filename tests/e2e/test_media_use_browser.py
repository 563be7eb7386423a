"""Logging a use of a child's photo in Chromium: the reason asked for beside
its field when there was no consent, then the do-not-use list; axe checks both."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from children import services as caseload
from consent import services
from consent.models import MediaUse
from tests.e2e.test_consent_browser import no_serious_violations
from tests.e2e.test_sign_in_browser import sign_in
from tests.factories import ChildFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_use_without_consent_is_logged_with_a_reason(
    page: Page, live_server, organisation, dana, alice
) -> None:
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    services.consent_types_ensure(organisation=organisation)

    sign_in(page, live_server.url, alice)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"{live_server.url}/children/{child.pk}/")
    page.get_by_role("link", name="Photos, video and name: log a use").click()
    no_serious_violations(page)
    page.get_by_label("Where it was used").select_option("social")
    page.get_by_label("What and where, exactly").fill("Open day post")
    page.get_by_role("button", name="Log the use").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    reason = page.get_by_label("Why it was used without consent")
    expect(page.locator("#id_reason_if_not_allowed-error-1")).to_contain_text(
        "no parent has given consent"
    )
    no_serious_violations(page)
    reason.fill("Posted by the events team before the form came back.")
    page.get_by_role("button", name="Log the use").click()
    expect(page.get_by_text("the DSL has been told")).to_be_visible()
    expect(page.locator("[data-media-use]")).to_contain_text("Not in force")
    assert MediaUse.objects.get().consent_allowed is False

    page.get_by_role("link", name="Do-not-use list").first.click()
    expect(page.locator(f'[data-child="{child.pk}"]')).to_contain_text("never given")
    no_serious_violations(page)
