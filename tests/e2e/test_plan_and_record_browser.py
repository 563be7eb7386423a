"""Ask before, record always, in Chromium: a therapist plans a video session
for a child without consent and sees every reason at once; records the verbal
consent a parent gives on the phone; plans again and gets "yes"; logs the
session, held without the second member of staff, and sees it saved and
flagged; the DSL sees the breach on the dashboard and in the chronology."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.models import Role
from children import services as caseload
from consent import services as consent_services
from consent.models import ConsentRecord
from practice import services as practice
from practice.models import ContactLog, PlannedSession, PracticeSettings
from tests.e2e.test_consent_browser import no_serious_violations
from tests.e2e.test_incidents_browser import signed_in
from tests.factories import ChildFactory, UserFactory, cleared_for_online_work

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_plan_refused_consent_taken_plan_allowed_session_logged_and_seen_by_the_dsl(
    page: Page, browser: Browser, live_server, organisation, alice, bob, dana
) -> None:
    base = live_server.url
    child = ChildFactory(organisation=organisation, first_name="Theo", last_name="Evans")
    caseload.allocation_start(
        child=child, staff=alice, by=dana, starts_on=timezone.localdate() - dt.timedelta(days=30)
    )
    caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Rhian Evans",
        email="rhian@example.test",
        phone="",
        preferred_contact="email",
        relationship="mother",
        parental_responsibility=True,
    )
    consent_services.consent_types_ensure(organisation=organisation)
    cal = UserFactory(organisation=organisation, role=Role.STAFF, full_name="Cal Colleague")
    for member in (alice, cal):
        cleared_for_online_work(member, by=bob)
    video = practice.platform_add(
        organisation=organisation, name="Licensed video account", kind="video", by=bob
    )
    practice.platform_assess(
        platform=video,
        by=dana,
        summary="Waiting room, single-use links, recording off.",
        assessed_on=timezone.localdate() - dt.timedelta(days=5),
    )
    practice.platform_approval_set(platform=video, approved=True, by=bob)
    # The session is planned and held in the next few minutes, whatever the hour CI
    # runs at: the service works any hour, so working hours are not this test's rule.
    PracticeSettings.objects.create(organisation=organisation, flag_out_of_hours=False)
    soon = (timezone.localtime() + dt.timedelta(minutes=3)).replace(second=0, microsecond=0)
    when = f"{soon:%Y-%m-%dT%H:%M}"

    def plan(*, second_staff: str) -> None:
        page.goto(f"{base}/children/{child.pk}/")
        page.get_by_role("link", name="Plan a session with Theo Evans").first.click()
        page.get_by_label("When", exact=True).fill(when)
        page.get_by_label("Kind of session or contact").select_option(label="Video session")
        page.get_by_label("Purpose").fill("Weekly music therapy session")
        page.get_by_label("Platform", exact=True).select_option(label="Licensed video account")
        page.get_by_label("Second member of staff").select_option(label=second_staff)

    signed_in(page, base, alice)

    # 1. No consent yet, no second member of staff, no parent named: every reason
    #    at once, consent first, and nothing saved by asking.
    plan(second_staff="---------")
    page.get_by_role("button", name="Check: may I?").click()
    answer = page.locator("#answer")
    expect(answer).to_contain_text("No, not as planned")
    reasons = answer.locator("ol li").all_inner_texts()
    assert reasons[0].startswith("Consent: Online sessions"), reasons
    assert "No second member of staff." in reasons
    assert "No parent or carer was named as close by." in reasons
    assert PlannedSession.objects.count() == 0
    no_serious_violations(page)

    # 2. Theo's mother agrees on the phone: the therapist records it herself.
    page.goto(f"{base}/children/{child.pk}/")
    page.get_by_role("link", name="Record verbal consent").click()
    page.get_by_label("Who gave consent").select_option(label="Rhian Evans")
    page.get_by_label("Consent to").select_option(label="Online sessions and video calls")
    page.get_by_label("How and when it was given").fill("On the phone just now; she will sign.")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Verbal consent recorded")).to_be_visible()
    assert ConsentRecord.objects.get(child=child).recorded_by == alice

    # 3. Planned again with Cal and Theo's mother close by: yes, and kept.
    plan(second_staff="Cal Colleague")
    page.get_by_label("Parent or carer who will be close by").select_option(label="Rhian Evans")
    page.get_by_role("button", name="Plan it").click()
    expect(page.locator("#answer-recorded")).to_contain_text("Yes, you may")
    planned = PlannedSession.objects.get()
    assert planned.allowed
    assert planned.reasons == []

    # 4. Cal could not join: the session is logged from the plan without him, and
    #    saved, with the breach named and the reason asked for.
    page.get_by_role("link", name="Log this session").click()
    expect(page.get_by_label("When", exact=True)).to_have_value(when)
    page.get_by_label("Second member of staff present").select_option(label="Nobody")
    for done in (
        "contacted at the start",
        "contacted at the end",
        "made for this session only",
        "had a passcode",
        "had a waiting room",
        "camera was checked at introductions",
    ):
        page.get_by_label(done).check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_override_reason-error-1")).to_contain_text(
        "No second member of staff."
    )
    assert ContactLog.objects.count() == 0
    page.get_by_label("Why it went ahead").fill("Cal was ill; Theo's mother stayed in the room.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved and flagged:")).to_contain_text("No second member of staff")
    logged = ContactLog.objects.get()
    assert [breach["code"] for breach in logged.breaches] == ["no_second_staff"]
    assert logged.plan == planned

    # 5. The DSL sees it on the dashboard and in Theo's chronology.
    dsl = browser.new_context(base_url=base).new_page()
    dsl.set_default_timeout(20_000)
    signed_in(dsl, base, dana)
    dsl.goto(f"{base}/dashboard/")
    expect(dsl.locator('[data-figure="practice-breaches"]')).to_have_text("1")
    dsl.goto(f"{base}/incidents/children/{child.pk}/chronology/")
    expect(dsl.get_by_text("No second member of staff.").first).to_be_visible()
    expect(dsl.get_by_text("Cal was ill; Theo's mother stayed in the room.").first).to_be_visible()
