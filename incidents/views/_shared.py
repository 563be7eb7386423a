"""What every incident page shares: the audited read and the one-step form."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpResponse
from django.urls import reverse

from accounts.http import AuthedRequest
from audit import services as audit
from common.views import form_step
from incidents.models import (
    Incident,
)

EVIDENCE_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}


def _read(request: AuthedRequest, incident: Incident, page: str) -> None:
    audit.record(
        action="incident.viewed",
        actor=request.user,
        obj=incident,
        details={"page": page},
    )


def _step(
    request: AuthedRequest,
    incident: Incident,
    form: forms.Form,
    *,
    title: str,
    intro: str,
    call: Callable[[dict[str, Any]], object],
    done: str | Callable[[object], str],
    page: str,
    button: str = "Save",
    then: Callable[[object], str] | None = None,
) -> HttpResponse:
    """One step of the workflow: a form, one service call, back to the incident
    (or, with ``then``, wherever what the call returned needs to go next)."""
    here = reverse("incident_detail", args=[incident.pk])
    return form_step(
        request,
        form,
        call=call,
        then=then or here,
        title=title,
        intro=intro,
        done=done,
        button=button,
        back=here,
        back_label=f"Back to {incident.reference}",
        caption=incident.reference,
        shown=lambda: _read(request, incident, page),  # the page shows the incident again
    )
