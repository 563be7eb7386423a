"""Who may see and change policies. Every member of staff reads them; admins,
the DSL and directors write, approve and review them."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role, User
from policies.models import Policy, PolicyVersion

MANAGERS = frozenset({Role.ADMIN, Role.DSL, Role.DIRECTOR})


def manages_policies(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in MANAGERS


def sees_coverage(user: User) -> bool:
    """Who has and has not read a policy: for admins and directors."""
    return user.is_authenticated and user.is_active and user.role in {Role.ADMIN, Role.DIRECTOR}


def policies_visible_to(user: User) -> QuerySet[Policy]:
    if not (user.is_authenticated and user.is_active):
        return Policy.objects.none()
    return Policy.objects.filter(organisation_id=user.organisation_id)


def get_policy_for_user(user: User, pk: int | str, perm: str = "view") -> Policy:
    """404 outside the organisation; 403 when visible but not changeable."""
    if perm not in {"view", "change"}:
        raise ValueError(f"unknown permission {perm!r}")
    try:
        policy = policies_visible_to(user).select_related("organisation", "owner").get(pk=pk)
    except (Policy.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if perm == "change" and not manages_policies(user):
        raise PermissionDenied
    return policy


def get_version_for_user(user: User, pk: int | str, perm: str = "view") -> PolicyVersion:
    """Staff see approved versions; drafts only those who write policies."""
    try:
        version = PolicyVersion.objects.select_related("policy", "policy__organisation").get(
            pk=pk, policy__organisation_id=user.organisation_id
        )
    except (PolicyVersion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if version.status == "draft" and not manages_policies(user):
        raise Http404
    if perm == "change" and not manages_policies(user):
        raise PermissionDenied
    return version
