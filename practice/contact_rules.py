"""The organisation's online-practice rules, asked before a session and applied
after it. One judgement serves both:

- "may I?" (practice.planning) answers no to a planned session that would break
  a rule, with every reason at once, consent first;
- the contact log (practice.contact_log) records what happened whatever it broke,
  naming each breach, and tells the DSL.

A rule never refuses to record a contact. Only input that cannot be true (a
second member of staff who is the therapist herself, a parent who is not the
child's) is sent back to be corrected.
"""

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from accounts.models import User
from children.models import Child, Guardian
from children.services import guardians_with_responsibility
from compliance.services import online_work_blockers
from consent.gate import CHANNEL_CONSENT, GateAnswer, consent_check
from consent.models import Channel, ConsentType
from policies import reach
from practice import services as practice
from practice.models import Platform, PracticeSettings, With, WorkDevice

# Contacts made through a platform, which must be approved and risk assessed.
THROUGH_A_PLATFORM = {Channel.VIDEO, Channel.CHAT, Channel.VOICE}
# Contacts made from a phone, which must be a registered work device.
FROM_A_PHONE = {Channel.PHONE, Channel.VOICE}
# Messages, which copy in another adult.
MESSAGES = {Channel.CHAT, Channel.EMAIL, Channel.VOICE}
# "Never phone or text a child directly."
PHONE_OR_TEXT = {Channel.PHONE, Channel.CHAT}
# Live contact with a child, during which a parent or carer is close by.
LIVE = {Channel.VIDEO, Channel.CHAT, Channel.VOICE, Channel.PHONE}


@dataclass(frozen=True)
class Breach:
    code: str  # stable: stored with the contact, counted on the dashboard
    message: str  # what the member of staff and the DSL read
    field: str  # the form field it sits beside

    def as_record(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


# Each breach code as a rule's name, for counting breaches per rule: a message
# can name a person or a time, the rule it breaks does not.
BREACH_NAMES = {
    "no_consent": "No consent in force",
    "direct_child_contact": "Phoned or texted a child directly",
    "no_occasion_permission": "No parent's permission for the occasion",
    "no_parent_present": "No parent or carer close by",
    "no_second_staff": "No second member of staff",
    "parent_not_contacted_start": "Parent or carer not contacted at the start",
    "parent_not_contacted_end": "Parent or carer not contacted at the end",
    "link_reused": "Meeting link not single use",
    "no_passcode": "No meeting passcode",
    "no_waiting_room": "No waiting room",
    "no_camera_check": "Cameras not checked",
    "not_copied": "Nobody copied in",
    "no_purpose": "No purpose given",
    "out_of_hours": "Outside working hours",
    "unscheduled": "Outside scheduled appointments",
    "staff_checks": "Staff DBS check or training not in place",
    "platform_not_approved": "Platform not approved or assessed",
    "not_work_device": "Not from a registered work device",
    "second_staff_checks": "Second member of staff's checks not in place",
    "parents_not_agreed": "Parent or carer has not agreed to the policies",
}


def breach_name(code: str) -> str:
    """A code stored before a rule was renamed still reads as something."""
    return BREACH_NAMES.get(code, code.replace("_", " ").capitalize())


@dataclass
class Situation:
    """A session or contact, planned or as it happened."""

    child: Child
    staff: User
    channel: str
    when: dt.datetime
    with_whom: str = With.CHILD
    guardian: Guardian | None = None
    purpose: str = ""
    approved_platform: Platform | None = None
    device: WorkDevice | None = None
    second_staff: User | None = None
    parent_present: Guardian | None = None
    permission_from: Guardian | None = None
    permission_at: dt.datetime | None = None
    permission_for: str = ""
    # Known only once it has happened.
    copied: bool = False
    parent_contacted_start: bool = False
    parent_contacted_end: bool = False
    single_use_link: bool = False
    passcode: bool = False
    waiting_room: bool = False
    camera_verified: bool = False
    camera_refused: bool = False
    unsolicited: bool = False
    in_a_planned_session: bool = True


@dataclass
class Judgement:
    breaches: list[Breach] = field(default_factory=list)
    # What a planned session will need on the day, which cannot be known before.
    on_the_day: list[str] = field(default_factory=list)
    consent_type: ConsentType | None = None
    consent: GateAnswer | None = None
    out_of_hours: bool = False
    # Input that cannot be true, by form field: corrected, not recorded.
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return not self.breaches and not self.errors

    @property
    def codes(self) -> list[str]:
        return [breach.code for breach in self.breaches]


def local(moment: dt.datetime, child: Child) -> dt.datetime:
    """The organisation's clock, whoever (a request, a task, an import) is asking."""
    return moment.astimezone(zoneinfo.ZoneInfo(child.organisation.timezone))


def judge(situation: Situation, *, planning: bool) -> Judgement:
    """Every rule the session breaks (planning) or broke (logging), consent
    first, then the organisation's rules, then the member of staff's own checks,
    the device and platform, and the second member of staff's checks."""
    s = situation
    rules = practice.settings_for(s.staff.organisation)
    judgement = Judgement()
    _input_errors(s, judgement, planning=planning)
    with_child = s.with_whom == With.CHILD
    if with_child:
        _consent(s, judgement, planning=planning)
        _parents_agreed(s, judgement)
    add = judgement.breaches.append
    staff_set_it_up = not s.unsolicited

    # --- the organisation's rules --------------------------------------------------
    if (
        with_child
        and staff_set_it_up
        and rules.never_phone_or_text_child
        and s.channel in PHONE_OR_TEXT
    ):
        add(
            Breach(
                "direct_child_contact",
                "The organisation never phones or texts a child directly: phone or message "
                "a parent or carer instead.",
                "channel",
            )
        )
    if (
        with_child
        and staff_set_it_up
        and rules.occasion_permission
        and s.channel in MESSAGES
        and not (s.permission_from and s.permission_at and s.permission_for.strip())
    ):
        add(
            Breach(
                "no_occasion_permission",
                "A direct message to a child needs a parent's permission for this occasion: "
                "which parent, when they agreed, and what for.",
                "permission_from",
            )
        )
    if (
        with_child
        and staff_set_it_up
        and rules.parent_present
        and s.channel in LIVE
        and s.parent_present is None
    ):
        add(
            Breach(
                "no_parent_present",
                "No parent or carer was named as close by.",
                "parent_present",
            )
        )
    video = with_child and staff_set_it_up and s.channel == Channel.VIDEO
    if video and rules.second_staff and s.second_staff is None:
        add(Breach("no_second_staff", "No second member of staff.", "second_staff"))
    if video:
        _on_the_day(s, rules, judgement, planning=planning)
    if with_child and staff_set_it_up and rules.require_copy and s.channel in MESSAGES:
        if planning:
            judgement.on_the_day.append("Copy a colleague or a parent or carer into every message.")
        elif not s.copied:
            add(
                Breach(
                    "not_copied",
                    "Nobody was copied in: copy a colleague or a parent or carer with "
                    "parental responsibility.",
                    "copied_staff",
                )
            )
    if staff_set_it_up and rules.require_purpose and not s.purpose.strip():
        add(Breach("no_purpose", "No purpose given.", "purpose"))
    when = local(s.when, s.child)
    if rules.flag_out_of_hours and not rules.in_working_hours(when):
        judgement.out_of_hours = True
        add(
            Breach(
                "out_of_hours",
                f"Outside working hours ({when:%a %-d %b %H:%M}).",
                "when",
            )
        )
    if not planning and staff_set_it_up and rules.scheduled_only and not s.in_a_planned_session:
        add(
            Breach(
                "unscheduled",
                "Outside scheduled appointments: no session was planned.",
                "plan",
            )
        )

    # --- the member of staff, the device and platform, the second member of staff ---
    if rules.require_dbs:
        for reason in online_work_blockers(s.staff, when.date()):
            add(Breach("staff_checks", f"Your checks: {reason}", "channel"))
    if s.channel in THROUGH_A_PLATFORM and rules.approved_platforms_only:
        usable = {p.pk for p in practice.usable_platforms(s.staff.organisation, when.date())}
        if s.approved_platform is None or s.approved_platform.pk not in usable:
            add(
                Breach(
                    "platform_not_approved",
                    "Not on an approved platform with a current risk assessment.",
                    "approved_platform",
                )
            )
    needs_device = (s.channel in FROM_A_PHONE and rules.registered_devices_only) or (
        s.channel == Channel.CHAT and rules.work_device_chat
    )
    if needs_device:
        mine = {d.pk for d in practice.devices_for(s.staff, when.date())}
        if s.device is None or s.device.pk not in mine:
            add(
                Breach(
                    "not_work_device",
                    "Not from your registered work device (attested this year).",
                    "device",
                )
            )
    if s.second_staff is not None and rules.require_dbs and "second_staff" not in judgement.errors:
        for reason in online_work_blockers(s.second_staff, when.date()):
            add(
                Breach(
                    "second_staff_checks",
                    f"{s.second_staff.full_name}'s checks: {reason}",
                    "second_staff",
                )
            )
    return judgement


def _consent(s: Situation, judgement: Judgement, *, planning: bool) -> None:
    code = CHANNEL_CONSENT.get(s.channel)
    consent_type = (
        ConsentType.objects.filter(organisation=s.child.organisation, code=code).first()
        if code
        else None
    )
    if consent_type is None:
        judgement.breaches.append(
            Breach(
                "no_consent",
                "The organisation has no consent type for this kind of contact.",
                "channel",
            )
        )
        return
    judgement.consent_type = consent_type
    day = local(s.when, s.child).date()
    # A plan is judged by the consent recorded now; a contact by what had been
    # recorded when it happened, not by a later answer.
    answer = consent_check(
        child=s.child, consent_type=consent_type, on=day, at=None if planning else s.when
    )
    judgement.consent = answer
    if not answer.allowed:
        judgement.breaches.append(Breach("no_consent", f"Consent: {answer.reason}", "channel"))


def _parents_agreed(s: Situation, judgement: Judgement) -> None:
    """A parent-facing policy says parents and carers agree to it before
    services start: one breach for each who has not, naming what."""
    for guardian, unread in reach.parents_not_agreed(s.child):
        titles = _and_list(f"{b.policy.title} ({b.current.label})" for b in unread)
        judgement.breaches.append(
            Breach(
                "parents_not_agreed",
                f"{guardian.full_name} has not agreed to {titles}.",
                "channel",
            )
        )


def _and_list(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _on_the_day(
    s: Situation, rules: PracticeSettings, judgement: Judgement, *, planning: bool
) -> None:
    """The video safeguards only the session itself can show: a plan lists them
    as things to do, a log names each one missed."""
    parent = s.parent_present.full_name if s.parent_present else "a parent or carer"
    steps = [
        (
            rules.parent_contacted_start,
            s.parent_contacted_start,
            "parent_not_contacted_start",
            f"Contact {parent} at the start.",
            "No parent or carer was contacted at the start.",
            "parent_contacted_start",
        ),
        (
            rules.parent_contacted_end,
            s.parent_contacted_end,
            "parent_not_contacted_end",
            f"Contact {parent} at the end.",
            "No parent or carer was contacted at the end.",
            "parent_contacted_end",
        ),
        (
            rules.single_use_link,
            s.single_use_link,
            "link_reused",
            "Send a meeting link made for this session only.",
            "The meeting link was not single use.",
            "single_use_link",
        ),
        (
            rules.passcode,
            s.passcode,
            "no_passcode",
            "Set a passcode on the meeting.",
            "The meeting had no passcode.",
            "passcode",
        ),
        (
            rules.waiting_room,
            s.waiting_room,
            "no_waiting_room",
            "Turn the waiting room on.",
            "The meeting had no waiting room.",
            "waiting_room",
        ),
        (
            rules.camera_check,
            s.camera_verified or s.camera_refused,
            "no_camera_check",
            "Check everyone's camera at introductions.",
            "Cameras were not checked at introductions.",
            "camera_verified",
        ),
    ]
    for required, done, code, todo, missed, name in steps:
        if not required:
            continue
        if planning:
            judgement.on_the_day.append(todo)
        elif not done:
            judgement.breaches.append(Breach(code, missed, name))


def _input_errors(s: Situation, judgement: Judgement, *, planning: bool) -> None:
    errors = judgement.errors
    if s.second_staff is not None:
        if s.second_staff.pk == s.staff.pk:
            errors["second_staff"] = "The second member of staff must be someone else."
        elif s.second_staff.organisation_id != s.staff.organisation_id or (
            # A session logged late may have had a colleague who has since left.
            planning and not s.second_staff.is_active
        ):
            errors["second_staff"] = "Choose an active member of your own organisation."
    linked = set(s.child.guardian_links.values_list("guardian_id", flat=True))
    with_pr = set(guardians_with_responsibility(s.child).values_list("pk", flat=True))
    if s.with_whom == With.PARENT and s.guardian is None:
        errors["guardian"] = "Choose which parent or carer the contact was with."
    for name, person, allowed in (
        ("guardian", s.guardian, linked),
        ("parent_present", s.parent_present, linked),
        ("permission_from", s.permission_from, with_pr),
    ):
        if person is not None and person.pk not in allowed:
            errors[name] = f"Choose one of {s.child.display_name}'s parents or carers" + (
                " with parental responsibility." if name == "permission_from" else "."
            )
    if s.permission_at is not None and s.permission_at > s.when:
        errors["permission_at"] = "Permission is given before the contact, not after."
