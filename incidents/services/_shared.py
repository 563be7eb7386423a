"""Every write to the incident log: its checks, its chronology line, its audit
event and who is told.

The workflow runs new → triaged → action → referred → closed. Each step writes
a chronology entry as well as changing the incident, so the chronology alone
tells a case conference what was decided, by whom and when.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from incidents.models import (
    ChronologyEntry,
    Incident,
    Referral,
)

EVIDENCE_TYPES = {
    b"%PDF": "pdf",
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpg",
    b"GIF87a": "gif",
    b"GIF89a": "gif",
}


def _entry(
    incident: Incident,
    *,
    kind: str,
    text: str,
    by: User,
    happened_at: dt.datetime | None = None,
    corrects: ChronologyEntry | None = None,
    composed: bool = True,
) -> ChronologyEntry:
    """A chronology line; ``composed`` unless a person wrote its words."""
    entry = ChronologyEntry(
        organisation_id=incident.organisation_id,
        incident=incident,
        kind=kind,
        text=text,
        author=by,
        happened_at=happened_at or timezone.now(),
        corrects=corrects,
        composed=composed,
    )
    entry.save()
    return entry


def _not_future(value: dt.datetime | dt.date, field: str, label: str) -> None:
    now = timezone.now() + dt.timedelta(minutes=5)
    if isinstance(value, dt.datetime) and value > now:
        raise ValidationError({field: f"{label} cannot be in the future."})
    if not isinstance(value, dt.datetime) and value > timezone.localdate():
        raise ValidationError({field: f"{label} cannot be in the future."})


def _open(incident: Incident) -> None:
    if incident.is_closed:
        raise ValidationError("This incident is closed.")


def _locked(incident: Incident) -> Incident:
    """The incident as it is now, locked until this transaction ends: two people
    (or one double click) acting at once see each other's change, not a stale copy."""
    return (
        Incident.objects.select_for_update(no_key=True, of=("self",))
        .select_related("organisation")
        .get(pk=incident.pk)
    )


def _locked_referral(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update(no_key=True, of=("self",))
        .select_related("incident")
        .get(pk=referral.pk)
    )
