"""A parent or carer reads their child's acceptable-use agreement with them on
the parent's own link, and records that the child agreed.

Kept apart from the consent pages: the same link, a different record (the
child's agreement, policies.models.ChildAgreement)."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext

from children.models import Child, ChildGuardian, Guardian
from common.forms import service_errors_onto
from common.i18n import parent_language
from consent.views import _access, _no_access, parent_page, parent_render
from policies import reach
from policies.agreement_forms import WithParentAgreementForm
from policies.agreements import ages, child_agreement_record
from policies.models import AgreementWay, PolicyVersion, VersionStatus


def children_with_agreements_due(
    guardian: Guardian, today: dt.date | None = None
) -> list[tuple[Child, list[reach.Binding]]]:
    """Each current child this guardian has parental responsibility for, with the
    agreements written for the child's age that the child has not agreed to."""
    today = today or timezone.localdate()
    if not reach.child_bindings(guardian.organisation_id):
        return []
    children = Child.objects.filter(
        organisation_id=guardian.organisation_id,
        guardian_links__guardian=guardian,
        guardian_links__parental_responsibility=True,
    ).active(today)
    result = []
    for child in children.order_by("first_name", "pk"):
        if due := reach.child_agreements_due(child, today):
            result.append((child, due))
    return result


def _child_of(guardian: Guardian, pk: int) -> Child:
    """A child this guardian has parental responsibility for; any other is a 404."""
    link = (
        ChildGuardian.objects.filter(
            guardian=guardian,
            child_id=pk,
            parental_responsibility=True,
            child__organisation_id=guardian.organisation_id,
        )
        .select_related("child")
        .first()
    )
    if link is None:
        raise Http404
    return link.child


@parent_page
def child_agreement(request: HttpRequest, child_pk: int, version_pk: int) -> HttpResponse:
    access = _access(request)
    if access is None:
        return _no_access(request)
    guardian = access.guardian
    parent_language(request, guardian.organisation.parent_language)
    child = _child_of(guardian, child_pk)
    try:
        version = PolicyVersion.objects.select_related("policy").get(
            pk=version_pk,
            status=VersionStatus.APPROVED,
            policy__organisation_id=child.organisation_id,
            policy__audience_children=True,
        )
    except PolicyVersion.DoesNotExist:
        raise Http404 from None
    first = child.preferred_name or child.first_name
    due = reach.child_agreements_due(child) if child.is_active else []
    if request.method != "POST" and version.pk not in {binding.current.pk for binding in due}:
        # Agreed already, or a version since replaced: the manage page lists what is due.
        messages.info(
            request,
            gettext("There is nothing at that address for %(child)s to agree to now.")
            % {"child": first},
        )
        return redirect("consent_manage")
    form = WithParentAgreementForm(request.POST or None, child=child)
    if request.method == "POST" and form.is_valid():
        try:
            child_agreement_record(
                version=version,
                child=child,
                way=AgreementWay.WITH_PARENT,
                child_name=form.cleaned_data["child_name"],
                guardian=guardian,
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(
                request,
                gettext("Thank you. %(child)s has agreed to %(policy)s.")
                % {"child": first, "policy": version.policy.title},
            )
            return redirect("consent_manage")
    return parent_render(
        request,
        "consent/child_agreement.html",
        {
            "form": form,
            "child": child,
            "first": first,
            "version": version,
            "ages": ages(version.policy),
        },
        organisation=guardian.organisation,
    )
