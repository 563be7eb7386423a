"""Staff pages for children's acceptable-use agreements: the section of the
child's page, recording an agreement made in a session, and who is yet to agree."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.http import AuthedRequest
from children.models import Child
from children.permissions import get_child_for_user, sees_all_children
from common.forms import service_errors_onto
from common.pagination import page_of
from policies import reach
from policies.agreement_forms import InSessionAgreementForm
from policies.agreements import ages, child_agreement_record, child_agreement_states
from policies.models import AgreementWay, ChildAgreement, PolicyVersion, VersionStatus


def child_section(request: AuthedRequest, child: Child) -> SafeString | None:
    """Which agreement fits the child's age, and whether they have agreed to it.
    Nothing when the organisation has no agreement for children."""
    if not reach.child_bindings(child.organisation_id):
        return None
    today = timezone.localdate()
    context = {
        "child": child,
        "age": reach.age_on(child, today),
        "states": child_agreement_states(child, today),
        "active": child.is_active_on(today),
    }
    return mark_safe(  # noqa: S308 - a template we render
        render_to_string("policies/child_agreement_section.html", context, request=request)
    )


def _agreement_version(child: Child, pk: int) -> PolicyVersion:
    """An approved version of one of the child's organisation's agreements for children."""
    try:
        return PolicyVersion.objects.select_related("policy").get(
            pk=pk,
            status=VersionStatus.APPROVED,
            policy__organisation_id=child.organisation_id,
            policy__audience_children=True,
        )
    except PolicyVersion.DoesNotExist:
        raise Http404 from None


def child_agreement_in_session(request: AuthedRequest, pk: int, version_pk: int) -> HttpResponse:
    """Whoever may open the child (their therapist, a lead) reads the agreement
    with them in a session and records that they agreed, as its witness."""
    child = get_child_for_user(request.user, pk, "view")
    version = _agreement_version(child, version_pk)
    already = (
        ChildAgreement.objects.filter(child=child, version_id__in=reach.reading_counts(version))
        .order_by("-agreed_at", "-pk")
        .first()
    )
    if already is not None:
        # A second tab or a colleague got there first: say so rather than offer a
        # form whose "Recorded" would be untrue.
        messages.info(
            request,
            f"{child.first_name} already agreed to {version.policy.title} on "
            f"{timezone.localtime(already.agreed_at):%-d %B %Y}.",
        )
        return redirect("child_detail", pk=child.pk)
    form = InSessionAgreementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child_agreement_record(
                version=version,
                child=child,
                way=AgreementWay.IN_SESSION,
                child_name=form.cleaned_data["child_name"],
                witnessed_by=request.user,
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(
                request, f"Recorded: {child.first_name} agreed to {version.policy.title}."
            )
            return redirect("child_detail", pk=child.pk)
    return render(
        request,
        "policies/child_agreement_form.html",
        {"form": form, "child": child, "version": version, "ages": ages(version.policy)},
    )


def children_outstanding(request: AuthedRequest) -> HttpResponse:
    """For the leads, who see every child: the children yet to agree."""
    if not sees_all_children(request.user):
        raise PermissionDenied
    rows = reach.children_outstanding(request.user.organisation)
    page = page_of(request, rows)
    return render(
        request,
        "policies/children_outstanding.html",
        {
            "rows": page,
            "page": page,
            "any_agreement": bool(reach.child_bindings(request.user.organisation)),
        },
    )
