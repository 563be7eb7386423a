"""A parent's own pages on their manage link: a new link when theirs is lost,
the consents they decided, the parent-facing policies to agree to, withdrawing a
consent, and giving again one they refused or withdrew (they read the current
wording in their language, type their name and confirm; consent.regrant writes
a new record and the old ones stay)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext

from common.forms import service_errors_onto
from common.i18n import in_language, parent_language
from common.queue import enqueue_on_commit
from consent import parent_policies, regrant, services, throttle
from consent.forms import ManageLinkForm, RegrantForm
from consent.tasks import send_manage_link
from consent.views import _access, _no_access, parent_page, parent_render
from consent.wording import current_wording
from policies import reach
from policies.models import Acknowledgement


@parent_page
def manage_link_request(request: HttpRequest) -> HttpResponse:
    """A parent who lost their link asks for a new one by email address.

    The page does the same for every address, known or not: it queues a task
    (which looks the address up and sends, or does nothing) and answers with the
    same words, so neither the answer nor its timing tells anyone whether an
    address belongs to a parent here.
    """
    parent_language(request, "")  # before the form: its errors are in the page's language
    form = ManageLinkForm(request.POST or None)
    if request.method == "POST":
        if throttle.exceeded(request, "link_request"):
            return throttle.too_many(request, "link_request")
        throttle.count(request, "link_request")
        if form.is_valid():
            enqueue_on_commit(send_manage_link, form.cleaned_data["email"])
            return parent_render(request, "consent/manage_link_sent.html", organisation=None)
    return parent_render(
        request, "consent/manage_link_request.html", {"form": form}, organisation=None
    )


@parent_page
def manage(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    if access is None:
        return _no_access(request)
    return parent_render(
        request,
        "consent/manage.html",
        {
            "guardian": access.guardian,
            "children": regrant.guardian_decisions(access.guardian),
            "policies_to_read": reach.guardian_unread(access.guardian),
        },
        organisation=access.guardian.organisation,
    )


@parent_page
def manage_policy(request: HttpRequest, version_pk: int) -> HttpResponse:
    """A parent-facing policy to read on the parent's own link, and agree to (a
    POST). Only a current version of their own organisation's policies opens."""
    access = _access(request)
    if access is None:
        return _no_access(request)
    parent_language(request, access.guardian.organisation.parent_language)
    binding = parent_policies.current_for_guardian(access.guardian, version_pk)
    if binding is None:
        raise Http404
    if request.method == "POST":
        try:
            parent_policies.guardian_policy_acknowledge(access=access, version=binding.current)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                gettext("Thank you: you have agreed to the %(policy)s (%(version)s).")
                % {"policy": binding.policy.title, "version": binding.current.label},
            )
        return redirect("consent_manage")
    agreed = (
        Acknowledgement.objects.filter(guardian=access.guardian, version_id__in=binding.counts)
        .order_by("acknowledged_at")
        .first()
    )
    return parent_render(
        request,
        "consent/manage_policy.html",
        {"guardian": access.guardian, "binding": binding, "agreed": agreed},
        organisation=access.guardian.organisation,
    )


@parent_page
def withdraw(request: HttpRequest, child_pk: int, type_pk: int) -> HttpResponse:
    """The second of two clicks: confirm, then it is withdrawn at once."""
    access = _access(request)
    if access is None:
        return _no_access(request)
    language = parent_language(request, access.guardian.organisation.parent_language)
    found = {
        (child.pk, consent_type.pk): (child, consent_type)
        for child, granted in services.guardian_consents(access.guardian)
        for consent_type, _record in granted
    }
    if (child_pk, type_pk) not in found:
        messages.info(
            request, gettext("That consent is not in place, so there is nothing to withdraw.")
        )
        return redirect("consent_manage")
    child, consent_type = found[(child_pk, type_pk)]
    if request.method == "POST":
        try:
            services.consent_withdraw(
                access=access, child=child, consent_type=consent_type, language=language
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                gettext("Withdrawn: %(consent)s for %(child)s. Staff have been told.")
                % {"consent": in_language(consent_type, "name"), "child": child.first_name},
            )
        return redirect("consent_manage")
    return parent_render(
        request,
        "consent/withdraw.html",
        {"child": child, "consent_type": consent_type, "today": timezone.localdate()},
        organisation=access.guardian.organisation,
    )


@parent_page
def regrant_consent(request: HttpRequest, child_pk: int, type_pk: int) -> HttpResponse:
    access = _access(request)
    if access is None:
        return _no_access(request)
    organisation = access.guardian.organisation
    language = parent_language(request, organisation.parent_language)
    item = regrant.may_regrant(access.guardian, child_pk, type_pk)
    if item is None:
        messages.info(request, gettext("There is nothing at that address for you to give now."))
        return redirect("consent_manage")
    child = item.record.child
    consent_type = item.consent_type
    # The wording as it stands (a newer policy makes new wording, as a request would).
    version = current_wording(consent_type)
    form = RegrantForm(request.POST or None, initial={"version": version.pk})
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["version"] != version.pk:
                raise ValidationError(
                    gettext("The wording changed while you were reading it. Please read it again.")
                )
            regrant.consent_regrant(
                access=access,
                child=child,
                consent_type=consent_type,
                version=version,
                typed_name=form.cleaned_data["typed_name"],
                language=language,
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(
                request,
                gettext("Thank you: %(consent)s for %(child)s is given. Staff have been told.")
                % {"consent": in_language(consent_type, "name"), "child": child.first_name},
            )
            return redirect("consent_manage")
    return parent_render(
        request,
        "consent/regrant.html",
        {
            "form": form,
            "child": child,
            "consent_type": consent_type,
            "version": version,
            "previous": item.record,
        },
        organisation=organisation,
    )
