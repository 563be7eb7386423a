"""The organisation's online-practice rules for a contact with a child, checked
when it is logged (beside the consent gate): what is refused, with the reason
beside the field, and what is allowed but flagged to the DSL.

The rules and their settings live in the practice app; each can be turned off
per organisation, and all are on by default, as the seed policies ask.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from accounts.models import User
from compliance.services import dbs_current
from consent.models import Channel
from practice import services as practice
from practice.models import Platform, WorkDevice

# Contacts made through a platform, which must be approved and risk assessed.
THROUGH_A_PLATFORM = {Channel.VIDEO, Channel.CHAT, Channel.VOICE}
# Contacts made from a phone, which must be a registered work device.
FROM_A_PHONE = {Channel.PHONE, Channel.VOICE}
# Written messages to a child, which another adult must be copied into.
MESSAGES = {Channel.CHAT, Channel.EMAIL}


# What an unsolicited contact broke, said to the DSL instead of refused.
UNSOLICITED_FLAGS = {
    "channel": "the member of staff has no current DBS check",
    "purpose": "no purpose given",
    "approved_platform": "on a platform that is not approved",
    "device": "not on a registered work device",
}


@dataclass
class Verdict:
    flags: list[str] = field(default_factory=list)  # allowed, but the DSL is told why
    out_of_hours: bool = False


def check(
    *,
    staff: User,
    channel: str,
    happened_at: dt.datetime,
    purpose: str,
    approved_platform: Platform | None,
    device: WorkDevice | None,
    copied_to: str,
    parent_contacted_start: bool,
    parent_contacted_end: bool,
    parent_present: bool,
    second_staff: User | None,
    single_use_link: bool,
    camera_verified: bool,
    participant_removed: bool,
    removal_reason: str,
    unsolicited: bool,
) -> Verdict:
    """Raise ValidationError (field by field) for a contact the rules refuse;
    otherwise return what to flag."""
    rules = practice.settings_for(staff.organisation)
    errors: dict[str, str] = {}
    verdict = Verdict()
    if rules.require_dbs and not dbs_current(staff):
        errors["channel"] = (
            "Your DBS check is missing or overdue, so you cannot log online contact with a "
            "child. Ask your admin to record a current check."
        )
    if rules.require_purpose and not purpose.strip():
        errors["purpose"] = "Say what the contact was for."
    if channel in THROUGH_A_PLATFORM and rules.approved_platforms_only:
        usable = {p.pk for p in practice.usable_platforms(staff.organisation)}
        if approved_platform is None or approved_platform.pk not in usable:
            errors["approved_platform"] = (
                "Choose an approved platform with a current risk assessment. If the one you "
                "used is not listed, it is not approved for work with children."
            )
    if channel in FROM_A_PHONE and rules.registered_devices_only:
        mine = {d.pk for d in practice.devices_for(staff)}
        if device is None or device.pk not in mine:
            errors["device"] = (
                "Choose your registered work device (attested this year). Personal phones are "
                "never used to contact children."
            )
    if channel in MESSAGES and rules.require_copy and not unsolicited and not copied_to.strip():
        errors["copied_to"] = "Say who was copied in: another member of staff or a parent."
    if channel == Channel.VIDEO and rules.video_safeguards and not unsolicited:
        missing = [
            label
            for ok, label in (
                (parent_contacted_start, "a parent contacted at the start"),
                (parent_contacted_end, "a parent contacted at the end"),
                (parent_present, "a parent present"),
                (second_staff is not None, "a second member of staff"),
                (single_use_link, "a meeting link used only once"),
                (camera_verified, "cameras checked at introductions"),
            )
            if not ok
        ]
        if missing:
            errors["parent_contacted_start"] = (
                "A video session with a child needs " + ", ".join(missing) + "."
            )
    if second_staff is not None and second_staff.pk == staff.pk:
        errors["second_staff"] = "The second member of staff must be someone else."
    if second_staff is not None and (
        second_staff.organisation_id != staff.organisation_id or not second_staff.is_active
    ):
        errors["second_staff"] = "Choose an active member of your own organisation."
    if unsolicited:
        # The child made contact: it happened, so it is recorded whatever it broke,
        # and what it broke goes to the DSL rather than stopping the record.
        for name, what in UNSOLICITED_FLAGS.items():
            if errors.pop(name, None):
                verdict.flags.append(what)
    if participant_removed and not removal_reason.strip():
        errors["removal_reason"] = "Say why the participant was removed."
    if errors:
        raise ValidationError(errors)
    # The organisation's clock, whoever (a request, a task, an import) is asking.
    local = happened_at.astimezone(zoneinfo.ZoneInfo(staff.organisation.timezone))
    if rules.flag_out_of_hours and not rules.in_working_hours(local):
        verdict.out_of_hours = True
        verdict.flags.append(f"outside working hours ({local:%a %-d %b %H:%M})")
    if unsolicited:
        verdict.flags.append("an unsolicited contact from the child")
    if participant_removed:
        verdict.flags.append("a participant was removed from the session")
    return verdict
