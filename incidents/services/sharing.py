"""Decisions to share information, or not to, and why.

Working Together 2023 and the 2024 information sharing advice: consent is not
needed to share when a child is at risk, and the reasons for every decision to
share or not to share are recorded. A decision is append-only; a changed mind
is a new decision.

A decision may be recorded on a closed incident. The police, a court or a new
school can ask for information long after the case closed, and a referral made
without consent before closing must still get its record of why: refusing
here would leave that prompt on the page for ever, and append-only records
need no reopening to be safe to add.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from audit import services as audit
from incidents.models import (
    Decision,
    EntryKind,
    FamilyConsent,
    Incident,
    LawfulBasis,
    Referral,
    SharingDecision,
    SpecialCategoryCondition,
)
from incidents.services._shared import _entry, _locked, _not_future

_WITHOUT_CONSENT = {FamilyConsent.REFUSED, FamilyConsent.NOT_SOUGHT}


def _check(
    *,
    incident: Incident,
    decision: str,
    shared_with: str,
    what: str,
    lawful_basis: str,
    special_category: str,
    reason: str,
    consent: str,
    consent_note: str,
    decided_at: dt.datetime,
    referral: Referral | None,
) -> None:
    errors: dict[str, str] = {}
    if decision not in Decision.values:
        errors["decision"] = "Choose whether you decided to share or not to share."
    if not shared_with.strip():
        errors["shared_with"] = "Say who the information was shared with, or would have been."
    if not what.strip():
        errors["what"] = "Say what was shared, or would have been."
    if lawful_basis not in LawfulBasis.values:
        errors["lawful_basis"] = "Choose the lawful basis (UK GDPR Article 6)."
    if special_category not in SpecialCategoryCondition.values:
        errors["special_category"] = "Choose the condition for special category data, or none."
    if not reason.strip():
        errors["reason"] = "Say why you decided this: the reason is what the record is for."
    if consent not in FamilyConsent.values:
        errors["consent"] = "Choose whether the family's consent was given, refused or not sought."
    elif consent in _WITHOUT_CONSENT:
        if not consent_note.strip():
            errors["consent_note"] = (
                "Say why consent was not sought: for example, asking would put the child at risk."
                if consent == FamilyConsent.NOT_SOUGHT
                else "Say what the family said when they refused."
            )
        if lawful_basis == LawfulBasis.CONSENT:
            errors["lawful_basis"] = (
                "Consent cannot be the lawful basis when the family refused or was not "
                "asked. Sharing to protect a child usually rests on public task or a "
                "legal obligation."
            )
        if special_category == SpecialCategoryCondition.EXPLICIT_CONSENT:
            errors["special_category"] = (
                "Explicit consent cannot be the condition when the family refused or was "
                "not asked. For safeguarding, use the safeguarding condition (DPA 2018 "
                "Schedule 1 paragraph 18)."
            )
    if referral is not None:
        if referral.incident_id != incident.pk:
            errors["referral"] = "That referral belongs to another incident."
        elif decision == Decision.NOT_SHARE:
            errors["decision"] = (
                "The referral was made, so information was shared: record the decision to share."
            )
    try:
        _not_future(decided_at, "decided_at", "The time of the decision")
    except ValidationError as error:
        errors |= {field: messages[0] for field, messages in error.message_dict.items()}
    if errors:
        raise ValidationError(errors)


def _sentence(value: str) -> str:
    """A person's words ending a sentence, with one full stop."""
    value = value.strip()
    return value if value.endswith((".", "!", "?")) else value + "."


def _chronology_text(record: SharingDecision) -> str:
    what = record.what.strip().rstrip(".")
    whom = record.shared_with.strip().rstrip(".")
    if record.decision == Decision.NOT_SHARE:
        parts = [f"Decided not to share {what} with {whom}."]
    elif record.consent == FamilyConsent.GIVEN:
        parts = [f"Decided to share {what} with {whom} with the family's consent."]
    else:
        parts = [f"Decided to share {what} with {whom} without the family's consent."]
    if record.consent == FamilyConsent.REFUSED:
        parts.append(f"The family refused consent: {_sentence(record.consent_note)}")
    elif record.consent == FamilyConsent.NOT_SOUGHT:
        parts.append(f"Consent was not sought: {_sentence(record.consent_note)}")
    elif record.consent_note.strip():
        parts.append(f"The family consented: {_sentence(record.consent_note)}")
    parts.append(f"Lawful basis: {record.get_lawful_basis_display()}.")
    if record.special_category:
        parts.append(f"Special category data: {record.get_special_category_display()}.")
    parts.append(f"Reason: {_sentence(record.reason)}")
    if record.referral is not None:
        parts.append(
            f"This is the record for the referral to {record.referral.agency_name} "
            f"on {record.referral.referred_on:%-d %B %Y}."
        )
    return " ".join(parts)


@transaction.atomic
def sharing_decision_record(
    *,
    incident: Incident,
    by: User,
    decision: str,
    shared_with: str,
    what: str,
    lawful_basis: str,
    special_category: str = "",
    reason: str,
    consent: str,
    consent_note: str = "",
    decided_at: dt.datetime,
    referral: Referral | None = None,
) -> SharingDecision:
    """Record a decision to share or not to share, and why. Open or closed
    incident alike (see the module's docstring)."""
    incident = _locked(incident)
    _check(
        incident=incident,
        decision=decision,
        shared_with=shared_with,
        what=what,
        lawful_basis=lawful_basis,
        special_category=special_category,
        reason=reason,
        consent=consent,
        consent_note=consent_note,
        decided_at=decided_at,
        referral=referral,
    )
    record = SharingDecision(
        organisation_id=incident.organisation_id,
        incident=incident,
        referral=referral,
        decision=decision,
        shared_with=shared_with.strip(),
        what=what.strip(),
        lawful_basis=lawful_basis,
        special_category=special_category,
        reason=reason.strip(),
        consent=consent,
        consent_note=consent_note.strip(),
        decided_at=decided_at,
        decided_by=by,
    )
    record.save()
    _entry(
        incident,
        kind=EntryKind.DECISION,
        text=_chronology_text(record),
        by=by,
        happened_at=decided_at,
    )
    audit.record(
        action="incident.sharing_decision",
        actor=by,
        obj=incident,
        details={
            "sharing_decision": record.pk,
            "decision": decision,
            "consent": consent,
            "lawful_basis": lawful_basis,
            "referral": referral.pk if referral is not None else None,
        },
    )
    return record
