"""Staff compliance: DBS checks and training, for admins and directors."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.http import AuthedRequest
from audit import services as audit
from common.forms import service_errors_onto
from common.private_files import private_download
from common.views import form_step
from compliance import services as compliance
from compliance.forms import DBSCheckForm, InductionForm, RoleTrainingForm, TrainingForm
from compliance.induction import induction_complete, system_training_current
from compliance.models import DBSCheck, TrainingRecord
from compliance.permissions import (
    compliance_staff_visible_to,
    get_compliance_staff_for_user,
    get_training_record_for_user,
    records_compliance,
    sees_compliance,
    sets_role_training,
)
from policies import reach


def staff_compliance(request: AuthedRequest) -> HttpResponse:
    if not sees_compliance(request.user):
        raise PermissionDenied
    staff = list(compliance_staff_visible_to(request.user).filter(is_active=True))
    today = timezone.localdate()
    rows = compliance.compliance_for(staff, request.user.organisation, today=today)
    return render(
        request,
        "compliance/staff_compliance.html",
        {
            "rows": rows,
            "today": today,
            "dbs_lapsed_or_missing": sum(
                row.dbs.status(today) in {"missing", "overdue"} for row in rows
            ),
            "dbs_below_level": sum(bool(row.dbs_shortfall) for row in rows),
            "online_dbs_level": compliance.required_online_dbs_label(request.user.organisation),
            "sets_role_training": sets_role_training(request.user),
        },
    )


def staff_compliance_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    member = get_compliance_staff_for_user(request.user, pk, "view")
    if request.method == "GET":
        audit.record(action="compliance.viewed", actor=request.user, obj=member)
    can_record = records_compliance(request.user)
    dbs_form = DBSCheckForm(prefix="dbs")
    training_form = TrainingForm(prefix="training")
    if request.method == "POST":
        member = get_compliance_staff_for_user(request.user, pk, "change")
        if "dbs-level" in request.POST:
            dbs_form = DBSCheckForm(request.POST, prefix="dbs")
            if dbs_form.is_valid():
                compliance.dbs_check_record(staff=member, by=request.user, **dbs_form.cleaned_data)
                messages.success(request, "DBS check recorded.")
                return redirect("staff_compliance_detail", pk=member.pk)
        else:
            training_form = TrainingForm(request.POST, request.FILES, prefix="training")
            if training_form.is_valid():
                try:
                    compliance.training_record(
                        staff=member, by=request.user, **training_form.cleaned_data
                    )
                except ValidationError as error:
                    service_errors_onto(training_form, error)
                else:
                    messages.success(request, "Training recorded.")
                    return redirect("staff_compliance_detail", pk=member.pk)
    today = timezone.localdate()
    row = compliance.compliance_for([member], member.organisation, today=today)[0]
    return render(
        request,
        "compliance/staff_compliance_detail.html",
        {
            "member": member,
            "row": row,
            "today": today,
            "online_work_blockers": compliance.blockers_from(row, member.organisation, today),
            "dbs_checks": DBSCheck.objects.filter(staff=member).select_related("recorded_by"),
            "training": TrainingRecord.objects.filter(staff=member).select_related("recorded_by"),
            "can_record": can_record,
            "dbs_form": dbs_form,
            "training_form": training_form,
        },
    )


def training_certificate_download(request: AuthedRequest, pk: int) -> FileResponse:
    """A training certificate: the person's own, or for those who see staff
    compliance; only through this check, and every download audited."""
    record = get_training_record_for_user(request.user, pk)
    if not record.certificate:
        raise Http404
    audit.record(
        action="compliance.certificate_viewed",
        actor=request.user,
        obj=record.staff,
        details={"training_record": record.pk},
    )
    return private_download(
        record.certificate, filename=f"training-{record.kind}-certificate-{record.pk}"
    )


def _role_training_saved(changes: object) -> str:
    count = len(changes) if isinstance(changes, list) else 0
    if not count:
        return "Nothing changed."
    return f"Saved: {count} change{'s' if count != 1 else ''} to the training each role needs."


def role_training(request: AuthedRequest) -> HttpResponse:
    if not sets_role_training(request.user):
        raise PermissionDenied
    organisation = request.user.organisation
    form = RoleTrainingForm(
        request.POST or None, current=compliance.role_training_effective(organisation)
    )
    return form_step(
        request,
        form,
        call=lambda _data: compliance.role_training_set(
            organisation=organisation, by=request.user, wanted=form.wanted()
        ),
        then="role_training",
        done=_role_training_saved,
        title="Training each role needs",
        intro="Tick the training each role must hold. Staff compliance shows whoever lacks "
        "training their role needs, and the same gaps stop online work with children. "
        "Training that follows from what someone does (holding one of the organisation's "
        "online accounts) is added on top.",
        back="staff_compliance",
        template="compliance/role_training.html",
    )


def _induction_next(request: AuthedRequest) -> str:
    """Back to the page that sent them here, on this site only; else home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def induction(request: AuthedRequest) -> HttpResponse:
    """Before you open children's records: accept the code of conduct for staff
    and confirm training in using Safeguard (accounts.induction asks for it)."""
    user = request.user
    versions = [binding.current for binding in reach.conduct_unread(user)]
    training_due = not system_training_current(user)
    target = _induction_next(request)
    form = InductionForm(
        request.POST if request.method == "POST" else None,
        versions=versions,
        training_due=training_due,
    )
    if request.method == "POST" and (versions or training_due) and form.is_valid():
        induction_complete(
            user=user,
            versions=versions,
            system_training_on=form.cleaned_data.get("system_training_on"),
        )
        messages.success(request, "Thank you. You can now open children's records.")
        return redirect(target)
    return render(
        request,
        "compliance/induction.html",
        {
            "form": form,
            "versions": versions,
            "training_due": training_due,
            "next": target,
        },
    )
