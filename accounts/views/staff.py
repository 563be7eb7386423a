"""Staff management for organisation admins: invite, change role, deactivate, reset 2FA."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.forms import InviteForm, RoleForm
from accounts.http import AuthedRequest
from accounts.models import User
from accounts.permissions import get_staff_member_for_user, require_admin, staff_visible_to
from common.forms import service_errors_onto
from common.pagination import page_of


def staff_list(request: AuthedRequest) -> HttpResponse:
    require_admin(request.user)
    page = page_of(
        request, staff_visible_to(request.user).order_by("-is_active", "full_name", "pk")
    )
    enrolled = set(
        User.objects.filter(pk__in=[member.pk for member in page])
        .with_second_factor()
        .values_list("pk", flat=True)
    )
    rows = [(member, member.pk in enrolled) for member in page]
    return render(request, "accounts/staff_list.html", {"rows": rows, "page": page})


def staff_invite(request: AuthedRequest) -> HttpResponse:
    require_admin(request.user)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_invite(
                organisation=request.user.organisation,
                invited_by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            # The same page and words whether or not an account was made (none is
            # when the address has one with another organisation), so nobody learns
            # who works elsewhere from this form.
            email = form.cleaned_data["email"].strip().lower()
            # Queued, not sent: the staff list shows whether it went.
            messages.success(request, f"Invitation to {email} queued to be emailed.")
            return redirect("staff_list")
    return render(request, "accounts/staff_invite.html", {"form": form})


def staff_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    member = get_staff_member_for_user(request.user, pk, "view")
    return render(
        request,
        "accounts/staff_detail.html",
        {
            "member": member,
            "role_form": RoleForm(initial={"role": member.role}),
            "authenticators": TOTPDevice.objects.filter(user=member, confirmed=True).count(),
        },
    )


def _staff_action(
    request: AuthedRequest, pk: int, action: Callable[..., object], done: str
) -> HttpResponse:
    member = get_staff_member_for_user(request.user, pk, "change")
    try:
        action(user=member, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, done.format(name=member.full_name))
    return redirect("staff_detail", pk=member.pk)


@require_POST
def staff_role(request: AuthedRequest, pk: int) -> HttpResponse:
    member = get_staff_member_for_user(request.user, pk, "change")
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role from the list.")
        return redirect("staff_detail", pk=member.pk)
    try:
        services.staff_role_change(user=member, role=form.cleaned_data["role"], by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{member.full_name} is now {member.role_label}.")
    return redirect("staff_detail", pk=member.pk)


@require_POST
def staff_deactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    return _staff_action(
        request,
        pk,
        services.staff_deactivate,
        "{name} can no longer sign in; signed out everywhere.",
    )


@require_POST
def staff_reactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    return _staff_action(request, pk, services.staff_reactivate, "{name} can sign in again.")


@require_POST
def staff_two_factor_reset(request: AuthedRequest, pk: int) -> HttpResponse:
    member = get_staff_member_for_user(request.user, pk, "change")
    if member.pk == request.user.pk:
        messages.error(request, "Manage your own authenticators from your security page.")
        return redirect("staff_detail", pk=pk)
    return _staff_action(
        request,
        pk,
        services.two_factor_reset,
        "{name}'s sign-in was reset. An email with a link to choose a new password and set "
        "up a new authenticator is queued; the staff list shows whether it was sent.",
    )


@require_POST
def staff_invitation_resend(request: AuthedRequest, pk: int) -> HttpResponse:
    return _staff_action(
        request,
        pk,
        services.staff_invitation_resend,
        "A new invitation to {name} is queued to be emailed.",
    )
