"""Nudes and semi-nudes (UKCIS 2024): the rare decision to view the imagery.

Staff never view, copy, print, share or keep the imagery. Only the DSL (or a
deputy) may decide, rarely, that it has to be viewed, for example to judge an
immediate risk when it cannot be judged from what a child or a member of staff
describes; the guidance asks for that decision, who else was there and why to
be recorded. The record is a chronology entry (never changed) and an audit
event; the imagery itself is still never uploaded.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from audit import services as audit
from incidents.models import ChronologyEntry, EntryKind, Incident
from incidents.services._shared import _entry, _not_future


@transaction.atomic
def imagery_view_decision_record(
    *,
    incident: Incident,
    by: User,
    reason: str,
    others_present: str = "",
    viewed_at: dt.datetime,
) -> ChronologyEntry:
    """A lead's decision to view a nudes incident's imagery, as a composed
    chronology entry. Recorded whenever it happened, closed incident or not:
    a record never refuses what was done."""
    if not incident.is_nude_imagery:
        raise ValidationError("Only a nude or semi-nude image incident has imagery to view.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the imagery had to be viewed."})
    _not_future(viewed_at, "viewed_at", "When it was viewed")
    present = others_present.strip().rstrip(".")
    why = reason.strip().rstrip(".")
    text = (
        f"Decision to view the imagery, by {by.full_name}. Reason: {why}. "
        f"Also present: {present or 'nobody else'}. The imagery was not copied or stored."
    )
    entry = _entry(
        incident,
        kind=EntryKind.DECISION,
        text=text,
        by=by,
        happened_at=viewed_at,
    )
    audit.record(
        action="incident.imagery_view_decided",
        actor=by,
        obj=incident,
        details={"entry": entry.pk, "others_present": bool(present)},
    )
    return entry
