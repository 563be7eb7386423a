"""The steps of the DSL's workflow: triage to close, the chronology, referrals, the ICO."""

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from incidents import forms as incident_forms
from incidents import services
from incidents.models import Referral
from incidents.permissions import (
    get_incident_for_user,
    get_referral_for_user,
)
from incidents.views._shared import _step


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


def _after_referral(result: object) -> str:
    """A referral made without the family's consent goes on to the record of why."""
    referral = cast(Referral, result)  # what services.referral_add returns
    if referral.needs_sharing_record:
        url = reverse("incident_sharing_decision_add", args=[referral.incident_id])
        return f"{url}?{urlencode({'referral': referral.pk})}"
    return reverse("incident_detail", args=[referral.incident_id])


def _referral_done(result: object) -> str:
    referral = cast(Referral, result)
    if referral.needs_sharing_record:
        return (
            "Referral recorded. The family did not consent to it, so record why the "
            "information was shared without their consent: the reasons for every "
            "decision to share must be written down (Working Together 2023)."
        )
    return "Referral recorded."


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
        done=_referral_done,
        then=_after_referral,
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
