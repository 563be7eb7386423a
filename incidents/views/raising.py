"""Raising a concern, and what its reporter sees afterwards."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.http import AuthedRequest
from audit import services as audit
from children.permissions import children_visible_to
from common.forms import service_errors_onto
from incidents import forms as incident_forms
from incidents import services
from incidents.models import NUDE_IMAGERY_NOT_KEPT
from incidents.permissions import (
    get_reported_incident_for_user,
)

# --- raising a concern ---------------------------------------------------------------------


def incident_new(request: AuthedRequest) -> HttpResponse:
    """Any member of staff, about any child they can see (or described in words)."""
    children = children_visible_to(request.user).order_by("first_name", "last_name")
    initial = {}
    wanted = request.GET.get("child", "")
    if request.method == "GET" and wanted.isascii() and wanted.isdigit():
        child = children.filter(pk=int(wanted)).first()
        initial = {"children": [child]} if child else {}
    form = incident_forms.ConcernForm(
        request.POST or None, request.FILES or None, children=children, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.pop("evidence")
        try:
            incident = services.incident_raise(
                reporter=request.user,
                children=list(data.pop("children", [])),
                evidence=(upload.name, upload.read()) if upload else None,
                **data,
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            if upload and incident.is_nude_imagery:
                messages.warning(request, f"Your concern is recorded. {NUDE_IMAGERY_NOT_KEPT}")
            return redirect("incident_raised", pk=incident.pk)
    return render(request, "incidents/incident_new.html", {"form": form})


def incident_raised(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_reported_incident_for_user(request.user, pk)
    audit.record(
        action="incident.summary_viewed",
        actor=request.user,
        obj=incident,
        details={"page": "raised"},
    )
    return render(request, "incidents/incident_raised.html", {"incident": incident})
