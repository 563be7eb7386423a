"""Each online-practice rule, asked before and applied after: a plan that
breaks it gets "no" with the reason, a log that breaks it is saved with that
breach named and the DSL told, and a compliant plan and log pass."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from children import services as caseload
from children.models import Allocation
from compliance.models import DBSCheck
from consent import services as consent_services
from consent.models import ConsentType
from notices.models import Notice
from practice import planning
from practice import services as practice
from practice.contact_log import contact_log
from practice.contact_rules import BREACH_NAMES
from practice.models import ContactLog, PlannedSession, PracticeSettings
from practice.permissions import plans_visible_to
from practice.retention import PLANNED_SESSIONS
from tests.auth import force_verified_login
from tests.factories import (
    ChildFactory,
    ConsentRecordFactory,
    UserFactory,
    cleared_for_online_work,
)

pytestmark = pytest.mark.django_db


def weekday_at(hour: int, *, forward: bool) -> dt.datetime:
    """The nearest Tuesday before (or after) today, at a local time."""
    today = timezone.localdate()
    if forward:
        day = today + dt.timedelta(days=(1 - today.weekday()) % 7 or 7)
    else:
        day = today - dt.timedelta(days=(today.weekday() - 1) % 7 or 7)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def child_with_consent(organisation, dana, name: str, codes: tuple[str, ...]):
    child = ChildFactory(organisation=organisation, first_name=name)
    link = caseload.guardian_add(
        child=child,
        by=dana,
        full_name=f"Parent of {name}",
        email=f"{name.lower()}.parent@example.test",
        phone="",
        preferred_contact="email",
        relationship="mother",
        parental_responsibility=True,
    )
    for code in codes:
        ConsentRecordFactory(
            child=child,
            consent_type=ConsentType.objects.get(organisation=organisation, code=code),
            guardian=link.guardian,
            valid_until=timezone.localdate() + dt.timedelta(days=300),
            recorded_at=timezone.now() - dt.timedelta(days=20),
        )
    return child, link.guardian


@pytest.fixture
def world(organisation, alice, bob, dana) -> dict[str, Any]:
    consent_services.consent_types_ensure(organisation=organisation)
    everything = ("online_sessions", "messaging", "voice_messages", "direct_contact")
    child, parent = child_with_consent(organisation, dana, "Theo", everything)
    bare, bare_parent = child_with_consent(organisation, dana, "Ada", ())
    for someone in (child, bare):
        caseload.allocation_start(
            child=someone,
            staff=alice,
            starts_on=timezone.localdate() - dt.timedelta(days=30),
            by=dana,
        )
    colleague = UserFactory(organisation=organisation, role=Role.STAFF, full_name="Cal Colleague")
    unchecked = UserFactory(organisation=organisation, role=Role.STAFF, full_name="Una Unchecked")
    for person in (alice, colleague):
        cleared_for_online_work(person, by=bob)
    video = practice.platform_add(
        organisation=organisation, name="Licensed video", kind="video", by=bob
    )
    practice.platform_assess(
        platform=video,
        by=dana,
        summary="Waiting rooms, no recording.",
        assessed_on=timezone.localdate() - dt.timedelta(days=10),
    )
    practice.platform_approval_set(platform=video, approved=True, by=bob)
    chat = practice.platform_add(
        organisation=organisation, name="Unvetted chat", kind="chat", by=bob
    )
    phone = practice.device_register(staff=alice, description="Work mobile", by=alice)
    practice.device_attest(device=phone, by=alice, password_protected=True, kept_from_others=True)
    return {
        "child": child,
        "parent": parent,
        "bare": bare,
        "bare_parent": bare_parent,
        "colleague": colleague,
        "unchecked": unchecked,
        "video": video,
        "chat": chat,
        "phone": phone,
    }


def session(world: dict[str, Any], alice: User) -> dict[str, Any]:
    """A video session with Theo that keeps every rule, as planned."""
    return {
        "child": world["child"],
        "staff": alice,
        "channel": "video",
        "purpose": "Weekly music therapy session",
        "approved_platform": world["video"],
        "second_staff": world["colleague"],
        "parent_present": world["parent"],
    }


# What the session shows afterwards, when it kept every rule.
AFTERWARDS = {
    "parent_contacted_start": True,
    "parent_contacted_end": True,
    "single_use_link": True,
    "passcode": True,
    "waiting_room": True,
    "camera_verified": True,
}


def told(dsl: User) -> Notice:
    return Notice.objects.get(recipient=dsl, ledger__kind__startswith="contact.")


@dataclass
class Case:
    code: str
    change: Callable[[dict[str, Any], dict[str, Any]], None]
    # Only the session itself can show it: a plan lists it as a step for the day.
    log_only: bool = False
    setting: dict[str, bool] = field(default_factory=dict)


def setter(**values: Any) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    return lambda fields, world: fields.update(values)


def someone(name: str, person: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    return lambda fields, world: fields.update({name: world[person]})


def phone_call(fields: dict[str, Any], world: dict[str, Any]) -> None:
    fields.update(channel="phone", approved_platform=None, second_staff=None, device=world["phone"])


def email_to_child(fields: dict[str, Any], world: dict[str, Any]) -> None:
    fields.update(channel="email", approved_platform=None, second_staff=None, parent_present=None)


def email_not_copied(fields: dict[str, Any], world: dict[str, Any]) -> None:
    email_to_child(fields, world)
    fields["copied_staff"] = []


def phone_to_parent_from_own_phone(fields: dict[str, Any], world: dict[str, Any]) -> None:
    phone_call(fields, world)
    fields.update(with_whom="parent", guardian=world["parent"], parent_present=None, device=None)


def no_consent(fields: dict[str, Any], world: dict[str, Any]) -> None:
    fields.update(child=world["bare"], parent_present=world["bare_parent"])


def evening(fields: dict[str, Any], world: dict[str, Any]) -> None:
    fields["at_hour"] = 20


CASES = [
    Case("no_consent", no_consent),
    Case("direct_child_contact", phone_call),
    Case("no_occasion_permission", email_to_child, setting={"occasion_permission": True}),
    Case("no_parent_present", setter(parent_present=None)),
    Case("no_second_staff", setter(second_staff=None)),
    Case("parent_not_contacted_start", setter(parent_contacted_start=False), log_only=True),
    Case("parent_not_contacted_end", setter(parent_contacted_end=False), log_only=True),
    Case("link_reused", setter(single_use_link=False), log_only=True),
    Case("no_passcode", setter(passcode=False), log_only=True),
    Case("no_waiting_room", setter(waiting_room=False), log_only=True),
    Case("no_camera_check", setter(camera_verified=False), log_only=True),
    Case("not_copied", email_not_copied, log_only=True),
    Case("no_purpose", setter(purpose=" ")),
    Case("out_of_hours", evening),
    Case("staff_checks", someone("staff", "unchecked")),
    Case("platform_not_approved", someone("approved_platform", "chat")),
    Case("not_work_device", phone_to_parent_from_own_phone),
    Case("second_staff_checks", someone("second_staff", "unchecked")),
]


def rules(organisation, **values: bool) -> None:
    PracticeSettings.objects.update_or_create(organisation=organisation, defaults=values)


def plan_fields(world, alice, case: Case | None) -> dict[str, Any]:
    fields = session(world, alice)
    if case is not None:
        case.change(fields, world)
    for afterwards in AFTERWARDS:
        fields.pop(afterwards, None)
    fields.pop("copied_staff", None)
    fields["planned_for"] = weekday_at(fields.pop("at_hour", 10), forward=True)
    return fields


def log_fields(world, alice, case: Case | None) -> dict[str, Any]:
    fields = {**session(world, alice), **AFTERWARDS, "copied_staff": [world["colleague"]]}
    if case is not None:
        case.change(fields, world)
    fields["happened_at"] = weekday_at(fields.pop("at_hour", 10), forward=False)
    # Every contact but the one about scheduling was planned.
    PlannedSession.objects.create(
        organisation=fields["child"].organisation,
        child=fields["child"],
        staff=fields["staff"],
        channel=fields["channel"],
        planned_for=fields["happened_at"],
        allowed=True,
    )
    return fields


@pytest.mark.parametrize("case", CASES, ids=[case.code for case in CASES])
def test_each_rule_is_asked_before_and_applied_after(case, world, alice, dana, organisation):
    assert case.code in BREACH_NAMES, "the dashboard counts each rule by its name"
    rules(organisation, **case.setting)

    # Before: "may I?" says no, with the reason, and the plan keeps the answer.
    fields = plan_fields(world, alice, case)
    answer = planning.may_i(**fields)
    assert not answer.errors
    if case.log_only:
        assert answer.allowed, answer.breaches
        assert answer.on_the_day, "the plan lists what the day needs instead"
    else:
        # Someone without checks has several reasons (the DBS check, each training).
        assert set(answer.codes) == {case.code}, answer.breaches
        plan, judged = planning.session_plan(**fields)
        assert plan.allowed is False
        assert {reason["code"] for reason in plan.reasons} == {case.code}
        assert plan.reasons[0]["message"] == judged.breaches[0].message

    # After: the contact is saved with the breach named, once a reason is given.
    fields = log_fields(world, alice, case)
    with pytest.raises(ValidationError) as asked:
        contact_log(**fields)
    assert list(asked.value.error_dict) == ["override_reason"]
    assert ContactLog.objects.count() == 0
    contact = contact_log(**fields, override_reason="The parent asked us to go ahead.")
    assert {breach["code"] for breach in contact.breaches} == {case.code}
    assert contact.override_reason == "The parent asked us to go ahead."
    assert contact.breaches[0]["message"] in told(dana).title


def test_contact_outside_any_planned_session_is_flagged_as_unscheduled(world, alice, dana):
    fields = log_fields(world, alice, None)
    PlannedSession.objects.all().delete()
    contact = contact_log(**fields, override_reason="The child was upset and the parent rang.")
    assert [breach["code"] for breach in contact.breaches] == ["unscheduled"]
    assert "Outside scheduled appointments" in told(dana).title


def test_a_compliant_plan_gets_yes_and_lists_the_steps_for_the_day(world, alice):
    plan, answer = planning.session_plan(**plan_fields(world, alice, None))
    assert plan.allowed
    assert answer.allowed
    assert plan.reasons == []
    assert "Contact Parent of Theo at the start." in answer.on_the_day
    assert "Check everyone's camera at introductions." in answer.on_the_day


def test_a_compliant_log_is_saved_clean_and_nobody_is_disturbed(world, alice, dana):
    contact = contact_log(**log_fields(world, alice, None))
    assert contact.breaches == []
    assert contact.consent_allowed
    assert contact.plan is not None
    assert not Notice.objects.filter(recipient=dana, ledger__kind__startswith="contact.").exists()


def test_every_reason_comes_at_once_consent_first(world, alice):
    fields = plan_fields(world, alice, None)
    fields.update(child=world["bare"], parent_present=None, second_staff=None, purpose="")
    answer = planning.may_i(**fields)
    assert answer.codes == ["no_consent", "no_parent_present", "no_second_staff", "no_purpose"]


def test_a_solo_practitioner_turns_off_the_second_member_only(world, alice, organisation):
    rules(organisation, second_staff=False)
    fields = plan_fields(world, alice, None)
    fields.update(second_staff=None, parent_present=None)
    assert planning.may_i(**fields).codes == ["no_parent_present"]


def test_contact_with_a_parent_needs_no_consent_of_the_childs(world, alice, dana):
    def ada_s_mother_rings(fields: dict[str, Any], world: dict[str, Any]) -> None:
        phone_call(fields, world)
        fields.update(child=world["bare"], with_whom="parent", guardian=world["bare_parent"])
        fields["parent_present"] = None

    contact = contact_log(**log_fields(world, alice, Case("parent", ada_s_mother_rings)))
    assert contact.breaches == []
    assert contact.consent_type is None
    assert contact.consent_allowed


def test_an_unsolicited_contact_is_recorded_without_asking_for_a_reason(world, alice, dana):
    fields = log_fields(world, alice, None)
    fields.update(unsolicited=True, approved_platform=world["chat"], channel="chat")
    contact = contact_log(**fields)
    assert "platform_not_approved" in [breach["code"] for breach in contact.breaches]
    assert "unsolicited" in told(dana).title


def test_a_camera_refusal_is_recorded_with_a_follow_up(world, alice, dana):
    fields = log_fields(world, alice, None)
    fields.update(camera_verified=False, camera_refused=True)
    contact = contact_log(**fields)
    assert contact.breaches == []
    follow_up = contact.follow_ups.get()
    assert follow_up.owner == alice
    assert follow_up.done_at is None
    assert "would not switch the camera on" in told(dana).title


def test_impossible_input_is_sent_back_not_recorded(world, alice, other_organisation):
    stranger = ChildFactory(organisation=world["child"].organisation)
    fields = log_fields(world, alice, None)
    fields["parent_present"] = caseload.guardian_add(
        child=stranger,
        by=alice,
        full_name="Not Theo's Parent",
        email="",
        phone="",
        preferred_contact="email",
        relationship="father",
        parental_responsibility=True,
    ).guardian
    fields["second_staff"] = alice
    with pytest.raises(ValidationError) as error:
        contact_log(**fields, override_reason="anything")
    assert set(error.value.error_dict) == {"parent_present", "second_staff"}
    assert ContactLog.objects.count() == 0


# --- what the record says is what happened ----------------------------------------------


def test_a_past_contact_is_judged_by_the_checks_in_place_that_day(world, alice, bob, dana):
    late = UserFactory(organisation=alice.organisation, role=Role.STAFF, full_name="Lee Late")
    cleared_for_online_work(late, by=bob)
    # Her only DBS check was issued today; the contact was last week.
    DBSCheck.objects.filter(staff=late).update(issued_on=timezone.localdate())
    fields = log_fields(world, alice, Case("late", lambda fields, world: fields.update(staff=late)))
    contact = contact_log(**fields, override_reason="Cover for a colleague.")
    assert {breach["code"] for breach in contact.breaches} == {"staff_checks"}
    assert "No DBS check is recorded" in contact.breaches[0]["message"]


def test_answers_that_do_not_apply_to_the_kind_of_contact_are_not_recorded(world, alice):
    fields = log_fields(world, alice, Case("phone", phone_call))
    fields.update(camera_refused=True, passcode=True, copied_staff=[world["colleague"]])
    contact = contact_log(**fields, override_reason="Theo's mother asked for a call.")
    assert contact.camera_refused is False
    assert contact.passcode is False
    assert not contact.follow_ups.exists()
    assert not contact.copied_staff.exists()


def test_a_planned_session_of_another_kind_cannot_take_in_a_contact(world, alice):
    fields = log_fields(world, alice, None)
    other = PlannedSession.objects.create(
        organisation=alice.organisation,
        child=world["child"],
        staff=alice,
        channel="email",
        planned_for=fields["happened_at"],
        allowed=True,
    )
    with pytest.raises(ValidationError) as error:
        contact_log(**fields, plan=other)
    assert list(error.value.error_dict) == ["plan"]
    assert ContactLog.objects.count() == 0


def test_plans_are_seen_only_while_the_child_is_on_the_caseload(world, alice, dana):
    plan, _ = planning.session_plan(**plan_fields(world, alice, None))
    assert list(plans_visible_to(alice)) == [plan]
    allocation = Allocation.objects.get(child=world["child"], staff=alice, ends_on__isnull=True)
    caseload.allocation_end(allocation=allocation, by=dana)
    assert list(plans_visible_to(alice)) == []
    assert list(plans_visible_to(dana)) == [plan]


def test_a_plan_number_from_nowhere_is_ignored_not_a_server_error(world, alice):
    client = Client()
    force_verified_login(client, alice)
    for plan in ("²", "x", "99999999999999999999"):
        response = client.get(f"/children/{world['child'].pk}/contacts/new/?plan={plan}")
        assert response.status_code == 200, plan


def test_deleting_a_planned_session_keeps_the_contact_logged_in_it(world, alice):
    contact = contact_log(**log_fields(world, alice, None))
    plan = contact.plan
    assert plan is not None
    PLANNED_SESSIONS.delete(plan)
    contact.refresh_from_db()
    assert contact.plan is None
    assert contact.breaches == []
    assert not PlannedSession.objects.filter(pk=plan.pk).exists()
    assert not PlannedSession.history.filter(id=plan.pk).exists()
