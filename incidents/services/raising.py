"""Raising a concern: the reference, the report, its evidence."""

import datetime as dt
import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.references import next_reference
from audit import services as audit
from children.models import Child
from common.uploads import UploadRefused, pdf_check
from incidents.models import (
    CATEGORY_REQUIRED,
    EVIDENCE_MAX_BYTES,
    NUDE_IMAGERY_REFUSAL,
    NUDE_IMAGERY_TYPES,
    URGENT_RISKS,
    Category,
    EntryKind,
    Evidence,
    Incident,
    IncidentType,
    ReferenceCounter,
)
from incidents.services._shared import EVIDENCE_TYPES, _entry, _not_future
from notices import engine as reminders


def _next_reference(organisation: Organisation, year: int) -> str:
    return next_reference(ReferenceCounter, organisation=organisation, year=year, prefix="OS")


def _evidence_kind(data: bytes) -> str | None:
    """What a file really is, from its first bytes, whatever its name says."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((kind for magic, kind in EVIDENCE_TYPES.items() if data.startswith(magic)), None)


def _evidence_checked(data: bytes) -> str:
    """The evidence's kind, once it is known to be one we keep and, for a PDF,
    to carry nothing that would run when the DSL opens it."""
    kind = _evidence_kind(data)
    if kind is None:
        raise ValidationError(
            {"evidence": "Upload a screenshot or file as PNG, JPEG, GIF, WebP or PDF."}
        )
    if len(data) > EVIDENCE_MAX_BYTES:
        raise ValidationError({"evidence": "The file is larger than 10 MB."})
    if kind == "pdf":
        try:
            pdf_check(data)
        except UploadRefused as error:
            raise ValidationError({"evidence": str(error)}) from error
    return kind


def _evidence_save(
    incident: Incident,
    *,
    name: str,
    data: bytes,
    description: str,
    by: User,
    kind: str | None = None,
) -> Evidence:
    if incident.is_nude_imagery:
        # UKCIS 2024: the imagery is never stored, and a PDF or any file can carry it.
        raise ValidationError({"evidence": NUDE_IMAGERY_REFUSAL})
    kind = kind or _evidence_checked(data)
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
    category: str = "",
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
    a high risk or immediate danger is emailed to them straight away. A file
    offered with a nudes concern is dropped, and the chronology says so."""
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
    if incident_type == IncidentType.DATA_BREACH:
        category = ""  # a personal data breach is its own kind, not one of the 4 Cs
    elif category not in Category.values:
        raise ValidationError({"category": CATEGORY_REQUIRED})
    # The imagery is never stored (UKCIS 2024), but the concern always is: a
    # reporter who attached a file loses nothing they wrote, and the DSL is told
    # a file existed, so they can make sure no copy is kept.
    imagery_offered = evidence is not None and incident_type in NUDE_IMAGERY_TYPES
    if imagery_offered:
        evidence = None
    # Before the incident takes a reference: a refused file leaves nothing behind.
    evidence_kind = _evidence_checked(evidence[1]) if evidence is not None else None
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
        text=f"Concern raised by {reporter.full_name}: {incident.get_incident_type_display()}"
        + (f" ({incident.get_category_display()})" if incident.category else "")
        + f". Initial risk: {incident.get_initial_risk_display()}.",
    )
    if imagery_offered:
        _entry(
            incident,
            kind=EntryKind.INFORMATION,
            by=reporter,
            happened_at=now,
            text="A file was attached when this concern was raised. It was not stored: "
            "nude or semi-nude imagery is never stored. Check that no copy is kept on "
            "the reporter's device or account.",
        )
    if evidence is not None:
        _evidence_save(
            incident,
            name=evidence[0],
            data=evidence[1],
            description="",
            by=reporter,
            kind=evidence_kind,
        )
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
        title += f": nobody is {organisation.titles.short} or deputy yet; appoint one to triage it"
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
