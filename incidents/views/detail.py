"""One incident, as the DSL and the staff it is shared with read it."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.http import AuthedRequest
from accounts.models import User
from audit import services as audit
from audit.selectors import openers_of
from children.selectors import with_flags_for
from incidents.permissions import (
    get_incident_for_user,
    get_reported_incident_for_user,
    leads_incidents,
)
from incidents.views._shared import _read
from notices.engine import urgent_notices_about
from records import retention

# --- one incident ----------------------------------------------------------------------------


def incident_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The whole record for leads and named staff; the report as submitted for
    whoever raised it; 404 for everyone else."""
    user = request.user
    try:
        incident = get_incident_for_user(user, pk, "view")
    except Http404:
        incident = get_reported_incident_for_user(user, pk)  # 404 when not theirs either
        audit.record(action="incident.summary_viewed", actor=user, obj=incident)
        return render(
            request,
            "incidents/incident_summary.html",
            # Whoever raised a high-risk concern sees whether the leads were emailed.
            {"incident": incident, "urgent_notices": urgent_notices_about(incident)},
        )
    _read(request, incident, "detail")
    entries = list(
        incident.chronology.select_related("author").prefetch_related("corrections__author")
    )
    children = with_flags_for(user, incident.children.all())
    manages = leads_incidents(user)
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "entries": [entry for entry in entries if entry.corrects_id is None],
            # needs_sharing_record reads each referral's decisions: fetched in one query.
            "referrals": incident.referrals.select_related("made_by").prefetch_related(
                "sharing_decisions"
            ),
            "sharing_decisions": incident.sharing_decisions.select_related(
                "decided_by", "referral"
            ),
            "evidence": incident.evidence.select_related("uploaded_by"),
            "children": children,
            "manages": manages,
            # Leads only: who has read this record, from the audit log.
            "openers": openers_of(incident) if manages else [],
            "shared_with": User.objects.filter(
                incidentuserobjectpermission__content_object=incident
            ).distinct(),
            "today": timezone.localdate(),
            "holds": retention.holds_covering(
                incident.organisation_id,
                incident_id=incident.pk,
                child_ids=[child.pk for child in children],
            ),
            "sees_hold_reasons": True,  # leads, and staff the DSL chose to share it with
            "urgent_notices": urgent_notices_about(incident),
        },
    )
