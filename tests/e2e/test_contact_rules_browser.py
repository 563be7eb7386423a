"""Online practice in Chromium: a therapist logs a compliant video session in a
planned session, then a chat on a platform that is not approved (she is asked
why it went ahead, every breach listed beside the field; then it is saved,
flagged and the DSL told) and a session outside working hours (saved and
flagged). axe checks the contact form with its errors."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from children import services as caseload
from consent import services as consent_services
from consent.models import ConsentRecord, ConsentType
from notices.models import Notice
from practice import services as practice
from practice.models import ContactLog, PlannedSession
from tests.e2e.test_consent_browser import no_serious_violations
from tests.e2e.test_incidents_browser import signed_in
from tests.factories import ChildFactory, UserFactory, cleared_for_online_work

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
    cleared_for_online_work(alice, by=bob)
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
    cal = UserFactory(organisation=organisation, role=Role.STAFF, full_name="Cal Colleague")
    cleared_for_online_work(cal, by=bob)
    tuesday_ten = dt.datetime.fromisoformat(last_weekday_at(1, 10))
    PlannedSession.objects.create(
        organisation=organisation,
        child=child,
        staff=alice,
        planned_for=timezone.make_aware(tuesday_ten),
        channel="video",
        allowed=True,
    )
    base = live_server.url
    form_url = f"{base}/children/{child.pk}/contacts/new/"

    def fill_video_session(when: str) -> None:
        page.goto(form_url)
        page.get_by_label("When").fill(when)
        page.get_by_label("Kind of contact").select_option(label="Video session")
        page.get_by_label("Purpose of the contact").fill("Weekly music therapy session")
        page.get_by_label("Platform", exact=True).select_option(label="Licensed video account")
        page.get_by_label("Parent or carer close by").select_option(label="Huda Hassan")
        page.get_by_label("Video: a parent or carer was contacted at the start").check()
        page.get_by_label("Video: a parent or carer was contacted at the end").check()
        page.get_by_label("Second member of staff present").select_option(label="Cal Colleague")
        page.get_by_label("The meeting link was made for this session only").check()
        page.get_by_label("The meeting had a passcode").check()
        page.get_by_label("The meeting had a waiting room").check()
        page.get_by_label("Everyone's camera was checked at introductions").check()
        page.get_by_role("button", name="Save").click()

    signed_in(page, base, alice)

    # 1. A compliant session on a Tuesday morning, in its planned session: saved,
    #    nothing flagged.
    fill_video_session(last_weekday_at(1, 10))
    expect(page.get_by_text("Contact logged.", exact=True)).to_be_visible()
    logged = ContactLog.objects.get()
    assert logged.breaches == []
    assert logged.plan is not None

    # 2. A chat on a platform that is not approved: it is not offered; without an
    #    approved platform the chat broke rules, so she is asked why it went ahead,
    #    with every breach listed beside the field. The video-only questions are
    #    hidden for a chat.
    page.goto(form_url)
    offered = page.get_by_label("Platform", exact=True).locator("option").all_inner_texts()
    assert "Unvetted chat app" not in offered
    assert "Licensed video account" in offered
    page.get_by_label("When").fill(last_weekday_at(1, 11))
    page.get_by_label("Kind of contact").select_option(label="Chat or messaging")
    expect(page.get_by_label("The meeting had a passcode")).to_be_hidden()
    page.get_by_label("Purpose of the contact").fill("Arranging next week's session")
    page.get_by_label("Huda Hassan", exact=True).check()  # copied in
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("say why it went ahead")
    expect(page.locator("#id_override_reason-error-1")).to_contain_text(
        "Not on an approved platform with a current risk assessment."
    )
    no_serious_violations(page)
    assert ContactLog.objects.count() == 1
    page.get_by_label("Why it went ahead").fill("Huda asked me to reply on the app she uses.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved and flagged:")).to_contain_text("approved platform")
    chat = ContactLog.objects.get(channel="chat")
    assert "platform_not_approved" in [breach["code"] for breach in chat.breaches]
    assert [g.full_name for g in chat.copied_guardians.all()] == ["Huda Hassan"]
    expect(page.locator("#contacts ~ ul .govuk-tag--red").first).to_be_visible()
    notice = Notice.objects.get(recipient=dana, ledger__kind="contact.breach")
    assert "never phones or texts a child" in notice.title

    # 3. The same session on a Sunday evening: saved with its reason, flagged.
    fill_video_session(last_weekday_at(6, 20))
    page.get_by_label("Why it went ahead").fill("Noor was in crisis.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved and flagged:")).to_contain_text("Outside working hours")
    late = ContactLog.objects.get(out_of_hours=True)
    assert late.staff == alice
    assert "out_of_hours" in [breach["code"] for breach in late.breaches]
