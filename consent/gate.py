"""The consent gate: the state of each consent for a child, derived from its
records, and the check every contact with a child passes when it is logged.

``consent.services`` re-exports these; callers use that module.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from children.models import Child
from children.services import guardians_with_responsibility
from consent.models import (
    Channel,
    ConsentRecord,
    ConsentType,
    Decision,
    Method,
)

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


# --- history, for other apps ------------------------------------------------------


def child_consent_history(*, child: Child) -> list[ConsentRecord]:
    """Every consent decision for a child, oldest first (a DSL's chronology of
    the child shows them beside the incidents and the contacts)."""
    return list(
        ConsentRecord.objects.filter(child=child)
        .select_related("consent_type", "guardian", "recorded_by")
        .order_by("recorded_at", "pk")
    )
