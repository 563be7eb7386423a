"""A parent agrees to a new version of the parents' code of conduct from the link
its email brings, on a 360 px phone, and sees who to tell about a worry there."""

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, expect

from children import services as caseload
from policies import reach
from policies import services as policy_services
from policies.models import Acknowledgement, ChangeKind, PolicyVersion
from tests.e2e.test_consent_browser import PHONE, fits_the_phone, no_serious_violations
from tests.factories import ChildFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def approve(draft: PolicyVersion, by) -> PolicyVersion:
    return policy_services.version_approve(
        draft=draft, by=by, approved_on=timezone.localdate(), approved_by_name="The trustees"
    )


def test_a_parent_agrees_to_a_new_code_of_conduct_on_a_phone(
    browser: Browser, live_server, settings, organisation, dana, bob
) -> None:
    settings.SITE_URL = live_server.url
    dana.phone = "01632 960 123"
    dana.save(update_fields=["phone"])
    organisation.urgent_route = "Call 01632 960 100, 9am to 5pm on weekdays."
    organisation.save(update_fields=["urgent_route"])
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    huda = caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="mother",
        parental_responsibility=True,
    ).guardian
    v1 = approve(
        policy_services.policy_create(
            organisation=organisation,
            by=bob,
            title="Code of conduct for parents and carers",
            category="conduct_parents",
            body="Be kind to staff and to other families.",
            audience_parents=True,
        ),
        bob,
    )
    Acknowledgement.objects.create(version=v1, guardian=huda)

    # A substantive change: Huda is emailed a fresh link to read it.
    mail.outbox.clear()
    draft = policy_services.draft_start(policy=v1.policy, by=bob)
    policy_services.draft_update(
        draft=draft,
        by=bob,
        body=v1.body + "\n\nDo not film or record sessions.",
        change_summary="Recording sessions",
    )
    assert draft.change_kind == ChangeKind.SUBSTANTIVE
    v2 = approve(draft, bob)
    (email,) = [m for m in mail.outbox if m.to == ["huda@example.test"]]
    assert "Code of conduct for parents and carers (v2)" in email.body
    assert "01632 960 123" in email.body  # who to tell, at the foot of the email
    link = re.search(r"(http://\S+/m/\S+/)", email.body).group(1)

    phone = browser.new_context(**PHONE).new_page()
    phone.set_default_timeout(20_000)
    phone.goto(link)
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your consents")
    # The DSL's contact and the urgent route, on the parent's own page.
    who = phone.get_by_role("region", name="Who to tell about a worry")
    expect(who).to_contain_text("Dana Douglas")
    expect(who).to_contain_text("01632 960 123")
    expect(who).to_contain_text("Call 01632 960 100")
    expect(who).to_contain_text("999")
    fits_the_phone(phone)
    no_serious_violations(phone)

    phone.get_by_role("link", name="Read the Code of conduct for parents and carers (v2)").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Code of conduct for parents and carers"
    )
    expect(phone.get_by_text("Do not film or record sessions.")).to_be_visible()
    fits_the_phone(phone)
    no_serious_violations(phone)
    phone.get_by_role(
        "button", name="I have read and agree to the Code of conduct for parents and carers"
    ).click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Your consents")
    expect(phone.get_by_text("Policies to read")).to_have_count(0)
    assert Acknowledgement.objects.filter(version=v2, guardian=huda).exists()
    assert reach.parents_not_agreed(child) == []
