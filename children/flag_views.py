"""A child's flags (a plan, looked after, SEND): the leads record and end them."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import reverse

from accounts.http import AuthedRequest
from children import services
from children.forms import ChildFlagEndForm, ChildFlagForm
from children.models import ChildFlag
from children.permissions import get_child_flag_for_user, get_child_for_user, manages_child_flags
from common.views import form_step


def child_flag_add(request: AuthedRequest, pk: int) -> HttpResponse:
    child = get_child_for_user(request.user, pk, "view")
    if not manages_child_flags(request.user):
        raise PermissionDenied
    here = reverse("child_detail", args=[child.pk])
    return form_step(
        request,
        ChildFlagForm(request.POST or None),
        call=lambda data: services.child_flag_add(child=child, by=request.user, **data),
        then=here,
        title="Add a flag",
        intro="Everyone who may open this child's record sees the current flags; "
        f"the {request.user.organisation.titles.short} and deputies see when each started "
        "and ended.",
        done=lambda flag: f"{flag.get_kind_display()} recorded.",  # type: ignore[attr-defined]  # a ChildFlag
        back=here,
        back_label=f"Back to {child.display_name}",
        caption=child.display_name,
    )


def child_flag_end(request: AuthedRequest, pk: int) -> HttpResponse:
    flag: ChildFlag = get_child_flag_for_user(request.user, pk)
    here = reverse("child_detail", args=[flag.child_id])
    return form_step(
        request,
        ChildFlagEndForm(request.POST or None),
        call=lambda data: services.child_flag_end(flag=flag, by=request.user, **data),
        then=here,
        title=f"End the {flag.get_kind_display()} flag",
        intro=f"Started on {flag.started_on:%-d %B %Y}. It stays in the flag history.",
        done=f"{flag.get_kind_display()} ended.",
        back=here,
        back_label=f"Back to {flag.child.display_name}",
        caption=flag.child.display_name,
    )
