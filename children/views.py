"""Children, guardians, caseloads and the onboarding import."""

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from accounts.models import Role, User
from audit import services as audit
from audit.selectors import openers_of
from children import sections as child_sections
from children import services as caseload
from children.filters import ChildFilter
from children.forms import AllocationForm, ChildForm, ChildImportForm, GuardianForm
from children.importing import COLUMNS, MAX_BYTES, children_import
from children.models import Allocation, Child, ChildFlag, ChildGuardian, active_on
from children.permissions import (
    children_visible_to,
    get_allocation_for_user,
    get_child_for_user,
    get_guardian_link_for_user,
    manages_child_flags,
    manages_children,
    sees_all_children,
)
from common.forms import service_errors_onto
from common.pagination import page_of
from records import retention
from records.permissions import manages_records

PAGE_SIZE = 100


def _open_allocations() -> Prefetch:
    return Prefetch(
        "allocations",
        queryset=Allocation.objects.filter(ends_on__isnull=True).select_related("staff"),
        to_attr="open_allocations",
    )


def child_list(request: AuthedRequest) -> HttpResponse:
    """My caseload for staff; every child, searchable, for leads; counts for directors."""
    user = request.user
    today = timezone.localdate()
    if user.role == Role.DIRECTOR:
        theirs = Child.objects.filter(organisation_id=user.organisation_id)
        active = active_on(today)
        counts = theirs.aggregate(
            active=Count("pk", filter=active), discharged=Count("pk", filter=~active)
        )
        counts["allocated"] = theirs.active(today).allocated().count()
        counts["unallocated"] = counts["active"] - counts["allocated"]
        return render(request, "children/child_counts.html", {"counts": counts})

    filters = ChildFilter(request.GET, queryset=children_visible_to(user), user=user, today=today)
    staff_choices = []
    if sees_all_children(user):
        staff_choices = list(
            User.objects.filter(organisation_id=user.organisation_id, is_active=True).order_by(
                "full_name"
            )
        )
    page = page_of(request, filters.qs.prefetch_related(_open_allocations()).distinct(), PAGE_SIZE)
    form_data = filters.data or {}
    return render(
        request,
        "children/child_list.html",
        {
            "children": page,
            "page": page,
            "total": page.paginator.count,
            "query": form_data["q"],
            "status": form_data["status"],
            "staff_filter": form_data.get("staff", ""),
            "staff_choices": staff_choices,
            "sees_all": sees_all_children(user),
            "manages": manages_children(user),
        },
    )


def child_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    child = get_child_for_user(request.user, pk, "view")
    audit.record(action="child.viewed", actor=request.user, obj=child)
    links = ChildGuardian.objects.filter(child=child).select_related("guardian")
    allocations = Allocation.objects.filter(child=child).select_related("staff")
    leads = manages_child_flags(request.user)
    flags = list(ChildFlag.objects.filter(child=child).select_related("recorded_by", "ended_by"))
    return render(
        request,
        "children/child_detail.html",
        {
            "child": child,
            "links": links,
            "allocations": allocations,
            "manages": manages_children(request.user),
            "current_flags": [flag for flag in flags if flag.is_current],
            # The leads: the flags' history, and who has opened this child's record.
            "leads": leads,
            "flag_history": flags if leads else [],
            "openers": openers_of(child) if leads else [],
            "sections": child_sections.render(request, child),
            "holds": retention.holds_covering(child.organisation_id, child_ids=[child.pk]),
            "sees_hold_reasons": manages_records(request.user),
        },
    )


def _require_manager(request: AuthedRequest) -> None:
    if not manages_children(request.user):
        raise PermissionDenied


def child_create(request: AuthedRequest) -> HttpResponse:
    _require_manager(request)
    form = ChildForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        child = caseload.child_create(
            organisation=request.user.organisation,
            by=request.user,
            **form.cleaned_data,
        )
        messages.success(request, f"{child.display_name} has been added.")
        return redirect("child_detail", pk=child.pk)
    return render(request, "children/child_form.html", {"form": form, "child": None})


def child_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    child = get_child_for_user(request.user, pk, "change")
    # The form edits a copy, so the service can still see what the child was.
    form = ChildForm(request.POST or None, instance=copy.copy(child))
    if request.method == "POST" and form.is_valid():
        caseload.child_update(child=child, by=request.user, **form.cleaned_data)
        messages.success(request, "Changes saved.")
        return redirect("child_detail", pk=child.pk)
    return render(request, "children/child_form.html", {"form": form, "child": child})


def guardian_add(request: AuthedRequest, pk: int) -> HttpResponse:
    child = get_child_for_user(request.user, pk, "change")
    form = GuardianForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = caseload.guardian_add(child=child, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(request, f"{link.guardian.full_name} is linked to {child}.")
            return redirect("child_detail", pk=child.pk)
    return render(
        request, "children/guardian_form.html", {"form": form, "child": child, "link": None}
    )


def guardian_edit(request: AuthedRequest, pk: int, link_pk: int) -> HttpResponse:
    child = get_child_for_user(request.user, pk, "change")
    link = get_guardian_link_for_user(request.user, child, link_pk)
    guardian = link.guardian
    initial = {
        "full_name": guardian.full_name,
        "email": guardian.email,
        "phone": guardian.phone,
        "preferred_contact": guardian.preferred_contact,
        "relationship": link.relationship,
        "parental_responsibility": link.parental_responsibility,
    }
    form = GuardianForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        link_fields = {k: data.pop(k) for k in ("relationship", "parental_responsibility")}
        data["email"] = data["email"].lower()
        caseload.guardian_update(
            link=link,
            by=request.user,
            guardian_fields=data,
            link_fields=link_fields,
        )
        messages.success(request, "Changes saved.")
        return redirect("child_detail", pk=child.pk)
    return render(
        request, "children/guardian_form.html", {"form": form, "child": child, "link": link}
    )


def allocation_add(request: AuthedRequest, pk: int) -> HttpResponse:
    child = get_child_for_user(request.user, pk, "change")
    form = AllocationForm(request.POST or None, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            caseload.allocation_start(child=child, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(
                request, f"{child} is now on {form.cleaned_data['staff'].full_name}'s caseload."
            )
            return redirect("child_detail", pk=child.pk)
    return render(request, "children/allocation_form.html", {"form": form, "child": child})


@require_POST
def allocation_end(request: AuthedRequest, pk: int) -> HttpResponse:
    allocation = get_allocation_for_user(request.user, pk)
    try:
        caseload.allocation_end(allocation=allocation, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            f"{allocation.child} is no longer on {allocation.staff.full_name}'s caseload.",
        )
    return redirect("child_detail", pk=allocation.child_id)


def child_import(request: AuthedRequest) -> HttpResponse:
    _require_manager(request)
    form = ChildImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = children_import(
            organisation=request.user.organisation,
            upload=form.cleaned_data["file"].read(MAX_BYTES + 1),
            by=request.user,
        )
        if result.ok:
            messages.success(
                request,
                ngettext("Imported %(n)d child", "Imported %(n)d children", result.children)
                % {"n": result.children}
                + ngettext(" and %(n)d guardian.", " and %(n)d guardians.", result.guardians)
                % {"n": result.guardians},
            )
            return redirect("child_list")
    return render(
        request,
        "children/child_import.html",
        {"form": form, "result": result, "columns": COLUMNS},
    )
