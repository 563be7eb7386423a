"""Who may ask for, record and act on consent. Everything hangs off the child:
whoever may see a child may see its consent and ask for it; the DSL, deputies
and admins also record verbal consent and close takedown tasks."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from accounts.permissions import is_admin
from children.permissions import children_visible_to, manages_children
from consent.models import ConsentRequest, ConsentType, TakedownTask


def get_consent_request_for_user(user: User, pk: int | str) -> ConsentRequest:
    try:
        return ConsentRequest.objects.select_related("child").get(
            pk=pk, child__in=children_visible_to(user)
        )
    except (ConsentRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_takedown_for_user(user: User, pk: int | str) -> TakedownTask:
    try:
        task = TakedownTask.objects.select_related("child").get(
            pk=pk, child__in=children_visible_to(user)
        )
    except (TakedownTask.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not (manages_children(user) or task.assigned_to_id == user.pk):
        raise Http404
    return task


def get_consent_type_for_user(user: User, pk: int | str, perm: str = "view") -> ConsentType:
    """The organisation's own consent types; only admins change them."""
    try:
        consent_type = ConsentType.objects.get(pk=pk, organisation_id=user.organisation_id)
    except (ConsentType.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if perm == "change" and not is_admin(user):
        raise PermissionDenied
    return consent_type
