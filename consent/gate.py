"""The consent gate: the state of each consent for a child, derived from its
records, and the check every contact with a child passes when it is logged.

``consent.services`` re-exports these; callers use that module.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from children.models import Child
from children.services import guardians_with_responsibility
from consent.models import (
    Channel,
    ConsentRecord,
    ConsentType,
    ContactLog,
    Decision,
    Method,
)
from notices import engine as reminders

if TYPE_CHECKING:  # practice sits above consent: named for the type checker only
    from practice.models import Platform, WorkDevice

# Which consent a kind of contact needs.
CHANNEL_CONSENT: dict[str, str] = {
    Channel.VIDEO: "online_sessions",
    Channel.CHAT: "messaging",
    Channel.VOICE: "voice_messages",
    Channel.PHONE: "direct_contact",
    Channel.EMAIL: "direct_contact",
    Channel.PHOTO: "photos_internal",
    Channel.RECORDING: "recording",
}


# --- the derived state ----------------------------------------------------------


@dataclass(frozen=True)
class ConsentState:
    state: str  # granted, refused, withdrawn, expired, none, conflict
    label: str
    valid_until: dt.date | None
    record: ConsentRecord | None


def _latest_per_guardian(
    records: list[ConsentRecord], guardians_with_pr: set[int]
) -> dict[int, ConsentRecord]:
    latest: dict[int, ConsentRecord] = {}
    for record in records:  # ordered oldest first
        if record.guardian_id in guardians_with_pr:
            latest[record.guardian_id] = record
    return latest


def state_from_records(
    records: list[ConsentRecord], guardians_with_pr: set[int], on: dt.date
) -> ConsentState:
    latest = _latest_per_guardian(records, guardians_with_pr)
    if not latest:
        return ConsentState("none", "Not asked yet", None, None)
    live_grants, refusals, expired = [], [], []
    for record in latest.values():
        if record.decision == Decision.GRANTED:
            if record.valid_until is not None and record.valid_until < on:
                expired.append(record)
            else:
                live_grants.append(record)
        else:
            refusals.append(record)
    if refusals and live_grants:
        refusal = max(refusals, key=lambda r: r.recorded_at)
        return ConsentState("conflict", "Parents disagree: treated as refused", None, refusal)
    if refusals:
        refusal = max(refusals, key=lambda r: r.recorded_at)
        return ConsentState(
            refusal.decision, refusal.get_decision_display(), None, refusal
        )  # refused or withdrawn
    if live_grants:
        grant = max(live_grants, key=lambda r: r.recorded_at)
        until = grant.valid_until
        label = f"Granted until {until:%-d %b %Y}" if until else "Granted"
        if grant.method == Method.VERBAL:
            label += " (verbal, awaiting written confirmation)"
        return ConsentState("granted", label, until, grant)
    last = max(expired, key=lambda r: r.recorded_at)
    return ConsentState("expired", f"Expired {last.valid_until:%-d %b %Y}", None, last)


def _guardians_with_pr(child: Child) -> set[int]:
    return set(guardians_with_responsibility(child).values_list("pk", flat=True))


def consent_matrix(
    child: Child, on: dt.date | None = None
) -> list[tuple[ConsentType, ConsentState]]:
    """Every consent type of the organisation and its state for this child."""
    from consent.services import consent_types_ensure

    on = on or timezone.localdate()
    types = consent_types_ensure(organisation=child.organisation)
    if not child.is_active_on(on):
        discharged = ConsentState("none", "Discharged: no contact", None, None)
        return [(t, discharged) for t in types]
    records = list(ConsentRecord.objects.filter(child=child).order_by("recorded_at", "pk"))
    with_pr = _guardians_with_pr(child)
    return [
        (
            consent_type,
            state_from_records(
                [r for r in records if r.consent_type_id == consent_type.pk], with_pr, on
            ),
        )
        for consent_type in types
        if consent_type.active
    ]


@dataclass(frozen=True)
class GateAnswer:
    allowed: bool
    reason: str
    record: ConsentRecord | None


def consent_check(
    *, child: Child, consent_type: ConsentType, on: dt.date, at: dt.datetime | None = None
) -> GateAnswer:
    """May staff work with this child in this way on this day? And on what record.

    With ``at``, only what had been recorded by that moment counts: a contact is
    judged by the consent in place when it happened, not by a later answer.
    """
    if not child.is_active_on(on):
        return GateAnswer(False, f"{child.display_name} was discharged.", None)
    records = ConsentRecord.objects.filter(child=child, consent_type=consent_type)
    if at is not None:
        records = records.filter(recorded_at__lte=at)
    history = list(records.order_by("recorded_at", "pk"))
    state = state_from_records(history, _guardians_with_pr(child), on)
    if state.state == "granted":
        return GateAnswer(True, f"{consent_type.name}: {state.label.lower()}.", state.record)
    reasons = {
        "none": "no parent has given consent",
        "refused": "a parent refused",
        "withdrawn": "a parent withdrew consent",
        "conflict": "the parents disagree, and a refusal wins",
        "expired": "the consent has expired",
    }
    return GateAnswer(False, f"{consent_type.name}: {reasons[state.state]}.", state.record)


# --- contacts and the gate -------------------------------------------------------------------


@transaction.atomic
def contact_log(
    *,
    child: Child,
    staff: User,
    channel: str,
    happened_at: dt.datetime,
    platform: str = "",
    parent_present_start: bool = False,
    parent_present_end: bool = False,
    second_staff_present: bool = False,
    notes: str = "",
    override_reason: str = "",
    purpose: str = "",
    approved_platform: "Platform | None" = None,
    device: "WorkDevice | None" = None,
    copied_to: str = "",
    parent_contacted_start: bool = False,
    parent_contacted_end: bool = False,
    second_staff: User | None = None,
    single_use_link: bool = False,
    camera_verified: bool = False,
    participant_removed: bool = False,
    removal_reason: str = "",
    unsolicited: bool = False,
) -> ContactLog:
    """Save a contact only if the organisation's practice rules allow it and
    consent was live (or with a reason the DSL will see). Out-of-hours and
    unsolicited contact, a removed participant and a contact without consent are
    saved and flagged to the DSL; a removed participant also opens a draft
    incident."""
    from consent import contact_rules

    verdict = contact_rules.check(
        staff=staff,
        channel=channel,
        happened_at=happened_at,
        purpose=purpose,
        approved_platform=approved_platform,
        device=device,
        copied_to=copied_to,
        parent_contacted_start=parent_contacted_start,
        parent_contacted_end=parent_contacted_end,
        parent_present=parent_present_start,
        second_staff=second_staff,
        single_use_link=single_use_link,
        camera_verified=camera_verified,
        participant_removed=participant_removed,
        removal_reason=removal_reason,
        unsolicited=unsolicited,
    )
    consent_type = ConsentType.objects.filter(
        organisation=child.organisation, code=CHANNEL_CONSENT[channel]
    ).first()
    if consent_type is None:
        raise ValidationError(
            {"channel": "This organisation has no consent type for that contact."}
        )
    local_day = happened_at.astimezone(zoneinfo.ZoneInfo(child.organisation.timezone)).date()
    answer = consent_check(child=child, consent_type=consent_type, on=local_day, at=happened_at)
    if not answer.allowed and not override_reason.strip() and not unsolicited:
        raise ValidationError(
            {
                "override_reason": f"Not allowed: {answer.reason} Say why the contact was "
                "necessary, or do not record it as allowed."
            }
        )
    contact = ContactLog.objects.create(
        organisation=child.organisation,
        child=child,
        staff=staff,
        happened_at=happened_at,
        channel=channel,
        platform=approved_platform.name if approved_platform else platform,
        parent_present_start=parent_present_start,
        parent_present_end=parent_present_end,
        second_staff_present=second_staff_present or second_staff is not None,
        notes=notes,
        consent_type=consent_type,
        consent_allowed=answer.allowed,
        consent_reason=answer.reason[:300],
        override_reason=override_reason,
        purpose=purpose,
        approved_platform=approved_platform,
        device=device,
        copied_to=copied_to,
        parent_contacted_start=parent_contacted_start,
        parent_contacted_end=parent_contacted_end,
        second_staff=second_staff,
        single_use_link=single_use_link,
        camera_verified=camera_verified,
        participant_removed=participant_removed,
        removal_reason=removal_reason,
        unsolicited=unsolicited,
        out_of_hours=verdict.out_of_hours,
    )
    flags = list(verdict.flags)
    if not answer.allowed:
        flags.insert(0, "without consent")
    if participant_removed:
        contact.incident_reference = _draft_incident(contact, staff, removal_reason)
        contact.save(update_fields=["incident_reference"])
    audit.record(
        action="contact.logged",
        actor=staff,
        obj=child,
        details={"contact": contact.pk, "allowed": answer.allowed, "flags": flags},
    )
    if flags:
        leads = list(User.objects.of(child.organisation).leads())
        reminders.notify_now(
            organisation=child.organisation,
            item=reminders.DueItem(
                kind="contact.without_consent" if not answer.allowed else "contact.flagged",
                obj=contact,
                stage="logged",
                recipients=leads,
                due_at=timezone.now(),
                title=f"A contact with {child.display_name} was logged " + "; ".join(flags),
                url=reverse("child_detail", args=[child.pk]),
            ),
        )
    return contact


def _draft_incident(contact: ContactLog, staff: User, reason: str) -> str:
    """Removing someone from a session with a child is a concern in itself: it
    opens an incident for the DSL with what the member of staff said."""
    from incidents import services as incident_services

    incident = incident_services.incident_raise(
        reporter=staff,
        children=[contact.child],
        occurred_at=contact.happened_at,
        disclosed_at=contact.happened_at,
        category="contact",
        incident_type="other",
        platform=contact.platform,
        initial_risk="medium",
        what_happened=f"A participant was removed from a {contact.get_channel_display().lower()}"
        f" session. Reason given: {reason}",
    )
    return incident.reference


# --- history, for other apps ------------------------------------------------------


def child_consent_history(*, child: Child) -> tuple[list[ConsentRecord], list[ContactLog]]:
    """Every consent decision and every logged contact for a child, oldest first
    (a DSL's chronology of the child shows them beside the incidents)."""
    records = list(
        ConsentRecord.objects.filter(child=child)
        .select_related("consent_type", "guardian", "recorded_by")
        .order_by("recorded_at", "pk")
    )
    contacts = list(
        ContactLog.objects.filter(child=child)
        .select_related("staff", "consent_type")
        .order_by("happened_at", "pk")
    )
    return records, contacts
