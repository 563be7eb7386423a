"""Evidence: added to an incident, read back through a permission check."""

from typing import Any

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render

from accounts.http import AuthedRequest
from audit import services as audit
from incidents import forms as incident_forms
from incidents import services
from incidents.models import NUDE_IMAGERY_REFUSAL, Evidence
from incidents.permissions import (
    get_evidence_for_user,
    get_incident_for_user,
)
from incidents.views._shared import EVIDENCE_CONTENT_TYPES, _step


def evidence_add(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "contribute")
    form = incident_forms.EvidenceForm(
        request.POST or None, request.FILES or None, incident=incident
    )

    def save(data: dict[str, Any]) -> object:
        upload = data["evidence"]
        return services.evidence_add(
            incident=incident,
            by=request.user,
            name=upload.name,
            data=upload.read(),
            description=data["description"],
        )

    return _step(
        request,
        incident,
        form,
        title="Add evidence",
        page="evidence",
        intro=(
            "No file can be added to a nude or semi-nude image incident. " + NUDE_IMAGERY_REFUSAL
            if incident.is_nude_imagery
            else "Screenshots and files are stored privately and only ever downloaded "
            "through this page's permission check. Never store indecent images of "
            "children: describe them instead."
        ),
        call=save,
        done="Evidence added.",
    )


def evidence_download(request: AuthedRequest, pk: int) -> FileResponse:
    evidence = get_evidence_for_user(request.user, pk)
    if evidence.file_withheld_because:
        # Stored before nudes incidents refused files: never downloaded (UKCIS 2024).
        raise Http404
    audit.record(
        action="incident.evidence_downloaded",
        actor=request.user,
        obj=evidence.incident,
        details={"evidence": evidence.pk},
    )
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        content_type=EVIDENCE_CONTENT_TYPES.get(evidence.kind, "application/octet-stream"),
        filename=f"{evidence.incident.reference}-evidence-{evidence.pk}.{evidence.kind}",
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def _previewable(request: AuthedRequest, pk: int) -> Evidence:
    """An image the reader may see; 404 for anything else (a PDF stays a download).
    A nudes incident's imagery is never shown, whatever was stored before that
    rule (UKCIS 2024)."""
    evidence = get_evidence_for_user(request.user, pk)
    if not evidence.is_image or evidence.incident.is_nude_imagery:
        raise Http404
    return evidence


def evidence_preview(request: AuthedRequest, pk: int) -> HttpResponse:
    evidence = _previewable(request, pk)
    audit.record(
        action="evidence.previewed",
        actor=request.user,
        obj=evidence.incident,
        details={"evidence": evidence.pk},
    )
    response = render(request, "incidents/evidence_preview.html", {"evidence": evidence})
    response["Cache-Control"] = "no-store, private"
    return response


def evidence_image(request: AuthedRequest, pk: int) -> FileResponse:
    """The image's bytes, for the preview page's <img>: shown inline, kept in no cache."""
    evidence = _previewable(request, pk)
    audit.record(
        action="evidence.image_viewed",
        actor=request.user,
        obj=evidence.incident,
        details={"evidence": evidence.pk},
    )
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=False,
        content_type=EVIDENCE_CONTENT_TYPES[evidence.kind],
        filename=f"{evidence.incident.reference}-evidence-{evidence.pk}.{evidence.kind}",
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Opened on its own, the image still runs nothing and loads nothing.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response
