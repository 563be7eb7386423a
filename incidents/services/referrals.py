"""Referrals to other agencies, chased until an outcome is recorded."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from incidents.models import (
    Agency,
    EntryKind,
    FamilyConsent,
    Incident,
    Referral,
    Status,
)
from incidents.services._shared import _entry, _locked, _locked_referral, _not_future, _open


@transaction.atomic
def referral_add(
    *,
    incident: Incident,
    by: User,
    agency: str,
    agency_other: str = "",
    referred_on: dt.date,
    family_consent: str,
    reference: str = "",
    contact: str = "",
    chase_on: dt.date | None = None,
) -> Referral:
    """A referral, saved whatever the family said: consent never stands in the
    way of a safeguarding referral. Without it, ``needs_sharing_record`` asks
    for the record of why (sharing.sharing_decision_record)."""
    incident = _locked(incident)
    _open(incident)
    if agency == Agency.OTHER and not agency_other.strip():
        raise ValidationError({"agency_other": "Name the agency."})
    if family_consent not in FamilyConsent.values:
        raise ValidationError(
            {"family_consent": "Say whether the family consented, refused or was not asked."}
        )
    _not_future(referred_on, "referred_on", "The date of the referral")
    if chase_on is not None and chase_on < referred_on:
        raise ValidationError({"chase_on": "Chase on or after the date of the referral."})
    referral = Referral(
        organisation_id=incident.organisation_id,
        incident=incident,
        agency=agency,
        agency_other=agency_other if agency == Agency.OTHER else "",
        referred_on=referred_on,
        reference=reference,
        contact=contact,
        chase_on=chase_on,
        family_consent=family_consent,
        made_by=by,
    )
    referral._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    referral.save()
    incident.status = Status.REFERRED
    incident._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    incident.save()
    text = (
        f"Referred to {referral.agency_name} on {referred_on:%-d %B %Y} "
        f"(family consent: {referral.get_family_consent_display().lower()})"
    )
    text += f", reference {reference}" if reference else ", no reference given"
    text += f". Contact: {contact}." if contact else "."
    if chase_on:
        text += f" Chase on {chase_on:%-d %B %Y} if no outcome."
    _entry(incident, kind=EntryKind.REFERRAL, text=text, by=by)
    audit.record(
        action="incident.referred",
        actor=by,
        obj=incident,
        details={"referral": referral.pk, "agency": agency, "family_consent": family_consent},
    )
    return referral


@transaction.atomic
def referral_outcome_record(
    *,
    referral: Referral,
    by: User,
    outcome: str,
    outcome_on: dt.date,
) -> Referral:
    """The agency's answer. Recorded once; stops the chase reminders."""
    referral = _locked_referral(referral)
    if referral.outcome:
        raise ValidationError(
            "This referral's outcome is recorded already; add a chronology "
            "entry to say what changed."
        )
    if not outcome.strip():
        raise ValidationError({"outcome": "Say what the agency decided."})
    _not_future(outcome_on, "outcome_on", "The date of the outcome")
    if outcome_on < referral.referred_on:
        raise ValidationError({"outcome_on": "The outcome cannot come before the referral."})
    referral.outcome, referral.outcome_on = outcome, outcome_on
    referral._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    referral.save()
    text = f"Outcome from {referral.agency_name} ({outcome_on:%-d %B %Y}): {outcome}"
    _entry(referral.incident, kind=EntryKind.REFERRAL, by=by, text=text)
    audit.record(
        action="incident.referral_outcome",
        actor=by,
        obj=referral.incident,
        details={"referral": referral.pk},
    )
    return referral


@transaction.atomic
def referral_chased(
    *,
    referral: Referral,
    by: User,
    note: str,
    chase_on: dt.date,
) -> Referral:
    """The agency was chased; when to chase next."""
    referral = _locked_referral(referral)
    if referral.outcome:
        raise ValidationError("This referral has its outcome; there is nothing to chase.")
    if chase_on <= timezone.localdate():
        raise ValidationError({"chase_on": "The next chase date must be after today."})
    referral.chase_on = chase_on
    referral._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    referral.save()
    text = f"Chased {referral.agency_name}: {note} Next chase on {chase_on:%-d %B %Y}."
    _entry(referral.incident, kind=EntryKind.ACTION, by=by, text=text)
    audit.record(
        action="incident.referral_chased",
        actor=by,
        obj=referral.incident,
        details={"referral": referral.pk},
    )
    return referral
