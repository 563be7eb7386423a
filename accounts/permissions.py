"""Who may see or change what.

Every view fetches objects through these helpers. Another organisation's data is
always a 404, never a 403 that would confirm it exists.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import Role, User, UserQuerySet


def is_admin(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.ADMIN


def require_admin(user: User) -> None:
    """Staff management pages are for organisation admins only."""
    if not is_admin(user):
        raise PermissionDenied


def staff_visible_to(user: User) -> UserQuerySet:
    """Staff of the user's own organisation that the user may list."""
    if not is_admin(user):
        return User.objects.none()
    staff = User.objects.filter(organisation_id=user.organisation_id)
    # Platform operators are not the organisation's staff to manage.
    return staff if user.is_superuser else staff.exclude(is_superuser=True)


def get_staff_member_for_user(user: User, pk: int | str, perm: str = "view") -> User:
    """One member of staff, for an admin of the same organisation; 404 for anyone else.

    Only admins manage staff, and for them "view" and "change" coincide; the
    argument keeps the helper's shape the same as every other app's.
    """
    if perm not in {"view", "change"}:
        raise ValueError(f"unknown permission {perm!r}")
    try:
        return staff_visible_to(user).select_related("organisation").get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
