"""Retention rules and reviews, legal holds and subject access requests: for
admins, and the DSL and deputies (who alone decide safeguarding records)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from accounts.models import Role, User
from accounts.permissions import is_admin
from audit import services as audit
from children.permissions import children_visible_to, guardians_visible_to
from common.forms import service_errors_onto
from common.pagination import page_of
from common.views import form_step
from records import retention, subject_access
from records.forms import HoldForm, KeepForm, ReasonForm, RuleForm, SarForm
from records.models import HoldScope, RetentionReview
from records.permissions import (
    get_legal_hold_for_user,
    get_retention_review_for_user,
    get_sar_for_user,
    legal_holds_visible_to,
    manages_records,
    retention_reviews_visible_to,
    sars_visible_to,
)


def _require(request: AuthedRequest) -> None:
    """For pages with no object; those with one fetch it through a permission
    helper, which gives anyone else (and any other organisation) a 404."""
    if not manages_records(request.user):
        raise PermissionDenied


def retention_home(request: AuthedRequest) -> HttpResponse:
    _require(request)
    user = request.user
    reviews = []
    for review in retention_reviews_visible_to(user).filter(done_at__isnull=True):
        kind = retention.kind_or_none(review.kind)
        if kind is not None and retention.may_review(user, kind, review):
            reviews.append((review, kind))
    page = page_of(request, reviews)
    return render(
        request,
        "records/retention_home.html",
        {
            "rules": retention.rules_for(user.organisation),
            "reviews": page,
            "page": page,
            "holds": legal_holds_visible_to(user).select_related("child", "placed_by"),
            "can_change_rules": is_admin(user),
            "today": timezone.localdate(),
        },
    )


def retention_rule(request: AuthedRequest, kind: str) -> HttpResponse:
    if not is_admin(request.user):
        raise PermissionDenied
    try:
        record_kind = retention.kind_for(kind)
    except ValidationError:
        raise Http404 from None
    months = retention.months_for(request.user.organisation, record_kind)
    form = RuleForm(request.POST or None, initial={"months": months})
    return form_step(
        request,
        form,
        call=lambda data: retention.retention_rule_set(
            organisation=request.user.organisation,
            kind=kind,
            by=request.user,
            months=data["months"],
        ),
        then="retention_home",
        done=lambda _: (
            ngettext(
                "%(kind)s: kept for %(months)d month.",
                "%(kind)s: kept for %(months)d months.",
                form.cleaned_data["months"],
            )
            % {"kind": record_kind.label, "months": form.cleaned_data["months"]}
        ),
        title=f"{record_kind.label}: how long to keep",
        intro=f"{record_kind.basis} The period runs {record_kind.period}.",
        back="retention_home",
    )


def _review_for(request: AuthedRequest, pk: int) -> tuple[RetentionReview, retention.RecordKind]:
    review = get_retention_review_for_user(request.user, pk)
    kind = retention.kind_or_none(review.kind)
    if kind is None:
        raise Http404  # a kind of record no app registers any more
    if retention.hidden_from(request.user, review, kind):
        raise Http404  # to them (an allegation's subject) it does not exist
    return review, kind


def retention_review(request: AuthedRequest, pk: int) -> HttpResponse:
    review, kind = _review_for(request, pk)
    if not retention.may_review(request.user, kind):
        raise PermissionDenied
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms = {
        "keep": KeepForm(request.POST if action == "keep" else None, prefix="keep"),
        "anonymise": ReasonForm(request.POST if action == "anonymise" else None, prefix="anon"),
        "delete": ReasonForm(request.POST if action == "delete" else None, prefix="delete"),
        "decline": ReasonForm(request.POST if action == "decline" else None, prefix="decline"),
    }
    services: dict[str, Callable[..., RetentionReview]] = {
        "keep": retention.review_keep,
        "anonymise": retention.review_anonymise,
        "delete": retention.review_delete,
        "decline": retention.review_delete_decline,
    }
    if action in forms and forms[action].is_valid():
        try:
            services[action](review=review, by=request.user, **forms[action].cleaned_data)
        except ValidationError as error:
            service_errors_onto(forms[action], error)
        else:
            review.refresh_from_db()
            messages.success(
                request,
                f"A second {request.user.organisation.titles.short} or deputy must now confirm "
                "the deletion."
                if review.awaiting_confirmation
                else "Decision recorded.",
            )
            return redirect("retention_home")
    return render(
        request,
        "records/retention_review.html",
        {
            "review": review,
            "kind": kind,
            "holds": retention.holds_for_review(review),
            "keep_form": forms["keep"],
            "anonymise_form": forms["anonymise"],
            "delete_form": forms["delete"],
            "decline_form": forms["decline"],
            "error_form": forms.get(action),
        },
    )


@require_POST
def retention_review_confirm(request: AuthedRequest, pk: int) -> HttpResponse:
    review, _ = _review_for(request, pk)
    try:
        retention.review_delete_confirm(review=review, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("retention_review", pk=review.pk)
    messages.success(request, "Deleted. The audit log names what was deleted.")
    return redirect("retention_home")


def legal_hold_new(request: AuthedRequest) -> HttpResponse:
    _require(request)
    user = request.user

    def place(data: dict[str, Any]) -> object:
        incident_id, reference = None, data["incident"].strip().upper()
        if data["scope"] == HoldScope.INCIDENT:
            incident_id = retention.incident_id_for(user, reference)
            if incident_id is None:
                raise ValidationError({"incident": "No incident of yours has that reference."})
        return retention.legal_hold_place(
            organisation=user.organisation,
            scope=data["scope"],
            reason=data["reason"],
            by=user,
            child=data["child"],
            incident_id=incident_id,
            incident_reference=reference,
            until=data["until"],
        )

    return form_step(
        request,
        HoldForm(request.POST or None, children=children_visible_to(user)),
        call=place,
        then="retention_home",
        done="Legal hold placed.",
        title="Place a legal hold",
        intro="While a hold applies, nothing it covers can be anonymised or deleted, "
        "whatever its retention period.",
        back="retention_home",
        button="Place the hold",
    )


def legal_hold_release(request: AuthedRequest, pk: int) -> HttpResponse:
    hold = get_legal_hold_for_user(request.user, pk)
    if not retention.may_release(request.user, hold):
        raise PermissionDenied
    placed_on = dateformat.format(timezone.localtime(hold.placed_at), "j F Y")
    return form_step(
        request,
        ReasonForm(request.POST or None),
        call=lambda data: retention.legal_hold_release(hold=hold, by=request.user, **data),
        then="retention_home",
        done="Legal hold released.",
        title=f"Release the hold on {hold.covers}",
        intro=f"Placed {placed_on} by {hold.placed_by.full_name}: {hold.reason}",
        back="retention_home",
        button="Release the hold",
        warning=True,
    )


def sar_list(request: AuthedRequest) -> HttpResponse:
    _require(request)
    user = request.user
    form = SarForm(
        request.POST or None,
        children=children_visible_to(user),
        guardians=guardians_visible_to(user),
        # Anyone who has worked here, active or not: a leaver may ask too.
        staff=User.objects.of(user.organisation)
        .filter(is_superuser=False)
        .order_by("full_name", "pk"),
        initial={"received_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            sar = subject_access.sar_record(
                organisation=user.organisation, by=user, **form.cleaned_data
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(request, f"Request recorded; the reply is due {sar.due_on:%-d %B %Y}.")
            return redirect("sar_detail", pk=sar.pk)
    page = page_of(
        request,
        sars_visible_to(user).select_related("child", "guardian", "staff"),
    )
    return render(
        request,
        "records/sar_list.html",
        {
            "form": form,
            "sars": page,
            "page": page,
            "today": timezone.localdate(),
        },
    )


def sar_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    sar = get_sar_for_user(request.user, pk)
    audit.record(action="sar.viewed", actor=request.user, obj=sar)
    return render(request, "records/sar_detail.html", {"sar": sar})


def sar_export(request: AuthedRequest, pk: int) -> HttpResponse:
    sar = get_sar_for_user(request.user, pk)
    # Safeguarding records go only to those who may read them: the DSL and deputies.
    complete = request.user.role in {Role.DSL, Role.DEPUTY_DSL}
    content = subject_access.export_zip(sar, include_safeguarding=complete, exporter=request.user)
    audit.record(
        action="sar.exported",
        actor=request.user,
        obj=sar,
        details={"bytes": len(content)},
    )
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="subject-access-{sar.pk}-{timezone.localdate():%Y%m%d}.zip"'
    )
    return response


@require_POST
def sar_complete(request: AuthedRequest, pk: int) -> HttpResponse:
    sar = get_sar_for_user(request.user, pk)
    try:
        subject_access.sar_complete(sar=sar, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Marked as answered.")
    return redirect("sar_detail", pk=sar.pk)
