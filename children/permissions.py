from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.induction import require_induction
from accounts.models import LEAD_ROLES, Role, User
from children.models import (
    Allocation,
    Child,
    ChildFlag,
    ChildGuardian,
    ChildQuerySet,
    Guardian,
)

CHILD_LEADS = frozenset({*LEAD_ROLES, Role.ADMIN})


def sees_all_children(user: User) -> bool:
    """DSL, deputies and admins see every child of their organisation."""
    return user.is_authenticated and user.is_active and user.role in CHILD_LEADS


def manages_children(user: User) -> bool:
    """Who adds and edits children, guardians and allocations."""
    return sees_all_children(user)


def children_visible_to(user: User) -> ChildQuerySet:
    """The children a user may open: all of the organisation's for leads, the
    ones allocated to them (an object permission) for other staff, none for
    directors, who see counts."""
    organisation_children = Child.objects.filter(organisation_id=user.organisation_id)
    if sees_all_children(user):
        return organisation_children
    if user.is_authenticated and user.is_active and user.role == Role.STAFF:
        return organisation_children.filter(
            childuserobjectpermission__user=user,
            childuserobjectpermission__permission__codename="view_child",
            childuserobjectpermission__permission__content_type__app_label="children",
        ).distinct()
    return Child.objects.none()


def get_child_for_user(user: User, pk: int | str, perm: str = "view") -> Child:
    """One child: 404 unless visible; 403 when visible but not changeable; the
    induction page (accounts.induction) until its viewer has done what opening a
    child's record needs. Visibility first, so the gate tells nobody a child exists."""
    if perm not in {"view", "change"}:
        raise ValueError(f"unknown permission {perm!r}")
    try:
        child = children_visible_to(user).select_related("organisation").get(pk=pk)
    except (Child.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if perm == "change" and not manages_children(user):
        raise PermissionDenied
    require_induction(user)
    return child


def guardians_visible_to(user: User) -> QuerySet[Guardian]:
    """Parents and carers of the children the user may open."""
    return Guardian.objects.filter(
        organisation_id=user.organisation_id, child_links__child__in=children_visible_to(user)
    ).distinct()


def get_guardian_link_for_user(user: User, child: Child, pk: int | str) -> ChildGuardian:
    """A guardian link of a child the user may change."""
    if not manages_children(user):
        raise PermissionDenied
    try:
        return ChildGuardian.objects.select_related("guardian").get(pk=pk, child=child)
    except (ChildGuardian.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_allocation_for_user(user: User, pk: int | str) -> Allocation:
    if not manages_children(user):
        raise Http404
    try:
        return Allocation.objects.select_related("child", "staff").get(
            pk=pk, organisation_id=user.organisation_id
        )
    except (Allocation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def manages_child_flags(user: User) -> bool:
    """The DSL and deputies record and end a child's flags and read their history;
    anyone who may open the child sees the current ones."""
    return user.is_authenticated and user.is_active and user.role in LEAD_ROLES


def get_child_flag_for_user(user: User, pk: int | str) -> ChildFlag:
    """A flag of a child the user may open (404 otherwise); 403 unless a lead."""
    try:
        flag = (
            ChildFlag.objects.filter(child__in=children_visible_to(user))
            .select_related("child")
            .get(pk=pk)
        )
    except (ChildFlag.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not manages_child_flags(user):
        raise PermissionDenied
    require_induction(user)
    return flag
