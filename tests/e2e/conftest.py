import pytest
from playwright.sync_api import expect


@pytest.fixture(autouse=True)
def patient_browser(page) -> None:
    """CI runs two test processes beside Chromium on two cores: give pages and
    assertions time to settle rather than fail on a slow moment."""
    page.set_default_timeout(20_000)
    expect.set_options(timeout=15_000)
