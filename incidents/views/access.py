"""Sharing one incident with a named member of staff; the log's settings."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from accounts.models import Role, User
from accounts.permissions import is_admin
from incidents import forms as incident_forms
from incidents import services
from incidents.permissions import (
    get_incident_for_user,
    leads_incidents,
)
from incidents.views._shared import _step


def incident_access(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "manage")
    staff = User.objects.filter(
        organisation_id=incident.organisation_id,
        is_active=True,
        is_superuser=False,
        role=Role.STAFF,
    )
    form = incident_forms.AccessForm(request.POST or None, staff=staff)
    return _step(
        request,
        incident,
        form,
        title="Share this incident",
        page="access",
        intro="The person you choose can read this incident's whole record and add "
        "to its chronology, but not triage, refer or close it.",
        call=lambda data: services.incident_access_grant(
            incident=incident, by=request.user, **data
        ),
        done="Access given.",
        button="Give access",
    )


@require_POST
def incident_access_revoke(request: AuthedRequest, pk: int, staff_pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "manage")
    staff = User.objects.filter(organisation_id=incident.organisation_id, pk=staff_pk).first()
    if staff is None:
        raise Http404
    try:
        services.incident_access_revoke(incident=incident, staff=staff, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{staff.full_name} no longer has access.")
    return redirect("incident_detail", pk=incident.pk)


def incident_settings(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not (leads_incidents(user) or is_admin(user)):
        raise PermissionDenied
    current = services.settings_for(user.organisation)
    form = incident_forms.IncidentSettingsForm(
        request.POST or None, initial={"second_signoff": current.second_signoff}
    )
    if request.method == "POST" and form.is_valid():
        services.incident_settings_update(
            organisation=user.organisation, by=user, **form.cleaned_data
        )
        messages.success(request, "Incident settings saved.")
        return redirect("incident_list" if leads_incidents(user) else "home")
    return render(request, "incidents/settings.html", {"form": form})
