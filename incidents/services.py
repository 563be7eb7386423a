"""Every write to the incident log: its checks, its chronology line, its audit
event and who is told.

The workflow runs new → triaged → action → referred → closed. Each step writes
a chronology entry as well as changing the incident, so the chronology alone
tells a case conference what was decided, by whom and when.
"""

import datetime as dt
import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import LEAD_ROLES, Organisation, Role, User
from audit import services as audit
from children.models import Child
from incidents.models import (
    EVIDENCE_MAX_BYTES,
    URGENT_RISKS,
    Agency,
    ChronologyEntry,
    EntryKind,
    Evidence,
    IcoDecision,
    Incident,
    IncidentSettings,
    ReferenceCounter,
    Referral,
    Risk,
    SignoffRule,
    Status,
)
from notices import engine as reminders

EVIDENCE_TYPES = {
    b"%PDF": "pdf",
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpg",
    b"GIF87a": "gif",
    b"GIF89a": "gif",
}


def settings_for(organisation: Organisation) -> IncidentSettings:
    found = IncidentSettings.objects.filter(organisation=organisation).first()
    return found or IncidentSettings(organisation=organisation)


@transaction.atomic
def incident_settings_update(
    *,
    organisation: Organisation,
    second_signoff: str,
    by: User,
) -> IncidentSettings:
    settings, _ = IncidentSettings.objects.get_or_create(organisation=organisation)
    settings.second_signoff = second_signoff
    settings._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    settings.save()
    audit.record(
        action="incident.settings_changed",
        actor=by,
        obj=settings,
        details={"second_signoff": second_signoff},
    )
    return settings


def _next_reference(organisation: Organisation, year: int) -> str:
    """OS-2026-0042: numbered per organisation and year, with no gaps or repeats.

    The UPDATE takes the counter row's lock, so two concerns raised at once get
    different numbers; the first concern of a year creates the row.
    """
    counters = ReferenceCounter.objects.filter(organisation=organisation, year=year)
    if not counters.update(last=F("last") + 1):
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(organisation=organisation, year=year, last=0)
        except IntegrityError:
            pass  # someone else created it first; their row is there now
        counters.update(last=F("last") + 1)
    return f"OS-{year}-{counters.get().last:04d}"


def _entry(
    incident: Incident,
    *,
    kind: str,
    text: str,
    by: User,
    happened_at: dt.datetime | None = None,
    corrects: ChronologyEntry | None = None,
) -> ChronologyEntry:
    entry = ChronologyEntry(
        organisation_id=incident.organisation_id,
        incident=incident,
        kind=kind,
        text=text,
        author=by,
        happened_at=happened_at or timezone.now(),
        corrects=corrects,
    )
    entry.save()
    return entry


def _not_future(value: dt.datetime | dt.date, field: str, label: str) -> None:
    now = timezone.now() + dt.timedelta(minutes=5)
    if isinstance(value, dt.datetime) and value > now:
        raise ValidationError({field: f"{label} cannot be in the future."})
    if not isinstance(value, dt.datetime) and value > timezone.localdate():
        raise ValidationError({field: f"{label} cannot be in the future."})


def _evidence_kind(data: bytes) -> str | None:
    """What a file really is, from its first bytes, whatever its name says."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((kind for magic, kind in EVIDENCE_TYPES.items() if data.startswith(magic)), None)


def _evidence_save(
    incident: Incident, *, name: str, data: bytes, description: str, by: User
) -> Evidence:
    kind = _evidence_kind(data)
    if kind is None:
        raise ValidationError(
            {"evidence": "Upload a screenshot or file as PNG, JPEG, GIF, WebP or PDF."}
        )
    if len(data) > EVIDENCE_MAX_BYTES:
        raise ValidationError({"evidence": "The file is larger than 10 MB."})
    digest = hashlib.sha256(data).hexdigest()
    evidence = Evidence(
        organisation_id=incident.organisation_id,
        incident=incident,
        original_name=name[:200],
        kind=kind,
        size=len(data),
        sha256=digest,
        description=description[:300],
        uploaded_by=by,
    )
    # The stored name says nothing about the content; the original is kept as data.
    evidence.file.save(f"{incident.pk}-{digest[:20]}.{kind}", ContentFile(data), save=False)
    evidence.save()
    _entry(
        incident,
        kind=EntryKind.INFORMATION,
        by=by,
        text=f"Evidence added: {evidence.original_name} ({kind}, SHA-256 {digest[:16]}…)"
        + (f". {description}" if description else ""),
    )
    return evidence


@transaction.atomic
def incident_raise(
    *,
    reporter: User,
    children: list[Child],
    others_involved: str = "",
    occurred_at: dt.datetime,
    disclosed_at: dt.datetime,
    category: str,
    incident_type: str,
    platform: str = "",
    what_happened: str,
    childs_words: str = "",
    immediate_action: str = "",
    online_identifiers: str = "",
    initial_risk: str,
    evidence: tuple[str, bytes] | None = None,
) -> Incident:
    """A concern, as its reporter tells it. The DSL and deputies hear at once;
    a high risk or immediate danger is emailed to them straight away."""
    organisation = reporter.organisation
    if any(child.organisation_id != organisation.pk for child in children):
        raise ValidationError({"children": "Choose children of your own organisation."})
    if not children and not others_involved.strip():
        raise ValidationError(
            {"others_involved": "Choose the children involved, or describe who was involved."}
        )
    _not_future(occurred_at, "occurred_at", "When it happened")
    _not_future(disclosed_at, "disclosed_at", "When it was disclosed")
    if disclosed_at < occurred_at:
        raise ValidationError({"disclosed_at": "It cannot have been disclosed before it happened."})
    now = timezone.now()
    incident = Incident(
        organisation=organisation,
        reporter=reporter,
        reported_at=now,
        reference=_next_reference(organisation, timezone.localtime(now).year),
        others_involved=others_involved,
        occurred_at=occurred_at,
        disclosed_at=disclosed_at,
        category=category,
        incident_type=incident_type,
        platform=platform,
        what_happened=what_happened,
        childs_words=childs_words,
        immediate_action=immediate_action,
        online_identifiers=online_identifiers,
        initial_risk=initial_risk,
        risk=initial_risk,
    )
    incident._history_user = reporter  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    incident.save()
    incident.children.set(children)
    _entry(
        incident,
        kind=EntryKind.INFORMATION,
        by=reporter,
        happened_at=now,
        text=f"Concern raised by {reporter.full_name}: {incident.get_incident_type_display()} "
        f"({incident.get_category_display()}). Initial risk: "
        f"{incident.get_initial_risk_display()}.",
    )
    if evidence is not None:
        _evidence_save(incident, name=evidence[0], data=evidence[1], description="", by=reporter)
    audit.record(
        action="incident.raised",
        actor=reporter,
        obj=incident,
        details={
            "reference": incident.reference,
            "risk": initial_risk,
            "children": [child.pk for child in children],
        },
    )
    urgent = initial_risk in URGENT_RISKS
    # The title travels by email: the reference and the risk, never a child's name.
    title = (
        f"{'URGENT: ' if urgent else ''}New online-safety concern {incident.reference} "
        f"({incident.get_initial_risk_display().lower()} risk)"
    )
    url = reverse("incident_detail", args=[incident.pk])
    if not User.objects.of(organisation).dsl_and_deputies().exists():
        # Admins hear of it but cannot open it: they must appoint someone who can.
        title += ": nobody is DSL or deputy yet; appoint one to triage it"
        url = reverse("staff_list")
    reminders.notify_now(
        organisation=organisation,
        item=reminders.DueItem(
            kind="incidents.raised",
            obj=incident,
            stage="raised",
            recipients=list(User.objects.of(organisation).leads()),
            due_at=now,
            urgent=urgent,
            title=title,
            url=url,
        ),
    )
    return incident


def _open(incident: Incident) -> None:
    if incident.is_closed:
        raise ValidationError("This incident is closed.")


def _locked(incident: Incident) -> Incident:
    """The incident as it is now, locked until this transaction ends: two people
    (or one double click) acting at once see each other's change, not a stale copy."""
    return Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)


def _locked_referral(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().select_related("incident").get(pk=referral.pk)


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
        incident, kind=kind, text=text, by=by, happened_at=happened_at, corrects=corrects
    )
    audit.record(
        action="incident.entry_added",
        actor=by,
        obj=incident,
        details={"entry": entry.pk, "kind": kind, "corrects": corrects.pk if corrects else None},
    )
    return entry


@transaction.atomic
def evidence_add(
    *,
    incident: Incident,
    by: User,
    name: str,
    data: bytes,
    description: str = "",
) -> Evidence:
    evidence = _evidence_save(incident, name=name, data=data, description=description, by=by)
    audit.record(
        action="incident.evidence_added",
        actor=by,
        obj=incident,
        details={"evidence": evidence.pk, "sha256": evidence.sha256},
    )
    return evidence


@transaction.atomic
def referral_add(
    *,
    incident: Incident,
    by: User,
    agency: str,
    agency_other: str = "",
    referred_on: dt.date,
    reference: str = "",
    contact: str = "",
    chase_on: dt.date | None = None,
) -> Referral:
    incident = _locked(incident)
    _open(incident)
    if agency == Agency.OTHER and not agency_other.strip():
        raise ValidationError({"agency_other": "Name the agency."})
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
        made_by=by,
    )
    referral._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    referral.save()
    incident.status = Status.REFERRED
    incident._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    incident.save()
    text = f"Referred to {referral.agency_name} on {referred_on:%-d %B %Y}"
    text += f", reference {reference}" if reference else ", no reference given"
    text += f". Contact: {contact}." if contact else "."
    if chase_on:
        text += f" Chase on {chase_on:%-d %B %Y} if no outcome."
    _entry(incident, kind=EntryKind.REFERRAL, text=text, by=by)
    audit.record(
        action="incident.referred",
        actor=by,
        obj=incident,
        details={"referral": referral.pk, "agency": agency},
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
                "Your organisation asks a second DSL or deputy to sign off this closure, and "
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
        raise ValidationError("Only a DSL or deputy can sign off a closure.")
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


@transaction.atomic
def incident_access_grant(*, incident: Incident, staff: User, by: User) -> None:
    """Let one named member of staff see this one incident and add to it.
    Directors and admins are not offered: they see counts, never cases."""
    if (
        staff.organisation_id != incident.organisation_id
        or not staff.is_active
        or staff.role != Role.STAFF
    ):
        raise ValidationError({"staff": "Choose an active member of staff of your organisation."})
    if staff.has_perm("incidents.view_incident", incident):
        raise ValidationError({"staff": f"{staff.full_name} has access already."})
    assign_perm("view_incident", staff, incident)
    _entry(
        incident,
        kind=EntryKind.NOTE,
        by=by,
        text=f"{by.full_name} gave {staff.full_name} access to this incident.",
    )
    audit.record(
        action="incident.access_granted",
        actor=by,
        obj=incident,
        details={"staff": staff.pk},
    )


@transaction.atomic
def incident_access_revoke(*, incident: Incident, staff: User, by: User) -> None:
    if not staff.has_perm("incidents.view_incident", incident):
        raise ValidationError(f"{staff.full_name} has no access to end.")
    remove_perm("view_incident", staff, incident)
    _entry(
        incident,
        kind=EntryKind.NOTE,
        by=by,
        text=f"{by.full_name} ended {staff.full_name}'s access to this incident.",
    )
    audit.record(
        action="incident.access_revoked",
        actor=by,
        obj=incident,
        details={"staff": staff.pk},
    )
