"""Who may see or change an incident.

The DSL and deputies see every incident of their organisation. A member of
staff a DSL names sees that one incident. Whoever raised a concern sees what
they reported and nothing added later. Directors see counts only. Anyone else,
and anyone of another organisation, gets a 404 that does not confirm the
incident exists.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.induction import require_induction
from accounts.models import LEAD_ROLES, Role, User
from incidents.models import Evidence, Incident, IncidentQuerySet, Referral
from incidents.transfer_models import FileTransfer, ReceivedFile

INCIDENT_PERMS = frozenset({"view", "contribute", "manage"})


def _active(user: User) -> bool:
    return user.is_authenticated and user.is_active


def leads_incidents(user: User) -> bool:
    """The DSL and deputies: triage, refer, close, and see every incident."""
    return _active(user) and user.role in LEAD_ROLES


def sees_incident_counts(user: User) -> bool:
    """Aggregates, never cases: for leads, directors and admins."""
    return _active(user) and user.role in {*LEAD_ROLES, Role.DIRECTOR, Role.ADMIN}


def incidents_counted_for(user: User) -> IncidentQuerySet:
    """The incidents a user may count (never open): their organisation's, for
    those who see counts."""
    if not sees_incident_counts(user):
        return Incident.objects.none()
    return Incident.objects.filter(organisation_id=user.organisation_id)


def incidents_visible_to(user: User) -> IncidentQuerySet:
    """Incidents whose whole record the user may read."""
    if not _active(user):
        return Incident.objects.none()
    organisation_incidents = Incident.objects.filter(organisation_id=user.organisation_id)
    if leads_incidents(user):
        return organisation_incidents
    return organisation_incidents.filter(
        incidentuserobjectpermission__user=user,
        incidentuserobjectpermission__permission__codename="view_incident",
    ).distinct()


def reported_by(user: User) -> QuerySet[Incident]:
    """Concerns the user raised: their own report, whatever became of it."""
    if not _active(user):
        return Incident.objects.none()
    return Incident.objects.filter(organisation_id=user.organisation_id, reporter_id=user.pk)


def get_incident_for_user(user: User, pk: int | str, perm: str = "view") -> Incident:
    """One whole incident. "view" and "contribute" (add chronology entries and
    evidence) for leads and named staff; "manage" (triage, refer, close) for
    leads only: 404 when not visible, 403 when visible but not manageable."""
    if perm not in INCIDENT_PERMS:
        raise ValueError(f"unknown permission {perm!r}")
    try:
        incident = incidents_visible_to(user).select_related("organisation", "reporter").get(pk=pk)
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if perm == "manage" and not leads_incidents(user):
        raise PermissionDenied
    require_induction(user)
    return incident


def get_reported_incident_for_user(user: User, pk: int | str) -> Incident:
    """The reporter's own report, for the summary page."""
    try:
        return reported_by(user).get(pk=pk)
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_referral_for_user(user: User, pk: int | str) -> Referral:
    """A referral, to record its outcome or a chase: leads only."""
    if not leads_incidents(user):
        raise Http404
    try:
        return Referral.objects.select_related("incident").get(
            pk=pk, organisation_id=user.organisation_id
        )
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_evidence_for_user(user: User, pk: int | str) -> Evidence:
    """A stored file, for whoever may read its incident's whole record."""
    try:
        evidence = Evidence.objects.select_related("incident").get(
            pk=pk, incident__in=incidents_visible_to(user)
        )
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    require_induction(user)
    return evidence


def transfers_visible_to(user: User) -> QuerySet[FileTransfer]:
    """Child protection files the organisation sent: leads only."""
    if not leads_incidents(user):
        return FileTransfer.objects.none()
    return FileTransfer.objects.filter(organisation_id=user.organisation_id)


def get_transfer_for_user(user: User, pk: int | str) -> FileTransfer:
    """One transfer, for the leads of the organisation that sent it; 404 for anyone else."""
    try:
        transfer = transfers_visible_to(user).select_related("child", "created_by").get(pk=pk)
    except (FileTransfer.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    require_induction(user)
    return transfer


def received_files_visible_to(user: User) -> QuerySet[ReceivedFile]:
    """Files received from other settings: leads only, like the incidents they hold."""
    if not leads_incidents(user):
        return ReceivedFile.objects.none()
    return ReceivedFile.objects.filter(organisation_id=user.organisation_id)


def get_received_file_for_user(user: User, pk: int | str) -> ReceivedFile:
    try:
        received = received_files_visible_to(user).select_related("child").get(pk=pk)
    except (ReceivedFile.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    require_induction(user)
    return received
