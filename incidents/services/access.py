"""Sharing one incident with a named member of staff, and taking it back."""

from django.core.exceptions import ValidationError
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Role, User
from audit import services as audit
from incidents.models import (
    EntryKind,
    Incident,
)
from incidents.services._shared import _entry


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
