"""Online practice in Chromium: a therapist logs a compliant video session, then
tries a contact on a platform that is not approved (refused, with the reason
beside the field) and a session outside working hours (saved, and the DSL
told). axe checks the contact form with its errors."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from children import services as caseload
from compliance import services as compliance
from consent import services as consent_services
from consent.models import ConsentRecord, ConsentType
from notices.models import Notice
from practice import services as practice
from practice.models import ContactLog
from tests.e2e.test_consent_browser import no_serious_violations
from tests.e2e.test_incidents_browser import signed_in
from tests.factories import ChildFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def last_weekday_at(weekday: int, hour: int) -> str:
    """A datetime-local value: the last past given weekday (0 Monday) at a local hour."""
    today = timezone.localdate()
    day = today - dt.timedelta(days=(today.weekday() - weekday) % 7 or 7)
    return f"{dt.datetime.combine(day, dt.time(hour)):%Y-%m-%dT%H:%M}"


def test_compliant_session_unapproved_platform_and_out_of_hours(
    page: Page, live_server, organisation, alice, bob, dana
) -> None:
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(
        child=child, staff=alice, by=dana, starts_on=timezone.localdate() - dt.timedelta(days=30)
    )
    link = caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="mother",
        parental_responsibility=True,
    )
    consent_services.consent_types_ensure(organisation=organisation)
    for code in ("online_sessions", "messaging"):
        consent_type = ConsentType.objects.get(organisation=organisation, code=code)
        ConsentRecord(
            organisation=organisation,
            child=child,
            consent_type=consent_type,
            type_version=consent_type.current_version(),
            guardian=link.guardian,
            decision="granted",
            method="paper",
            typed_name="Huda Hassan",
            shown_sha256="0" * 64,
            valid_until=timezone.localdate() + dt.timedelta(days=300),
            recorded_at=timezone.now() - dt.timedelta(days=20),
        ).save()
    compliance.dbs_check_record(
        staff=alice,
        by=bob,
        level="enhanced_barred",
        issued_on=timezone.localdate() - dt.timedelta(days=100),
    )
    video = practice.platform_add(
        organisation=organisation, name="Licensed video account", kind="video", by=bob
    )
    practice.platform_assess(
        platform=video,
        by=dana,
        summary="Waiting room, single-use links.",
        assessed_on=timezone.localdate() - dt.timedelta(days=5),
    )
    practice.platform_approval_set(platform=video, approved=True, by=bob)
    practice.platform_add(organisation=organisation, name="Unvetted chat app", kind="chat", by=bob)
    UserFactory(organisation=organisation, role=Role.STAFF, full_name="Cal Colleague")
    base = live_server.url
    form_url = f"{base}/children/{child.pk}/contacts/new/"

    def fill_video_session(when: str) -> None:
        page.goto(form_url)
        page.get_by_label("When").fill(when)
        page.get_by_label("Kind of contact").select_option(label="Video session")
        page.get_by_label("Purpose of the contact").fill("Weekly music therapy session")
        page.get_by_label("Platform", exact=True).select_option(label="Licensed video account")
        page.get_by_label("Video: a parent was contacted at the start").check()
        page.get_by_label("Video: a parent was contacted at the end").check()
        page.get_by_label("A parent was present", exact=True).check()
        page.get_by_label("Second member of staff present").select_option(label="Cal Colleague")
        page.get_by_label("Video: the meeting link was used only once").check()
        page.get_by_label("Video: everyone's camera was checked at introductions").check()
        page.get_by_role("button", name="Save").click()

    signed_in(page, base, alice)

    # 1. A compliant session on a Tuesday morning: saved, nothing flagged.
    fill_video_session(last_weekday_at(1, 10))
    expect(page.get_by_text("Contact logged.", exact=True)).to_be_visible()
    assert ContactLog.objects.filter(out_of_hours=False, approved_platform=video).count() == 1

    # 2. A chat on a platform that is not approved: it is not offered, and without an
    #    approved platform the contact is refused, with the reason beside the field.
    page.goto(form_url)
    offered = page.get_by_label("Platform", exact=True).locator("option").all_inner_texts()
    assert "Unvetted chat app" not in offered
    assert "Licensed video account" in offered
    page.get_by_label("When").fill(last_weekday_at(1, 11))
    page.get_by_label("Kind of contact").select_option(label="Chat or messaging")
    page.get_by_label("Purpose of the contact").fill("Arranging next week's session")
    page.get_by_label("Who was copied in").fill("Huda Hassan (mother)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose an approved platform")
    expect(page.locator("#id_approved_platform-error-1")).to_contain_text(
        "not approved for work with children"
    )
    no_serious_violations(page)
    assert ContactLog.objects.count() == 1

    # 3. The same session on a Sunday evening: saved, and the DSL is told.
    fill_video_session(last_weekday_at(6, 20))
    expect(page.get_by_text("outside working hours")).to_be_visible()
    late = ContactLog.objects.get(out_of_hours=True)
    assert late.staff == alice
    notice = Notice.objects.get(recipient=dana, ledger__kind="contact.flagged")
    assert "outside working hours" in notice.title
