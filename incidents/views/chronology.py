"""A child's chronology, on screen, as a PDF and as a section of the child's page."""

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from accounts.http import AuthedRequest
from audit import services as audit
from children.models import Child
from children.permissions import get_child_for_user
from common.pdf import pdf_response
from incidents import timeline
from incidents.pdf import render_child_chronology_pdf
from incidents.permissions import (
    incidents_visible_to,
    leads_incidents,
    received_files_visible_to,
    transfers_visible_to,
)
from incidents.transfer_models import FileTransfer, ReceivedFile, TransferNotNeeded

# --- a child's chronology --------------------------------------------------------------------


def _child_for_chronology(request: AuthedRequest, pk: int) -> Child:
    # The child first: another organisation's child is a 404 whoever asks.
    child = get_child_for_user(request.user, pk, "view")
    if not leads_incidents(request.user):
        raise PermissionDenied
    return child


def child_chronology(request: AuthedRequest, pk: int) -> HttpResponse:
    child = _child_for_chronology(request, pk)
    audit.record(action="child.chronology_viewed", actor=request.user, obj=child)
    return render(
        request,
        "incidents/child_chronology.html",
        {
            "child": child,
            "items": timeline.child_timeline(child),
        },
    )


def child_chronology_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    child = _child_for_chronology(request, pk)
    items = timeline.child_timeline(child)
    exported_at = timezone.now()
    content = render_child_chronology_pdf(
        child=child, items=items, exported_by=request.user.full_name, exported_at=exported_at
    )
    # Recorded once the PDF exists (an export that failed exported nothing), with
    # the digest of exactly what was handed out.
    audit.record(
        action="child.chronology_exported",
        actor=request.user,
        obj=child,
        details={"items": len(items), "sha256": hashlib.sha256(content).hexdigest()},
    )
    return pdf_response(content, f"chronology-{child.pk}-{exported_at:%Y%m%d}.pdf")


# --- the child's page section ---------------------------------------------------------------


def _received_entries(received: ReceivedFile) -> list[dict[str, object]]:
    """The chronology another setting sent, as it was sent, with its UTC times
    read back as times (shown in the organisation's timezone); anything that is
    not an entry is left out rather than guessed at."""
    entries = []
    chronology = received.records.get("chronology") if isinstance(received.records, dict) else []
    for item in chronology if isinstance(chronology, list) else []:
        if not isinstance(item, dict):
            continue
        entry = dict(item)
        for key in ("when", "recorded_at"):
            try:
                entry[key] = dt.datetime.fromisoformat(str(item.get(key)))
            except ValueError:
                entry[key] = None
        corrections = item.get("corrections")
        entry["corrections"] = (
            [c for c in corrections if isinstance(c, dict)] if isinstance(corrections, list) else []
        )
        entries.append(entry)
    return entries


def child_section(request: AuthedRequest, child: Child) -> SafeString:
    """A lead sees the child's incidents, the child protection files sent for
    them and any received from another setting; anyone who sees the child can
    raise a concern."""
    incidents = None
    transfers: list[FileTransfer] = []
    received: list[ReceivedFile] = []
    not_needed = False
    if leads_incidents(request.user):
        incidents = list(incidents_visible_to(request.user).filter(children=child))
        audit.record(action="child.incidents_listed", actor=request.user, obj=child)
        transfers = list(transfers_visible_to(request.user).filter(child=child))
        received = list(
            received_files_visible_to(request.user)
            .filter(child=child)
            .select_related("imported_by")
        )
        not_needed = TransferNotNeeded.objects.filter(child=child).exists()
        for received_file in received:
            # The transferred chronology is shown below: a read of a safeguarding record.
            audit.record(
                action="incident.received_file_viewed",
                actor=request.user,
                obj=child,
                details={"received_file": received_file.pk},
            )
    # A rendered template is already a SafeString: no mark_safe needed.
    return render_to_string(
        "incidents/child_section.html",
        {
            "child": child,
            "incidents": incidents,
            "transfers": transfers,
            "received": [(file, _received_entries(file)) for file in received],
            "not_needed": not_needed,
        },
        request=request,
    )
