"""Every write to the allegations log: its checks, its log line, its audit
event and who is told.

Whoever is told is the DSL and deputies and the case manager, never the member
of staff the allegation is about: a notice or email to them would tell them
before the LADO has advised what they may be told.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, Role, User
from accounts.references import next_reference
from allegations.models import (
    Allegation,
    AllegationEntry,
    EntryKind,
    Kind,
    Outcome,
    ReferenceCounter,
    Status,
)
from allegations.permissions import told_about
from audit import services as audit
from children.models import Child
from notices import engine as reminders


def _next_reference(organisation: Organisation, year: int) -> str:
    return next_reference(ReferenceCounter, organisation=organisation, year=year, prefix="AL")


def default_case_manager(*, organisation: Organisation, about: User, raised_by: User) -> User:
    """Who manages the case until a lead names someone else: the DSL, else a
    deputy, else the director, else an admin; never the person it is about."""
    others = User.objects.of(organisation).active().exclude(pk=about.pk)
    for roles in ({Role.DSL}, {Role.DEPUTY_DSL}, {Role.DIRECTOR}, {Role.ADMIN}):
        found = others.filter(role__in=roles).order_by("pk").first()
        if found is not None:
            return found
    if raised_by.pk != about.pk:
        return raised_by
    raise ValidationError(
        "Nobody else in your organisation can manage this. Contact your local "
        "authority's designated officer (LADO) directly."
    )


def _entry(
    allegation: Allegation,
    *,
    kind: str,
    text: str,
    by: User,
    happened_at: dt.datetime | None = None,
) -> AllegationEntry:
    entry = AllegationEntry(
        organisation_id=allegation.organisation_id,
        allegation=allegation,
        kind=kind,
        text=text,
        author=by,
        happened_at=happened_at or timezone.now(),
    )
    entry.save()
    return entry


def _locked(allegation: Allegation) -> Allegation:
    """The allegation as it is now, locked until this transaction ends, so two
    people acting at once see each other's change."""
    return (
        Allegation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("organisation", "case_manager")
        .get(pk=allegation.pk)
    )


def _open(allegation: Allegation) -> None:
    if allegation.is_closed:
        raise ValidationError("This allegation is closed.")


def _not_future(value: dt.date, field: str, label: str) -> None:
    if value > timezone.localdate():
        raise ValidationError({field: f"{label} cannot be in the future."})


@transaction.atomic
def allegation_raise(
    *,
    raised_by: User,
    kind: str,
    about: User,
    what_was_alleged: str,
    children: list[Child] | None = None,
) -> Allegation:
    """An allegation or low-level concern, as the person raising it tells it.
    The leads and the case manager hear at once; the person it is about does not."""
    organisation = raised_by.organisation
    children = children or []
    if about.organisation_id != organisation.pk:
        raise ValidationError({"about": "Choose a member of staff of your own organisation."})
    if any(child.organisation_id != organisation.pk for child in children):
        raise ValidationError({"children": "Choose children of your own organisation."})
    if kind not in Kind.values:
        raise ValidationError({"kind": "Choose whether this is an allegation or a concern."})
    if not what_was_alleged.strip():
        raise ValidationError({"what_was_alleged": "Say what was alleged or what you saw."})
    now = timezone.now()
    allegation = Allegation(
        organisation=organisation,
        reference=_next_reference(organisation, timezone.localtime(now).year),
        kind=kind,
        about=about,
        raised_by=raised_by,
        received_at=now,
        what_was_alleged=what_was_alleged,
        case_manager=default_case_manager(
            organisation=organisation, about=about, raised_by=raised_by
        ),
    )
    allegation._history_user = raised_by  # type: ignore[attr-defined]  # read by simple-history
    allegation.save()
    allegation.children.set(children)
    _entry(
        allegation,
        kind=EntryKind.INFORMATION,
        by=raised_by,
        happened_at=now,
        text=f"{allegation.get_kind_display()} raised by {raised_by.full_name}. "
        f"Case manager: {allegation.case_manager.full_name}.",
    )
    audit.record(
        action="allegation.raised",
        actor=raised_by,
        obj=allegation,
        details={"reference": allegation.reference, "kind": kind},
    )
    urgent = kind == Kind.ALLEGATION
    reminders.notify_now(
        organisation=organisation,
        item=reminders.DueItem(
            kind="allegations.raised",
            obj=allegation,
            stage="raised",
            recipients=told_about(allegation),
            due_at=now,
            urgent=urgent,
            # Emailed: the reference only, never who it is about nor any child.
            title=(
                f"New allegation about a member of staff {allegation.reference}: "
                "refer to the LADO within one working day"
                if urgent
                else f"New low-level concern about a member of staff {allegation.reference}"
            ),
            url=reverse("allegation_detail", args=[allegation.pk]),
        ),
    )
    return allegation


@transaction.atomic
def allegation_case_manager_set(
    *, allegation: Allegation, by: User, case_manager: User, reason: str
) -> Allegation:
    """Name another case manager (KCSIE: usually the head of the organisation,
    or the chair where it is about them). Never the person it is about."""
    allegation = _locked(allegation)
    _open(allegation)
    if case_manager.organisation_id != allegation.organisation_id or not case_manager.is_active:
        raise ValidationError({"case_manager": "Choose an active member of your organisation."})
    if case_manager.pk == allegation.about_id:
        raise ValidationError(
            {"case_manager": "The person it is about cannot manage their own case."}
        )
    if case_manager.pk == allegation.case_manager_id:
        raise ValidationError({"case_manager": "They are the case manager already."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the case manager changes."})
    previous = allegation.case_manager
    allegation.case_manager = case_manager
    allegation._history_user = by  # type: ignore[attr-defined]  # read by simple-history
    allegation.save()
    _entry(
        allegation,
        kind=EntryKind.DECISION,
        by=by,
        text=f"Case manager changed from {previous.full_name} to {case_manager.full_name}. "
        f"{reason}",
    )
    audit.record(
        action="allegation.case_manager_changed",
        actor=by,
        obj=allegation,
        details={"from": previous.pk, "to": case_manager.pk},
    )
    reminders.notify_now(
        organisation=allegation.organisation,
        item=reminders.DueItem(
            kind="allegations.case_manager",
            obj=allegation,
            stage=f"manager-{case_manager.pk}",
            recipients=[case_manager],
            due_at=timezone.now(),
            title=f"You are now the case manager of {allegation.reference}",
            url=reverse("allegation_detail", args=[allegation.pk]),
        ),
    )
    return allegation


@transaction.atomic
def allegation_entry_add(
    *, allegation: Allegation, by: User, kind: str, text: str, happened_at: dt.datetime
) -> AllegationEntry:
    allegation = _locked(allegation)
    if happened_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"happened_at": "When it happened cannot be in the future."})
    if happened_at < allegation.received_at - dt.timedelta(days=3650):
        raise ValidationError({"happened_at": "Check the date: it is long before the report."})
    if not text.strip():
        raise ValidationError({"text": "Say what was done."})
    entry = _entry(allegation, kind=kind, text=text, by=by, happened_at=happened_at)
    audit.record(
        action="allegation.entry_added", actor=by, obj=allegation, details={"entry": entry.pk}
    )
    return entry


@transaction.atomic
def allegation_lado_record(
    *,
    allegation: Allegation,
    by: User,
    referred_on: dt.date,
    reference: str = "",
    advice: str = "",
) -> Allegation:
    """The referral to the LADO: it stops the one-working-day reminders."""
    allegation = _locked(allegation)
    _open(allegation)
    _not_future(referred_on, "referred_on", "The referral date")
    if referred_on < timezone.localtime(allegation.received_at).date():
        raise ValidationError({"referred_on": "It cannot have been referred before it was raised."})
    allegation.lado_referred_on = referred_on
    allegation.lado_reference = reference
    allegation.lado_advice = advice
    if allegation.status == Status.OPEN:
        allegation.status = Status.REFERRED
    allegation._history_user = by  # type: ignore[attr-defined]  # read by simple-history
    allegation.save()
    _entry(
        allegation,
        kind=EntryKind.LADO,
        by=by,
        text=f"Referred to the LADO on {referred_on:%-d %B %Y}"
        + (f" (their reference {reference})" if reference else "")
        + (f". Advice: {advice}" if advice else "."),
    )
    audit.record(
        action="allegation.lado_referred",
        actor=by,
        obj=allegation,
        details={"referred_on": str(referred_on)},
    )
    return allegation


@transaction.atomic
def allegation_outcome_record(
    *, allegation: Allegation, by: User, outcome: str, outcome_on: dt.date, rationale: str
) -> Allegation:
    allegation = _locked(allegation)
    _open(allegation)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose one of the five outcomes."})
    _not_future(outcome_on, "outcome_on", "The date of the outcome")
    if outcome_on < timezone.localtime(allegation.received_at).date():
        raise ValidationError({"outcome_on": "The outcome cannot come before the allegation."})
    if not rationale.strip():
        raise ValidationError({"rationale": "Give the reasons for the outcome."})
    allegation.outcome = outcome
    allegation.outcome_on = outcome_on
    allegation.outcome_by = by
    allegation.outcome_rationale = rationale
    allegation.status = Status.OUTCOME
    allegation._history_user = by  # type: ignore[attr-defined]  # read by simple-history
    allegation.save()
    _entry(
        allegation,
        kind=EntryKind.DECISION,
        by=by,
        text=f"Outcome: {Outcome(outcome).label}. {rationale}",
    )
    audit.record(
        action="allegation.outcome_recorded", actor=by, obj=allegation, details={"outcome": outcome}
    )
    return allegation


@transaction.atomic
def allegation_close(*, allegation: Allegation, by: User, note: str) -> Allegation:
    """Closing needs an outcome for an allegation; a low-level concern may close
    without one. An allegation is closed only once the LADO has been told (or,
    for a concern, a lead decided it need not be)."""
    allegation = _locked(allegation)
    _open(allegation)
    if allegation.kind == Kind.ALLEGATION and not allegation.outcome:
        raise ValidationError("Record the outcome before closing an allegation.")
    if allegation.kind == Kind.ALLEGATION and allegation.lado_referred_on is None:
        raise ValidationError("Record the referral to the LADO before closing an allegation.")
    if not note.strip():
        raise ValidationError({"note": "Say why it is closed."})
    allegation.status = Status.CLOSED
    allegation.closed_at = timezone.now()
    allegation.closed_by = by
    allegation._history_user = by  # type: ignore[attr-defined]  # read by simple-history
    allegation.save()
    _entry(allegation, kind=EntryKind.DECISION, by=by, text=f"Closed. {note}")
    audit.record(action="allegation.closed", actor=by, obj=allegation)
    return allegation
