"""Planning a session and asking "may I?" before it, through the pages a
therapist uses: the answer with every reason at once, consent first; the plan
kept with its answer; the plan's page asking again; who may see and cancel."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from children import services as caseload
from consent import services as consent_services
from consent.models import ConsentType
from practice import planning
from practice import services as practice
from practice.models import PlannedSession
from tests.auth import force_verified_login
from tests.factories import ChildFactory, ConsentRecordFactory, UserFactory, cleared_for_online_work

pytestmark = pytest.mark.django_db


def next_weekday_at(hour: int, weekday: int = 1) -> dt.datetime:
    """The next given weekday (Tuesday by default), after today, at a local time."""
    today = timezone.localdate()
    ahead = (weekday - today.weekday()) % 7 or 7
    day = today + dt.timedelta(days=ahead)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


# Copied from tests/practice/test_contact_rules.py's `world` (being rewritten
# elsewhere), without the video consent: each test gives it when it needs it.
@pytest.fixture
def world(organisation, alice, bob, dana):
    child = ChildFactory(organisation=organisation, first_name="Noor")
    caseload.allocation_start(
        child=child, staff=alice, starts_on=timezone.localdate() - dt.timedelta(days=30), by=dana
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
    colleague = UserFactory(organisation=organisation, role=Role.STAFF, full_name="Cal Colleague")
    for member in (alice, colleague):
        cleared_for_online_work(member, by=bob)
    zoom = practice.platform_add(
        organisation=organisation, name="Licensed video", kind="video", by=bob
    )
    practice.platform_assess(
        platform=zoom,
        by=dana,
        summary="Waiting rooms, no recording.",
        assessed_on=timezone.localdate() - dt.timedelta(days=10),
    )
    practice.platform_approval_set(platform=zoom, approved=True, by=bob)
    return {"child": child, "mother": link.guardian, "zoom": zoom, "colleague": colleague}


def give_video_consent(world):
    ConsentRecordFactory(
        child=world["child"],
        consent_type=ConsentType.objects.get(
            organisation=world["child"].organisation, code="online_sessions"
        ),
        guardian=world["mother"],
        valid_until=timezone.localdate() + dt.timedelta(days=300),
        recorded_at=timezone.now() - dt.timedelta(minutes=1),
    )


def video_form(world, action, **overrides):
    data = {
        "action": action,
        "planned_for": next_weekday_at(10).strftime("%Y-%m-%dT%H:%M"),
        "channel": "video",
        "with_whom": "child",
        "purpose": "Weekly music therapy session",
        "approved_platform": world["zoom"].pk,
        "second_staff": world["colleague"].pk,
        "parent_present": world["mother"].pk,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    force_verified_login(client, alice)
    return client


def plan_url(world) -> str:
    return reverse("plan_new", args=[world["child"].pk])


def reasons_in(html: str) -> list[str]:
    """The reasons of the answer panel, in the order shown, tags stripped."""
    panel = html.split('id="answer"', 1)[1].split("</ol>", 1)[0]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", panel)]


def test_check_without_consent_says_no_with_every_reason_consent_first_and_saves_nothing(
    world, alice_client
):
    response = alice_client.post(plan_url(world), video_form(world, "check", second_staff=None))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No, not as planned" in html
    assert "Yes, you may" not in html
    assert 'role="alert"' in html
    reasons = reasons_in(html)
    assert reasons[0].startswith("Consent:")
    assert "No second member of staff." in reasons
    # Each reason links to the field it concerns.
    assert 'href="#id_channel">Consent:' in html
    assert 'href="#id_second_staff">No second member of staff.' in html
    assert "On the day" in html
    assert "Set a passcode on the meeting." in html
    assert not PlannedSession.objects.exists()
    assert not AuditEvent.objects.filter(action="practice.session_planned").exists()


def test_check_of_a_compliant_plan_says_yes(world, alice_client):
    give_video_consent(world)
    response = alice_client.post(plan_url(world), video_form(world, "check"))
    html = response.content.decode()
    assert "Yes, you may" in html
    assert "No, not as planned" not in html
    assert 'role="status"' in html
    assert not PlannedSession.objects.exists()


def test_plan_it_saves_a_compliant_plan_with_yes(world, alice, alice_client):
    give_video_consent(world)
    response = alice_client.post(plan_url(world), video_form(world, "plan"))
    plan = PlannedSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plan_detail", args=[plan.pk])
    assert plan.allowed is True
    assert plan.reasons == []
    assert plan.staff == alice
    assert plan.second_staff == world["colleague"]
    page = alice_client.get(response["Location"]).content.decode()
    assert "Yes, you may" in page
    assert f"{reverse('contact_new', args=[world['child'].pk])}?plan={plan.pk}" in page


def test_plan_it_keeps_a_no_plan_with_its_reasons(world, alice_client):
    response = alice_client.post(plan_url(world), video_form(world, "plan", second_staff=None))
    assert response.status_code == 302
    plan = PlannedSession.objects.get()
    assert plan.allowed is False
    codes = [reason["code"] for reason in plan.reasons]
    assert codes[0] == "no_consent"
    assert "no_second_staff" in codes


def test_impossible_input_is_shown_beside_the_field_and_nothing_is_saved(world, alice_client):
    stranger = ChildFactory(organisation=world["child"].organisation)
    other_parent = caseload.guardian_add(
        child=stranger,
        by=UserFactory(organisation=stranger.organisation, role=Role.DSL),
        full_name="Not Noor's Parent",
        email="other@example.test",
        phone="",
        preferred_contact="email",
        relationship="father",
        parental_responsibility=True,
    ).guardian
    past = (timezone.localtime() - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    for action in ("check", "plan"):
        response = alice_client.post(
            plan_url(world),
            video_form(world, action, planned_for=past, parent_present=other_parent.pk),
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "There is a problem" in html
        assert "A plan is for a time to come" in html
        assert 'id="id_parent_present-error-1"' in html
        assert 'id="answer"' not in html
    # With the parent only wrong, the engine's own check speaks.
    response = alice_client.post(
        plan_url(world), video_form(world, "plan", with_whom="parent", guardian=None)
    )
    assert "Choose which parent or carer" in response.content.decode()
    assert not PlannedSession.objects.exists()


def test_the_plan_page_asks_again_and_sees_consent_given_since(world, alice, alice_client):
    plan, judgement = planning.session_plan(
        child=world["child"],
        staff=alice,
        channel="video",
        planned_for=next_weekday_at(10),
        purpose="Weekly music therapy session",
        approved_platform=world["zoom"],
        second_staff=world["colleague"],
        parent_present=world["mother"],
    )
    assert judgement.codes == ["no_consent"]
    url = reverse("plan_detail", args=[plan.pk])
    before = alice_client.get(url).content.decode()
    assert before.count("No, not as planned") == 2
    give_video_consent(world)
    after = alice_client.get(url).content.decode()
    recorded, now = after.split('id="answer-now"', 1)
    assert "No, not as planned" in recorded
    assert "Consent:" in recorded
    assert "Yes, you may" in now
    assert "Consent:" not in now


def test_cancel_is_audited_and_only_for_the_planner_or_a_lead(
    world, alice, bob, dana, alice_client
):
    plan, _ = planning.session_plan(
        child=world["child"], staff=alice, channel="video", planned_for=next_weekday_at(10)
    )
    cancel = reverse("plan_cancel", args=[plan.pk])
    admin = Client()
    force_verified_login(admin, bob)
    assert admin.get(reverse("plan_detail", args=[plan.pk])).status_code == 200
    assert admin.post(cancel).status_code == 403
    response = alice_client.post(cancel)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.cancelled_at is not None
    assert plan.cancelled_by == alice
    event = AuditEvent.objects.get(action="practice.session_cancelled")
    assert event.details["plan"] == plan.pk
    # Kept, and gone from the child's upcoming sessions and from hers.
    assert "Cancelled" in alice_client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert (
        reverse("plan_detail", args=[plan.pk])
        not in alice_client.get(reverse("my_plans")).content.decode()
    )
    # A second press says so, and changes nothing.
    lead = Client()
    force_verified_login(lead, dana)
    assert lead.post(cancel).status_code == 302
    assert AuditEvent.objects.filter(action="practice.session_cancelled").count() == 1


def test_who_sees_a_plan(world, alice, dana, charlie, alice_client):
    plan, _ = planning.session_plan(
        child=world["child"], staff=alice, channel="video", planned_for=next_weekday_at(11)
    )
    url = reverse("plan_detail", args=[plan.pk])
    detail = reverse("child_detail", args=[world["child"].pk])
    # Hers, on her list and on the child's page, tagged with its answer.
    mine = alice_client.get(reverse("my_plans")).content.decode()
    assert url in mine
    assert "Noor" in mine
    child_page = alice_client.get(detail).content.decode()
    assert url in child_page
    assert reverse("plan_new", args=[world["child"].pk]) in child_page
    assert "govuk-tag--red" in child_page.split('id="planned-sessions"', 1)[1]
    # The caseload offers to plan for each child.
    assert (
        reverse("plan_new", args=[world["child"].pk])
        in alice_client.get(reverse("child_list")).content.decode()
    )
    # Another therapist with the same child on her caseload sees neither the plan
    # nor it on the child's page; the DSL sees both; another organisation gets 404.
    colleague = world["colleague"]
    caseload.allocation_start(
        child=world["child"], staff=colleague, starts_on=timezone.localdate(), by=dana
    )
    other = Client()
    force_verified_login(other, colleague)
    assert other.get(url).status_code == 404
    assert url not in other.get(detail).content.decode()
    lead = Client()
    force_verified_login(lead, dana)
    assert lead.get(url).status_code == 200
    assert url in lead.get(detail).content.decode()
    outsider = Client()
    force_verified_login(outsider, charlie)
    assert outsider.get(url).status_code == 404
    assert outsider.post(reverse("plan_cancel", args=[plan.pk])).status_code == 404
    assert outsider.get(plan_url(world)).status_code == 404
