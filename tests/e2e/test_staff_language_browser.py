"""A member of staff switches the portal to Welsh and back in a real Chromium."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_sign_in_browser import assert_accessible, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_choosing_cymraeg_then_english_on_your_account(page: Page, live_server, alice) -> None:
    sign_in(page, live_server.url, alice)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"{live_server.url}/account/")
    assert_accessible(page)

    page.get_by_label("Cymraeg").check()
    page.get_by_role("button", name="Change language").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eich cyfrif")
    nav = page.get_by_role("navigation", name="Prif ddewislen")
    expect(nav.get_by_role("link", name="Hafan")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    assert_accessible(page)

    page.get_by_label("English").check()
    page.get_by_role("button", name="Newid iaith").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Home")
    ).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
