"""Who may ask for, record and act on consent. Everything hangs off the child:
whoever may see a child may see its consent and ask for it; the DSL, deputies,
admins and the child's allocated therapist record verbal and paper consent; the
DSL, deputies and admins close takedown tasks (and the therapist assigned one)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import Role, User
from accounts.permissions import is_admin
from children.models import Child
from children.permissions import (
    children_visible_to,
    get_child_for_user,
    manages_children,
    sees_all_children,
)
from consent.models import ConsentRequest, ConsentType, TakedownTask


def records_consent_for(user: User, child: Child) -> bool:
    """The leads and admins, and the therapist with the child on their caseload
    now: the one who took the parent's call, so who can record it at once."""
    if manages_children(user):
        return True
    return Child.objects.filter(pk=child.pk).allocated(user.pk).exists()


def get_child_to_record_consent(user: User, pk: int | str) -> Child:
    """A child whose consent the user may record: 404 unless visible, 403 when
    visible but the user may not record (no longer allocated, say)."""
    child = get_child_for_user(user, pk, "view")
    if not records_consent_for(user, child):
        raise PermissionDenied
    return child


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


def sees_do_not_use_list(user: User) -> bool:
    """Staff who work with children: the leads and admins for every child, a
    therapist for their caseload. Directors see figures, not children."""
    return sees_all_children(user) or (user.is_active and user.role == Role.STAFF)


def sees_parents_outstanding(user: User) -> bool:
    """The list of parents and carers yet to agree to the policies names them and
    their children: for the leads and admins, who see every child. Therapists see
    only their caseload, and directors figures, not children."""
    return sees_all_children(user)
