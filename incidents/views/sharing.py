"""Decisions to share information with another agency, or not to, and why."""

from django.http import Http404, HttpResponse

from accounts.http import AuthedRequest
from incidents import forms as incident_forms
from incidents import services
from incidents.models import Decision, Referral
from incidents.permissions import get_incident_for_user, get_referral_for_user
from incidents.views._shared import _step

INTRO = (
    "Consent is not needed to share information when a child is at risk, but the "
    "reasons for every decision to share, or not to share, must be written down "
    "(Working Together 2023). Records are never changed: a changed decision is a new one."
)
INTRO_FOR_REFERRAL = (
    "The referral to {agency} was made without the family's consent. That was "
    "right if a child is at risk; record why, and on what lawful basis, so the "
    "decision can be explained later. Records are never changed."
)


def sharing_decision_add(request: AuthedRequest, pk: int) -> HttpResponse:
    """Leads only. ``?referral=<id>`` (one of this incident's) prefills the
    decision the referral was."""
    incident = get_incident_for_user(request.user, pk, "manage")
    referral: Referral | None = None
    initial: dict[str, object] = {}  # the form sets "when" to now itself
    if request.GET.get("referral"):
        referral = get_referral_for_user(request.user, request.GET["referral"])
        if referral.incident_id != incident.pk:
            raise Http404
        initial |= {
            "decision": Decision.SHARE,
            "shared_with": referral.agency_name,
            "referral": referral.pk,
            "consent": referral.family_consent,
        }
    form = incident_forms.SharingDecisionForm(
        request.POST or None, incident=incident, initial=initial
    )
    return _step(
        request,
        incident,
        form,
        title="Record a sharing decision",
        page="sharing_decision",
        intro=(
            INTRO_FOR_REFERRAL.format(agency=referral.agency_name)
            if referral is not None and referral.needs_sharing_record
            else INTRO
        ),
        call=lambda data: services.sharing_decision_record(
            incident=incident, by=request.user, **data
        ),
        done="Sharing decision recorded.",
    )
