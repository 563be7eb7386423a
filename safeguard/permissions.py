"""Who may see or change what.

Every view fetches objects through these helpers. Another organisation's data is
always a 404, never a 403 that would confirm it exists.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from safeguard.models import (
    Allocation,
    Child,
    ChildGuardian,
    Guardian,
    LegalHold,
    Notice,
    RetentionReview,
    Role,
    SubjectAccessRequest,
    User,
)


def is_admin(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.ADMIN


def require_admin(user: User) -> None:
    """Staff management pages are for organisation admins only."""
    if not is_admin(user):
        raise PermissionDenied


def staff_visible_to(user: User) -> QuerySet[User]:
    """Staff of the user's own organisation that the user may list."""
    if not is_admin(user):
        return User.objects.none()
    staff = User.objects.filter(organisation_id=user.organisation_id)
    # Platform operators are not the organisation's staff to manage.
    return staff if user.is_superuser else staff.exclude(is_superuser=True)


def get_staff_member_for_user(user: User, pk: object, perm: str = "view") -> User:
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


def notices_visible_to(user: User) -> QuerySet[Notice]:
    """A person's own notices; nobody else's, whatever their role."""
    return Notice.objects.filter(recipient_id=user.pk, organisation_id=user.organisation_id)


def get_notice_for_user(user: User, pk: object) -> Notice:
    try:
        return notices_visible_to(user).get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- children ---------------------------------------------------------------------

CHILD_LEADS = frozenset({Role.DSL, Role.DEPUTY_DSL, Role.ADMIN})


def sees_all_children(user: User) -> bool:
    """DSL, deputies and admins see every child of their organisation."""
    return user.is_authenticated and user.is_active and user.role in CHILD_LEADS


def manages_children(user: User) -> bool:
    """Who adds and edits children, guardians and allocations."""
    return sees_all_children(user)


def children_visible_to(user: User) -> QuerySet[Child]:
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
            childuserobjectpermission__permission__content_type__app_label="safeguard",
        ).distinct()
    return Child.objects.none()


def get_child_for_user(user: User, pk: object, perm: str = "view") -> Child:
    """One child: 404 unless visible; 403 when visible but not changeable."""
    if perm not in {"view", "change"}:
        raise ValueError(f"unknown permission {perm!r}")
    try:
        child = children_visible_to(user).select_related("organisation").get(pk=pk)
    except (Child.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if perm == "change" and not manages_children(user):
        raise PermissionDenied
    return child


def guardians_visible_to(user: User) -> QuerySet[Guardian]:
    """Parents and carers of the children the user may open."""
    return Guardian.objects.filter(
        organisation_id=user.organisation_id, child_links__child__in=children_visible_to(user)
    ).distinct()


def get_guardian_link_for_user(user: User, child: Child, pk: object) -> ChildGuardian:
    """A guardian link of a child the user may change."""
    if not manages_children(user):
        raise PermissionDenied
    try:
        return ChildGuardian.objects.select_related("guardian").get(pk=pk, child=child)
    except (ChildGuardian.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_allocation_for_user(user: User, pk: object) -> Allocation:
    if not manages_children(user):
        raise Http404
    try:
        return Allocation.objects.select_related("child", "staff").get(
            pk=pk, organisation_id=user.organisation_id
        )
    except (Allocation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- staff compliance ----------------------------------------------------------------


def sees_compliance(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in {Role.ADMIN, Role.DIRECTOR}


def records_compliance(user: User) -> bool:
    return is_admin(user)


def compliance_staff_visible_to(user: User) -> QuerySet[User]:
    if not sees_compliance(user):
        return User.objects.none()
    return User.objects.filter(organisation_id=user.organisation_id, is_superuser=False)


def get_compliance_staff_for_user(user: User, pk: object, perm: str = "view") -> User:
    """A member of staff's DBS and training: viewed by themselves, admins and
    directors; recorded by admins only."""
    if perm not in {"view", "change"}:
        raise ValueError(f"unknown permission {perm!r}")
    own = str(pk) == str(user.pk)
    try:
        member = (
            User.objects.get(pk=user.pk) if own else compliance_staff_visible_to(user).get(pk=pk)
        )
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if perm == "change" and not records_compliance(user):
        raise PermissionDenied
    return member


# --- retention, legal holds and subject access requests ------------------------------

RECORDS_LEADS = frozenset({Role.ADMIN, Role.DSL, Role.DEPUTY_DSL})


def manages_records(user: User) -> bool:
    """Admins (most records) and the DSL and deputies (safeguarding records):
    retention reviews, legal holds and subject access requests."""
    return user.is_authenticated and user.is_active and user.role in RECORDS_LEADS


def retention_reviews_visible_to(user: User) -> QuerySet[RetentionReview]:
    if not manages_records(user):
        return RetentionReview.objects.none()
    return RetentionReview.objects.filter(organisation_id=user.organisation_id)


def get_retention_review_for_user(user: User, pk: object) -> RetentionReview:
    try:
        return retention_reviews_visible_to(user).select_related("organisation", "child").get(pk=pk)
    except (RetentionReview.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def legal_holds_visible_to(user: User) -> QuerySet[LegalHold]:
    if not manages_records(user):
        return LegalHold.objects.none()
    return LegalHold.objects.filter(organisation_id=user.organisation_id)


def get_legal_hold_for_user(user: User, pk: object) -> LegalHold:
    try:
        return legal_holds_visible_to(user).get(pk=pk)
    except (LegalHold.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def sars_visible_to(user: User) -> QuerySet[SubjectAccessRequest]:
    if not manages_records(user):
        return SubjectAccessRequest.objects.none()
    return SubjectAccessRequest.objects.filter(organisation_id=user.organisation_id)


def get_sar_for_user(user: User, pk: object) -> SubjectAccessRequest:
    try:
        return sars_visible_to(user).select_related("child", "guardian", "organisation").get(pk=pk)
    except (SubjectAccessRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
