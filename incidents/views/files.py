"""Evidence: added to an incident, read back through a permission check."""

from typing import Any

from django.http import FileResponse, HttpResponse

from accounts.http import AuthedRequest
from audit import services as audit
from incidents import forms as incident_forms
from incidents import services
from incidents.permissions import (
    get_evidence_for_user,
    get_incident_for_user,
)
from incidents.views._shared import EVIDENCE_CONTENT_TYPES, _step


def evidence_add(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "contribute")
    form = incident_forms.EvidenceForm(request.POST or None, request.FILES or None)

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
        intro="Screenshots and files are stored privately and only ever downloaded "
        "through this page's permission check. Never store indecent images of "
        "children: describe them instead.",
        call=save,
        done="Evidence added.",
    )


def evidence_download(request: AuthedRequest, pk: int) -> FileResponse:
    evidence = get_evidence_for_user(request.user, pk)
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
