"""Every write to the incident log: its checks, its chronology line, its audit
event and who is told.

The workflow runs new → triaged → action → referred → closed. Each step writes
a chronology entry as well as changing the incident, so the chronology alone
tells a case conference what was decided, by whom and when.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import LEAD_ROLES, User
from audit import services as audit
from incidents.models import (
    ChronologyEntry,
    EntryKind,
    IcoDecision,
    Incident,
    Risk,
    SignoffRule,
    Status,
)
from incidents.services._shared import _entry, _locked, _not_future, _open
from incidents.services.settings import settings_for
from notices import engine as reminders


@transaction.atomic
def incident_triage(
    *,
    incident: Incident,
    by: User,
    decision: str,
    risk: str,
    next_action: str = "",
    next_action_due: dt.date | None = None,
) -> Incident:
    incident = _locked(incident)
    _open(incident)
    if incident.triaged_at is not None:
        raise ValidationError("This incident has been triaged already.")
    # A referral made before triage (a call to the police in an emergency, say)
    # keeps the incident "referred"; triage still records the decision.
    if incident.status == Status.NEW:
        incident.status = Status.TRIAGED
    incident.risk = risk
    incident.triage_decision = decision
    incident.triaged_at = timezone.now()
    incident.triaged_by = by
    incident.next_action = next_action
    incident.next_action_due = next_action_due
    incident._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    incident.save()
    text = f"Triaged. Risk: {incident.get_risk_display()}. Decision: {decision}"
    if next_action:
        text += f" Next action: {next_action}" + (
            f" by {next_action_due:%-d %B %Y}." if next_action_due else "."
        )
    _entry(incident, kind=EntryKind.DECISION, text=text, by=by)
    audit.record(action="incident.triaged", actor=by, obj=incident, details={"risk": risk})
    return incident


@transaction.atomic
def incident_action_set(
    *,
    incident: Incident,
    by: User,
    next_action: str,
    next_action_due: dt.date | None,
    risk: str,
) -> Incident:
    """The next thing to do and by when (and the risk as it now stands)."""
    incident = _locked(incident)
    _open(incident)
    if incident.triaged_at is None:
        raise ValidationError("Triage the incident first.")
    if incident.status == Status.TRIAGED:
        incident.status = Status.ACTION
    text = f"Next action: {next_action}" + (
        f" by {next_action_due:%-d %B %Y}." if next_action_due else "."
    )
    if risk != incident.risk:
        text += f" Risk changed from {incident.get_risk_display()} to {Risk(risk).label}."
    incident.next_action, incident.next_action_due, incident.risk = (
        next_action,
        next_action_due,
        risk,
    )
    incident._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    incident.save()
    _entry(incident, kind=EntryKind.ACTION, text=text, by=by)
    audit.record(
        action="incident.action_set",
        actor=by,
        obj=incident,
        details={"risk": risk, "due": str(next_action_due or "")},
    )
    return incident


@transaction.atomic
def chronology_add(
    *,
    incident: Incident,
    by: User,
    kind: str,
    text: str,
    happened_at: dt.datetime,
    corrects: ChronologyEntry | None = None,
) -> ChronologyEntry:
    """A new line in the chronology. Nothing is edited: to correct an entry,
    add one that points at it, and both are shown together."""
    if not text.strip():
        raise ValidationError({"text": "Write what happened."})
    _not_future(happened_at, "happened_at", "When it happened")
    if corrects is not None and corrects.incident_id != incident.pk:
        raise ValidationError("An entry can only correct an entry of the same incident.")
    if corrects is not None and corrects.corrects_id is not None:
        # One level, so every correction is shown beside the entry it corrects.
        raise ValidationError({"corrects": "Correct the original entry, not a correction."})
    entry = _entry(
        incident,
        kind=kind,
        text=text,
        by=by,
        happened_at=happened_at,
        corrects=corrects,
        composed=False,
    )
    audit.record(
        action="incident.entry_added",
        actor=by,
        obj=incident,
        details={"entry": entry.pk, "kind": kind, "corrects": corrects.pk if corrects else None},
    )
    return entry


@transaction.atomic
def ico_decision_record(
    *,
    incident: Incident,
    by: User,
    decision: str,
    reference: str = "",
    reason: str = "",
) -> Incident:
    """Reported to the ICO (with its reference) or not reportable (with why).
    Either stops the 72-hour reminders."""
    incident = _locked(incident)
    if not incident.is_data_breach:
        raise ValidationError("Only a personal data breach is reported to the ICO.")
    if incident.ico_decision:
        raise ValidationError("The ICO decision is recorded already.")
    if decision == IcoDecision.REPORTED and not reference.strip():
        raise ValidationError({"reference": "Give the ICO's reference."})
    if decision == IcoDecision.NOT_REPORTABLE and not reason.strip():
        raise ValidationError({"reason": "Say why the breach is not reportable."})
    incident.ico_decision = decision
    incident.ico_reference = reference if decision == IcoDecision.REPORTED else ""
    incident.ico_reason = reason
    incident.ico_decided_at = timezone.now()
    incident.ico_decided_by = by
    incident._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    incident.save()
    text = (
        f"Reported to the ICO, reference {reference}."
        if decision == IcoDecision.REPORTED
        else f"Not reportable to the ICO: {reason}"
    )
    deadline = incident.ico_deadline
    late = deadline is not None and incident.ico_decided_at > deadline  # a breach has one
    if late:
        text += " (decided after the 72-hour deadline)"
    _entry(incident, kind=EntryKind.DECISION, text=text, by=by)
    audit.record(
        action="incident.ico_decision",
        actor=by,
        obj=incident,
        details={"decision": decision, "late": late},
    )
    return incident


def signoff_needed(incident: Incident, closer: User, parents_informed: bool) -> bool:
    rule = settings_for(incident.organisation).second_signoff
    if rule == SignoffRule.ALWAYS:
        return True
    if rule == SignoffRule.WHEN_NEEDED:
        return not parents_informed or incident.reporter_id == closer.pk
    return False


@transaction.atomic
def incident_close(
    *,
    incident: Incident,
    by: User,
    outcome: str,
    no_referral_rationale: str = "",
    parents_informed: bool,
    parents_not_informed_reason: str = "",
) -> Incident:
    """Close with an outcome; with a rationale when nothing was referred. Where
    the organisation asks for a second sign-off, this proposes the closure and
    another DSL or deputy completes it."""
    incident = _locked(incident)
    _open(incident)
    if incident.awaiting_signoff:
        raise ValidationError("Closing is waiting for a second sign-off already.")
    if incident.triaged_at is None:
        raise ValidationError("Triage the incident before closing it.")
    errors = {}
    if not outcome.strip():
        errors["outcome"] = "Say what the outcome was."
    if not incident.referrals.exists() and not no_referral_rationale.strip():
        errors["no_referral_rationale"] = "Nothing was referred: say why no referral was needed."
    if not parents_informed and not parents_not_informed_reason.strip():
        errors["parents_not_informed_reason"] = "Say why parents or carers were not informed."
    if incident.ico_open:
        errors["outcome"] = "Record whether the breach was reported to the ICO before closing."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    incident.outcome = outcome
    incident.no_referral_rationale = no_referral_rationale
    incident.parents_informed = parents_informed
    incident.parents_not_informed_reason = "" if parents_informed else parents_not_informed_reason
    incident.close_proposed_at, incident.close_proposed_by = now, by
    text = f"Outcome: {outcome}"
    if no_referral_rationale.strip():
        text += f" Why no referral: {no_referral_rationale}"
    if parents_informed:
        text += " Parents or carers were informed."
    else:
        text += f" Parents or carers were not informed: {parents_not_informed_reason}"
    others = list(User.objects.of(incident.organisation).dsl_and_deputies().exclude(pk=by.pk))
    if signoff_needed(incident, by, parents_informed):
        if not others:
            raise ValidationError(
                f"Your organisation asks a second {incident.organisation.titles.short} or deputy "
                "to sign off this closure, and "
                "there is nobody else to ask. Add a deputy, or change the incident settings."
            )
        text = "Closure proposed, awaiting a second sign-off. " + text
        action = "incident.close_proposed"
        # Each proposal is its own reminder: one declined and proposed again is asked anew.
        reminders.notify_now(
            organisation=incident.organisation,
            item=reminders.DueItem(
                kind="incidents.signoff",
                obj=incident,
                stage=f"proposed-{int(now.timestamp())}",
                recipients=others,
                due_at=now,
                title=f"{incident.reference} is waiting for your sign-off",
                url=reverse("incident_detail", args=[incident.pk]),
            ),
        )
    else:
        incident.status, incident.closed_at = Status.CLOSED, now
        text = "Closed. " + text
        action = "incident.closed"
    incident._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    incident.save()
    _entry(incident, kind=EntryKind.DECISION, text=text, by=by)
    audit.record(action=action, actor=by, obj=incident)
    return incident


@transaction.atomic
def incident_signoff(*, incident: Incident, by: User) -> None:
    """A second DSL or deputy agrees the closure."""
    incident = _locked(incident)
    if not incident.awaiting_signoff:
        raise ValidationError("This incident is not waiting for a sign-off.")
    if by.pk == incident.close_proposed_by_id:
        raise ValidationError("A second sign-off must come from someone else.")
    if by.role not in LEAD_ROLES:
        raise ValidationError(
            f"Only a {incident.organisation.titles.short} or deputy can sign off a closure."
        )
    incident.status, incident.closed_at, incident.signed_off_by = Status.CLOSED, timezone.now(), by
    incident._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    incident.save()
    _entry(
        incident,
        kind=EntryKind.DECISION,
        by=by,
        text=f"Closure signed off by {by.full_name}; the incident is closed.",
    )
    audit.record(action="incident.signed_off", actor=by, obj=incident)


@transaction.atomic
def incident_signoff_decline(*, incident: Incident, by: User, reason: str) -> None:
    """The second DSL disagrees, or the proposer withdraws: the incident stays
    open, with why."""
    incident = _locked(incident)
    if not incident.awaiting_signoff:
        raise ValidationError("This incident is not waiting for a sign-off.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the incident should stay open."})
    withdrawn = by.pk == incident.close_proposed_by_id
    incident.close_proposed_at, incident.close_proposed_by = None, None
    incident._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    incident.save()
    verb = "withdrawn" if withdrawn else "not signed off"
    _entry(
        incident, kind=EntryKind.DECISION, by=by, text=f"Closure {verb} by {by.full_name}: {reason}"
    )
    audit.record(action="incident.signoff_declined", actor=by, obj=incident)
