"""The incident log's pages. Every page that shows an incident, a chronology or
a file writes an audit event first, so the log says who read what and when."""

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, Value, When
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from accounts.models import Role, User
from accounts.permissions import is_admin
from audit import services as audit
from children.models import Child
from children.permissions import children_visible_to, get_child_for_user
from common.forms import service_errors_onto
from common.pagination import page_of
from common.pdf import pdf_response
from common.views import form_step
from incidents import forms as incident_forms
from incidents import services, timeline
from incidents.filters import IncidentFilter
from incidents.models import (
    Category,
    Incident,
    Referral,
    Risk,
    Status,
    still_open,
)
from incidents.pdf import render_child_chronology_pdf
from incidents.permissions import (
    get_evidence_for_user,
    get_incident_for_user,
    get_referral_for_user,
    get_reported_incident_for_user,
    incidents_counted_for,
    incidents_visible_to,
    leads_incidents,
    reported_by,
    sees_incident_counts,
)
from notices.engine import urgent_notices_about
from records import retention

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
    done: str,
    page: str,
    button: str = "Save",
) -> HttpResponse:
    """One step of the workflow: a form, one service call, back to the incident."""
    here = reverse("incident_detail", args=[incident.pk])
    return form_step(
        request,
        form,
        call=call,
        then=here,
        title=title,
        intro=intro,
        done=done,
        button=button,
        back=here,
        back_label=f"Back to {incident.reference}",
        caption=incident.reference,
        shown=lambda: _read(request, incident, page),  # the page shows the incident again
    )


# --- lists and counts ----------------------------------------------------------------------


def _overdue(today: dt.date) -> Case:
    """True for an open incident with an action past due or a referral to chase.
    (A Case, not a bare condition: with no due date the condition is NULL, which
    PostgreSQL would sort before true.)"""
    chases = Referral.objects.filter(incident=OuterRef("pk"), outcome="", chase_on__lte=today)
    late = Q(next_action_due__lt=today) | Q(Exists(chases))
    return Case(When(Q(late) & ~Q(status=Status.CLOSED), then=Value(True)), default=Value(False))


# What incidents/incident_list.html shows of each incident.
LIST_FIELDS = (
    "reference",
    "reported_at",
    "incident_type",
    "risk",
    "status",
    "close_proposed_at",
    "closed_at",
)


def incident_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    if not leads_incidents(user):
        # Staff see the concerns they raised, and any incident shared with them.
        audit.record(action="incident.list_viewed", actor=user, details={"list": "own"})
        return render(
            request,
            "incidents/incident_list_staff.html",
            {
                "reported": reported_by(user).order_by("-reported_at"),
                "shared": incidents_visible_to(user).order_by("-reported_at"),
            },
        )
    filters = IncidentFilter(
        request.GET, queryset=incidents_visible_to(user).annotate(overdue=_overdue(today))
    )
    # A row shows a handful of fields: the accounts (what happened, the child's
    # words, the outcome) are each up to a page of text and are read only on
    # the incident itself.
    incidents = (
        filters.qs.order_by("-overdue", "-reported_at", "-pk")
        .only(*LIST_FIELDS)
        .prefetch_related(
            Prefetch(
                "children", queryset=Child.objects.only("first_name", "last_name", "preferred_name")
            )
        )
    )
    page = page_of(request, incidents)
    audit.record(
        action="incident.list_viewed",
        actor=user,
        details={key: value for key, value in filters.form.cleaned_data.items() if value},
    )
    return render(
        request,
        "incidents/incident_list.html",
        {
            "form": filters.form,
            "incidents": page,
            "page": page,
            "today": today,
        },
    )


def incident_counts(request: AuthedRequest) -> HttpResponse:
    """How many, of what kind, how old: for directors, who never see cases."""
    if not sees_incident_counts(request.user):
        raise PermissionDenied
    now = timezone.now()
    week_ago, month_ago = now - dt.timedelta(days=7), now - dt.timedelta(days=30)
    is_open = still_open()
    # Every figure in one pass over the organisation's incidents.
    counts = incidents_counted_for(request.user).aggregate(
        **{f"status_{value}": Count("pk", filter=Q(status=value)) for value in Status.values},
        **{
            f"category_{value}": Count("pk", filter=is_open & Q(category=value))
            for value in Category.values
        },
        **{f"risk_{value}": Count("pk", filter=is_open & Q(risk=value)) for value in Risk.values},
        open_total=Count("pk", filter=is_open),
        recent=Count("pk", filter=is_open & Q(reported_at__gte=week_ago)),
        month=Count("pk", filter=is_open & Q(reported_at__lt=week_ago, reported_at__gte=month_ago)),
        older=Count("pk", filter=is_open & Q(reported_at__lt=month_ago)),
    )
    audit.record(action="incident.counts_viewed", actor=request.user)
    return render(
        request,
        "incidents/incident_counts.html",
        {
            "status_rows": [(label, counts[f"status_{value}"]) for value, label in Status.choices],
            "category_rows": [
                (label, counts[f"category_{value}"]) for value, label in Category.choices
            ],
            "risk_rows": [(label, counts[f"risk_{value}"]) for value, label in Risk.choices],
            "ages": {key: counts[key] for key in ("recent", "month", "older")},
            "open_total": counts["open_total"],
        },
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
    now = timezone.now()
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "entries": [entry for entry in entries if entry.corrects_id is None],
            "referrals": incident.referrals.select_related("made_by"),
            "evidence": incident.evidence.select_related("uploaded_by"),
            "children": incident.children.all(),
            "manages": leads_incidents(user),
            "shared_with": User.objects.filter(
                incidentuserobjectpermission__content_object=incident
            ).distinct(),
            "ico_hours_left": (
                (incident.ico_deadline - now) / dt.timedelta(hours=1)
                if incident.ico_open and incident.ico_deadline is not None
                else None
            ),
            "today": timezone.localdate(),
            "holds": retention.holds_covering(
                incident.organisation_id,
                incident_id=incident.pk,
                child_ids=[child.pk for child in incident.children.all()],
            ),
            "sees_hold_reasons": True,  # leads, and staff the DSL chose to share it with
            "urgent_notices": urgent_notices_about(incident),
        },
    )


def incident_triage(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "manage")
    form = incident_forms.TriageForm(request.POST or None, initial={"risk": incident.risk})
    return _step(
        request,
        incident,
        form,
        title="Triage",
        page="triage",
        intro="Decide how serious this is and what happens next.",
        call=lambda data: services.incident_triage(incident=incident, by=request.user, **data),
        done="Triaged.",
    )


def incident_action(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "manage")
    form = incident_forms.ActionForm(
        request.POST or None,
        initial={
            "risk": incident.risk,
            "next_action": incident.next_action,
            "next_action_due": incident.next_action_due,
        },
    )
    return _step(
        request,
        incident,
        form,
        title="Set the next action",
        page="action",
        intro="What happens next, by when, and the risk as it stands.",
        call=lambda data: services.incident_action_set(incident=incident, by=request.user, **data),
        done="Next action recorded.",
    )


def entry_add(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "contribute")
    initial = {"corrects": request.GET.get("corrects")} if request.GET.get("corrects") else {}
    form = incident_forms.EntryForm(request.POST or None, incident=incident, initial=initial)
    return _step(
        request,
        incident,
        form,
        title="Add to the chronology",
        page="entry",
        intro="Entries are never changed or deleted. To correct one, add an entry "
        "that corrects it: both are kept and shown together.",
        call=lambda data: services.chronology_add(incident=incident, by=request.user, **data),
        done="Added to the chronology.",
    )


def referral_add(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "manage")
    form = incident_forms.ReferralForm(
        request.POST or None, initial={"referred_on": timezone.localdate()}
    )
    return _step(
        request,
        incident,
        form,
        title="Record a referral",
        page="referral",
        intro="Who you referred to, when, and their reference.",
        call=lambda data: services.referral_add(incident=incident, by=request.user, **data),
        done="Referral recorded.",
    )


def referral_outcome(request: AuthedRequest, pk: int) -> HttpResponse:
    referral = get_referral_for_user(request.user, pk)
    initial = {"outcome_on": timezone.localdate()}
    form = incident_forms.ReferralOutcomeForm(request.POST or None, initial=initial)
    return _step(
        request,
        referral.incident,
        form,
        title=f"Outcome of the {referral.agency_name} referral",
        page="referral_outcome",
        intro="Recording the outcome stops the chase reminders.",
        call=lambda data: services.referral_outcome_record(
            referral=referral, by=request.user, **data
        ),
        done="Outcome recorded.",
    )


def referral_chase(request: AuthedRequest, pk: int) -> HttpResponse:
    referral = get_referral_for_user(request.user, pk)
    form = incident_forms.ReferralChaseForm(request.POST or None)
    return _step(
        request,
        referral.incident,
        form,
        title=f"Chase the {referral.agency_name} referral",
        page="referral_chase",
        intro="Record the chase and when to chase again.",
        call=lambda data: services.referral_chased(referral=referral, by=request.user, **data),
        done="Chase recorded.",
    )


def incident_close(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "manage")
    form = incident_forms.CloseForm(request.POST or None)
    return _step(
        request,
        incident,
        form,
        title="Close the incident",
        page="close",
        intro="An outcome is required; when nothing was referred, so is the reason.",
        call=lambda data: services.incident_close(incident=incident, by=request.user, **data),
        done="Incident closed, or sent for a second sign-off where your organisation asks for one.",
        button="Close the incident",
    )


@require_POST
def incident_signoff(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "manage")
    try:
        services.incident_signoff(incident=incident, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Closure signed off; the incident is closed.")
    return redirect("incident_detail", pk=incident.pk)


def incident_signoff_decline(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "manage")
    form = incident_forms.SignoffDeclineForm(request.POST or None)
    return _step(
        request,
        incident,
        form,
        title="Keep the incident open",
        page="signoff_decline",
        intro="The closure is not signed off; say why.",
        call=lambda data: services.incident_signoff_decline(
            incident=incident, by=request.user, **data
        ),
        done="The incident stays open.",
    )


def ico_record(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, pk, "manage")
    form = incident_forms.IcoForm(request.POST or None)
    return _step(
        request,
        incident,
        form,
        title="Report to the ICO",
        page="ico",
        intro="Within 72 hours of becoming aware of a personal data breach: report "
        "it to the ICO, or record why it is not reportable.",
        call=lambda data: services.ico_decision_record(incident=incident, by=request.user, **data),
        done="ICO decision recorded.",
    )


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


def child_section(request: AuthedRequest, child: Child) -> SafeString:
    """A lead sees the child's incidents; anyone who sees the child can raise a concern."""
    incidents = None
    if leads_incidents(request.user):
        incidents = list(incidents_visible_to(request.user).filter(children=child))
        audit.record(action="child.incidents_listed", actor=request.user, obj=child)
    # A rendered template is already a SafeString: no mark_safe needed.
    return render_to_string(
        "incidents/child_section.html",
        {"child": child, "incidents": incidents},
        request=request,
    )
