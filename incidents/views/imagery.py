"""Nudes and semi-nudes: a lead records a decision to view the imagery."""

from django.http import Http404, HttpResponse

from accounts.http import AuthedRequest
from incidents import forms as incident_forms
from incidents import services
from incidents.permissions import get_incident_for_user
from incidents.views._shared import _step


def imagery_view_decision(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "manage")
    if not incident.is_nude_imagery:
        raise Http404  # no imagery to decide about
    form = incident_forms.ImageryViewDecisionForm(request.POST or None)
    return _step(
        request,
        incident,
        form,
        title="Record a decision to view the imagery",
        page="imagery_view_decision",
        intro=f"Only the {request.user.organisation.titles.short} decides, and rarely, "
        "that nude or semi-nude imagery has to be viewed (UKCIS 2024). Never copy, print, "
        "share or store it. Record why, who else was there and when; the record goes "
        "into the chronology and cannot be changed.",
        call=lambda data: services.imagery_view_decision_record(
            incident=incident, by=request.user, **data
        ),
        done="Decision recorded in the chronology.",
        button="Record the decision",
    )
