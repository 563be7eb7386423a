"""Planning a session or contact and asking "may I?" before it; the plan's own
page, with the answer it got and the answer now; a therapist's planned sessions,
and the child's upcoming ones on the child's page."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from children.models import Child
from children.permissions import get_child_for_user
from common.forms import service_errors_onto
from consent.wording import consent_types_ensure
from practice import planning
from practice.contact_rules import Judgement
from practice.models import PlannedSession
from practice.permissions import get_plan_for_user, may_cancel_plan, plans_visible_to
from practice.planning_forms import PlanForm

CHECK = "check"
PLAN = "plan"


@dataclass(frozen=True)
class Reason:
    message: str
    anchor: str  # the id of the field it concerns on the page, or "" when none is shown


@dataclass(frozen=True)
class Answer:
    """What the answer panel shows: yes or no, every reason, what the day needs."""

    allowed: bool
    reasons: list[Reason]
    on_the_day: list[str]


def answer_of(judgement: Judgement, form: PlanForm | None = None) -> Answer:
    """The judgement as the panel reads it; its reasons keep the engine's order
    (consent first) and link to the field they concern when the form shows it."""
    reasons = [
        Reason(
            breach.message,
            form[breach.field].id_for_label
            if form is not None and breach.field in form.fields
            else "",
        )
        for breach in judgement.breaches
    ]
    if form is None:
        # No fields to show them beside (a plan asked again): what no longer
        # holds, such as a parent since unlinked from the child, is a reason too.
        reasons += [Reason(message, "") for message in judgement.errors.values()]
    return Answer(judgement.allowed, reasons, list(judgement.on_the_day))


def _situation(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "channel": data["channel"],
        "planned_for": data["planned_for"],
        "with_whom": data["with_whom"],
        "guardian": data.get("guardian"),
        "purpose": data.get("purpose", ""),
        "approved_platform": data.get("approved_platform"),
        "device": data.get("device"),
        "second_staff": data.get("second_staff"),
        "parent_present": data.get("parent_present"),
        "permission_from": data.get("permission_from"),
        "permission_at": data.get("permission_at"),
        "permission_for": data.get("permission_for", ""),
    }


def plan_new(request: AuthedRequest, pk: int) -> HttpResponse:
    """ "Check: may I?" answers and saves nothing; "Plan it" saves the plan with
    its answer, yes or no, and goes to the plan's page."""
    child = get_child_for_user(request.user, pk, "view")
    # The consent for each kind of contact is looked up by its type.
    consent_types_ensure(organisation=child.organisation)
    form = PlanForm(request.POST or None, child=child, staff=request.user)
    answer = None
    if request.method == "POST" and form.is_valid():
        fields = _situation(form.cleaned_data)
        if request.POST.get("action") == PLAN:
            try:
                plan, judgement = planning.session_plan(child=child, staff=request.user, **fields)
            except ValidationError as error:
                service_errors_onto(form, error)
            else:
                if judgement.allowed:
                    messages.success(request, "Session planned. Yes, you may.")
                else:
                    messages.success(
                        request,
                        "Session planned, with the answer no: each reason says what must "
                        "change before it goes ahead.",
                    )
                return redirect("plan_detail", pk=plan.pk)
        else:
            judgement = planning.may_i(child=child, staff=request.user, **fields)
            if judgement.errors:
                service_errors_onto(form, ValidationError(judgement.errors))
            else:
                answer = answer_of(judgement, form)
    return render(
        request, "practice/plan_form.html", {"form": form, "child": child, "answer": answer}
    )


def plan_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    recorded = Answer(plan.allowed, [Reason(reason["message"], "") for reason in plan.reasons], [])
    now = None
    if plan.cancelled_at is None:
        # Consent, checks and registers may have changed since it was planned.
        now = answer_of(
            planning.may_i(
                child=plan.child,
                staff=plan.staff,
                channel=plan.channel,
                planned_for=plan.planned_for,
                with_whom=plan.with_whom,
                guardian=plan.guardian,
                purpose=plan.purpose,
                approved_platform=plan.approved_platform,
                device=plan.device,
                second_staff=plan.second_staff,
                parent_present=plan.parent_present,
                permission_from=plan.permission_from,
                permission_at=plan.permission_at,
                permission_for=plan.permission_for,
            )
        )
    return render(
        request,
        "practice/plan_detail.html",
        {
            "plan": plan,
            "child": plan.child,
            "recorded": recorded,
            "now": now,
            "may_cancel": plan.cancelled_at is None and may_cancel_plan(request.user, plan),
            "may_log": plan.cancelled_at is None and plan.staff_id == request.user.pk,
        },
    )


@require_POST
def plan_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    if not may_cancel_plan(request.user, plan):
        raise PermissionDenied
    try:
        planning.plan_cancel(plan=plan, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Session cancelled.")
    return redirect("plan_detail", pk=plan.pk)


def my_plans(request: AuthedRequest) -> HttpResponse:
    """The sessions a member of staff has planned from now on, across her caseload."""
    plans = (
        plans_visible_to(request.user)
        .filter(staff_id=request.user.pk, cancelled_at__isnull=True)
        .filter(planned_for__gte=timezone.now())
        .select_related("child", "guardian")
    )
    return render(request, "practice/plan_list.html", {"plans": plans})


def upcoming_for(request: AuthedRequest, child: Child) -> list[PlannedSession]:
    """The child's sessions to come the person looking may open."""
    return list(
        plans_visible_to(request.user)
        .filter(child=child, cancelled_at__isnull=True, planned_for__gte=timezone.now())
        .select_related("staff")[:20]
    )


def planned_sessions_section(request: AuthedRequest, child: Child) -> SafeString:
    """The child's planned sessions, each with its answer, and where to plan one."""
    return render_to_string(
        "practice/plan_section.html",
        {"child": child, "plans": upcoming_for(request, child)},
        request=request,
    )
