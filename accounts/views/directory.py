"""Who to tell: the directory every member of staff can open, and where an
admin keeps it right (the online-presence lead, the urgent route, phones)."""

from django.http import HttpResponse
from django.shortcuts import render

from accounts import services
from accounts.forms import ParentPagesForm, PhoneForm, WhoToTellForm
from accounts.http import AuthedRequest
from accounts.permissions import get_staff_member_for_user, is_admin, require_admin
from common.views import form_step


def who_to_tell(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "accounts/who_to_tell.html",
        {"organisation": request.user.organisation, "may_change": is_admin(request.user)},
    )


def who_to_tell_change(request: AuthedRequest) -> HttpResponse:
    require_admin(request.user)
    organisation = request.user.organisation
    form = WhoToTellForm(
        request.POST if request.method == "POST" else None,
        organisation=organisation,
        initial={
            "online_presence_lead": organisation.online_presence_lead_id,
            "urgent_route": organisation.urgent_route,
        },
    )
    return form_step(
        request,
        form,
        call=lambda data: services.who_to_tell_update(
            organisation=organisation, by=request.user, **data
        ),
        then="who_to_tell",
        done="Who to tell saved.",
        title="Change who to tell",
        intro=f"The {organisation.titles.short} and deputies are listed from their roles, "
        "with their work phones (set on each person's staff page). The 999 line is always shown.",
        back="who_to_tell",
    )


def parent_pages_change(request: AuthedRequest) -> HttpResponse:
    """What parents see of the service: logo, contact details, language, lead title."""
    require_admin(request.user)
    organisation = request.user.organisation
    form = ParentPagesForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={
            "contact_phone": organisation.contact_phone,
            "contact_email": organisation.contact_email,
            "parent_language": organisation.parent_language,
            "safeguarding_title": organisation.safeguarding_title,
        },
    )
    return form_step(
        request,
        form,
        call=lambda data: services.parent_pages_update(
            organisation=organisation, by=request.user, **data
        ),
        then="who_to_tell",
        done="Parents' pages saved.",
        title="Parents' pages",
        intro="Parents see your name and logo at the top of every page, with these contact "
        "details and who to tell about a worry. They can switch between English and Welsh.",
        back="who_to_tell",
    )


def phone_change(request: AuthedRequest) -> HttpResponse:
    """One's own work phone."""
    user = request.user
    form = PhoneForm(
        request.POST if request.method == "POST" else None, initial={"phone": user.phone}
    )
    return form_step(
        request,
        form,
        call=lambda data: services.staff_phone_update(staff=user, by=user, phone=data["phone"]),
        then="profile",
        done="Work phone saved.",
        title="Your work phone",
        back="profile",
    )


def staff_phone(request: AuthedRequest, pk: int) -> HttpResponse:
    """A member of staff's work phone, for an admin."""
    member = get_staff_member_for_user(request.user, pk, "change")
    form = PhoneForm(
        request.POST if request.method == "POST" else None, initial={"phone": member.phone}
    )
    return form_step(
        request,
        form,
        call=lambda data: services.staff_phone_update(
            staff=member, by=request.user, phone=data["phone"]
        ),
        then=lambda _: f"/staff/{member.pk}/",
        done="Work phone saved.",
        title="Work phone",
        caption=member.full_name,
        back=f"/staff/{member.pk}/",
    )
