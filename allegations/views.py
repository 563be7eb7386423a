"""The allegations log's pages. Every page that shows an allegation writes an
audit event first; the person it is about gets a 404 from each of them."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.http import AuthedRequest
from accounts.models import User
from allegations import services
from allegations.forms import (
    CaseManagerForm,
    CloseForm,
    EntryForm,
    LadoForm,
    OutcomeForm,
    RaiseForm,
)
from allegations.models import REMOVED_FROM_PERSONNEL_RECORDS, Allegation
from allegations.permissions import (
    allegations_visible_to,
    get_allegation_for_user,
    sees_allegation_list,
)
from allegations.reminders import lado_due_on
from audit import services as audit
from children.permissions import children_visible_to
from common.forms import service_errors_onto
from common.pagination import page_of
from common.times import zone_named
from common.views import form_step


def _read(request: AuthedRequest, allegation: Allegation, page: str) -> None:
    audit.record(
        action="allegation.viewed", actor=request.user, obj=allegation, details={"page": page}
    )


def _step(
    request: AuthedRequest,
    allegation: Allegation,
    form: forms.Form,
    *,
    title: str,
    intro: str,
    call: Callable[[dict[str, Any]], object],
    done: str,
    page: str,
    button: str = "Save",
    warning: bool = False,
) -> HttpResponse:
    """One step of the case: a form, one service call, back to the allegation."""
    here = reverse("allegation_detail", args=[allegation.pk])
    return form_step(
        request,
        form,
        call=call,
        then=here,
        title=title,
        intro=intro,
        done=done,
        button=button,
        warning=warning,
        back=here,
        back_label=f"Back to {allegation.reference}",
        caption=allegation.reference,
        shown=lambda: _read(request, allegation, page),
    )


def allegation_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not sees_allegation_list(user):
        raise PermissionDenied
    allegations = allegations_visible_to(user).select_related("about", "case_manager")
    page = page_of(request, allegations)
    audit.record(action="allegation.list_viewed", actor=user)
    return render(
        request,
        "allegations/allegation_list.html",
        {"allegations": page, "page": page},
    )


def allegation_new(request: AuthedRequest) -> HttpResponse:
    """Any member of staff may raise one, about anyone in their organisation."""
    user = request.user
    staff = User.objects.of(user.organisation).active().filter(is_superuser=False)
    form = RaiseForm(
        request.POST or None,
        staff=staff.order_by("full_name", "pk"),
        children=children_visible_to(user).order_by("first_name", "last_name"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.allegation_raise(
                raised_by=user,
                kind=data["kind"],
                about=data["about"],
                what_was_alleged=data["what_was_alleged"],
                children=list(data.get("children") or []),
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            # Nothing of it is shown back: not even its reference.
            return redirect("allegation_raised")
    return render(request, "allegations/allegation_new.html", {"form": form})


def allegation_raised(request: AuthedRequest) -> HttpResponse:
    return render(request, "allegations/allegation_raised.html")


def allegation_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    allegation = get_allegation_for_user(request.user, pk, "view")
    _read(request, allegation, "detail")
    return render(
        request,
        "allegations/allegation_detail.html",
        {
            "allegation": allegation,
            "entries": allegation.entries.select_related("author"),
            "children": allegation.children.all(),
            "lado_due": lado_due_on(allegation, zone_named(allegation.organisation.timezone)),
            "today": timezone.localdate(),
            "removed_from_personnel_records": (
                allegation.outcome in REMOVED_FROM_PERSONNEL_RECORDS
            ),
        },
    )


def allegation_entry_add(request: AuthedRequest, pk: int) -> HttpResponse:
    allegation = get_allegation_for_user(request.user, pk, "manage")
    form = EntryForm(request.POST or None)
    return _step(
        request,
        allegation,
        form,
        title="Add to the log",
        page="entry",
        intro="Entries are never changed or deleted: to correct one, add another.",
        call=lambda data: services.allegation_entry_add(
            allegation=allegation, by=request.user, **data
        ),
        done="Added to the log.",
    )


def allegation_lado(request: AuthedRequest, pk: int) -> HttpResponse:
    allegation = get_allegation_for_user(request.user, pk, "manage")
    form = LadoForm(
        request.POST or None,
        initial={
            "referred_on": allegation.lado_referred_on or timezone.localdate(),
            "reference": allegation.lado_reference,
        },
    )
    return _step(
        request,
        allegation,
        form,
        title="Record the referral to the LADO",
        page="lado",
        intro="An allegation goes to the local authority designated officer within one "
        "working day. Recording the referral stops the reminders.",
        call=lambda data: services.allegation_lado_record(
            allegation=allegation, by=request.user, **data
        ),
        done="LADO referral recorded.",
    )


def allegation_outcome(request: AuthedRequest, pk: int) -> HttpResponse:
    allegation = get_allegation_for_user(request.user, pk, "manage")
    form = OutcomeForm(request.POST or None, initial={"outcome_on": timezone.localdate()})
    return _step(
        request,
        allegation,
        form,
        title="Record the outcome",
        page="outcome",
        intro="One of the five outcomes Keeping Children Safe in Education defines, "
        "with the date and the reasons. A malicious or false allegation is removed "
        "from the person's personnel records.",
        call=lambda data: services.allegation_outcome_record(
            allegation=allegation, by=request.user, **data
        ),
        done="Outcome recorded.",
    )


def allegation_close(request: AuthedRequest, pk: int) -> HttpResponse:
    allegation = get_allegation_for_user(request.user, pk, "manage")
    form = CloseForm(request.POST or None)
    return _step(
        request,
        allegation,
        form,
        title="Close",
        page="close",
        intro="An allegation closes once the LADO referral and the outcome are recorded.",
        call=lambda data: services.allegation_close(allegation=allegation, by=request.user, **data),
        done="Closed.",
        button="Close it",
        warning=True,
    )


def allegation_case_manager(request: AuthedRequest, pk: int) -> HttpResponse:
    allegation = get_allegation_for_user(request.user, pk, "manage")
    staff = (
        User.objects.of(allegation.organisation)
        .active()
        .filter(is_superuser=False)
        .exclude(pk__in=[allegation.about_id, allegation.case_manager_id])
        .order_by("full_name", "pk")
    )
    form = CaseManagerForm(request.POST or None, staff=staff)
    return _step(
        request,
        allegation,
        form,
        title="Change the case manager",
        page="case_manager",
        intro="Usually the head of the organisation; where the allegation is about them, "
        "the chair or another senior person. Never the person it is about.",
        call=lambda data: services.allegation_case_manager_set(
            allegation=allegation, by=request.user, **data
        ),
        done="Case manager changed.",
    )
