"""Sending a child's protection file to their new setting, and importing one
another setting sent: leads only (the DSL and deputies)."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.http import AuthedRequest
from audit import services as audit
from children.permissions import children_visible_to
from common.forms import service_errors_onto
from common.views import form_step
from common.working_days import working_days_between
from incidents.permissions import (
    get_received_file_for_user,
    get_transfer_for_user,
    leads_incidents,
    transfers_visible_to,
)
from incidents.services import transfers as services
from incidents.transfer_forms import ImportForm, TransferForm, TransferNotNeededForm
from incidents.transfer_models import FileTransfer
from incidents.views.chronology import _child_for_chronology


def transfer_clock(transfer: FileTransfer, today: dt.date) -> str:
    """ "due by 9 December 2026, 3 working days left", in words a lead reads at a glance."""
    due = f"due by {transfer.due_on:%-d %B %Y}"
    if transfer.received_at is not None:
        return f"{due}; receipt confirmed on {timezone.localtime(transfer.received_at):%-d %B %Y}"
    if today > transfer.due_on:
        late = working_days_between(transfer.due_on, today)
        return f"{due}; overdue by {late} working day{'s' if late != 1 else ''}"
    left = working_days_between(today, transfer.due_on)
    return f"{due}, {left} working day{'s' if left != 1 else ''} left"


def _leads_only(request: AuthedRequest) -> None:
    if not leads_incidents(request.user):
        raise PermissionDenied


def transfer_new(request: AuthedRequest, pk: int) -> HttpResponse:
    child = _child_for_chronology(request, pk)
    form = TransferForm(
        request.POST or None,
        initial={"left_on": child.discharged_on or timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            started = services.transfer_start(child=child, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            # Shown in this response and nowhere else: no redirect, no session, so
            # the passphrase is never stored.
            return render(
                request,
                "incidents/transfer_created.html",
                {
                    "transfer": started.transfer,
                    "passphrase": started.passphrase,
                    "clock": transfer_clock(started.transfer, timezone.localdate()),
                },
            )
    return render(
        request,
        "common/form_step.html",
        {
            "form": form,
            "title": "Send the child protection file",
            "intro": f"The file holds {child.display_name}'s chronology and records, "
            "encrypted with a passphrase you will be shown once. The recipient gets a "
            "single-use link by email; you give them the passphrase another way.",
            "button": "Send the file",
            "back": reverse("child_detail", args=[child.pk]),
            "back_label": f"Back to {child.display_name}",
            "caption": child.display_name,
        },
    )


def transfer_not_needed(request: AuthedRequest, pk: int) -> HttpResponse:
    child = _child_for_chronology(request, pk)
    form = TransferNotNeededForm(request.POST or None)
    here = reverse("child_detail", args=[child.pk])
    return form_step(
        request,
        form,
        call=lambda data: services.transfer_not_needed_record(
            child=child, by=request.user, reason=data["reason"]
        ),
        then=here,
        title="No child protection file to send",
        intro="Record why no file needs to go to the child's next setting. The reminders stop.",
        done="Recorded.",
        back=here,
        back_label=f"Back to {child.display_name}",
        caption=child.display_name,
    )


def transfer_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    transfer = get_transfer_for_user(request.user, pk)
    audit.record(
        action="incident.file_transfer_viewed",
        actor=request.user,
        obj=transfer.child,
        details={"transfer": transfer.pk},
    )
    return render(
        request,
        "incidents/transfer_detail.html",
        {"transfer": transfer, "clock": transfer_clock(transfer, timezone.localdate())},
    )


def transfer_list(request: AuthedRequest) -> HttpResponse:
    _leads_only(request)
    today = timezone.localdate()
    transfers = transfers_visible_to(request.user).select_related("child")
    waiting = [(t, transfer_clock(t, today)) for t in transfers.filter(received_at__isnull=True)]
    received = list(transfers.filter(received_at__isnull=False)[:20])
    to_send = (
        children_visible_to(request.user)
        .filter(
            discharged_on__isnull=False,
            discharged_on__lte=today,
            incidents__isnull=False,
        )
        .exclude(file_transfers__isnull=False)
    )
    to_send = to_send.exclude(
        pk__in=services.children_with_no_file_needed(request.user.organisation)
    )
    audit.record(action="incident.file_transfers_listed", actor=request.user)
    return render(
        request,
        "incidents/transfer_list.html",
        {"waiting": waiting, "received": received, "to_send": list(to_send.distinct()[:50])},
    )


def transfer_import(request: AuthedRequest) -> HttpResponse:
    _leads_only(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            received = services.received_file_import(
                by=request.user,
                data=form.cleaned_data["package"].read(),
                passphrase=form.cleaned_data["passphrase"],
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(
                request, f"Child protection file received from {received.from_organisation}."
            )
            return redirect("child_detail", received.child_id)
    return render(
        request,
        "common/form_step.html",
        {
            "form": form,
            "title": "Import a child protection file",
            "intro": "A child joining you from a setting that uses Safeguard: upload the "
            "encrypted file they sent and its passphrase. A new child's record is made "
            "with their chronology, read-only, and the original file kept.",
            "button": "Import the file",
            "back": reverse("transfer_list"),
            "back_label": "Back to child protection files",
        },
    )


def received_file_download(request: AuthedRequest, pk: int) -> FileResponse:
    received = get_received_file_for_user(request.user, pk)
    audit.record(
        action="incident.received_file_downloaded",
        actor=request.user,
        obj=received.child,
        details={"received_file": received.pk, "sha256": received.package_sha256},
    )
    response = FileResponse(
        received.package.open("rb"),
        as_attachment=True,
        content_type="application/pdf",
        filename=f"received-file-{received.pk}.pdf",
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
