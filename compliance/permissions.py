from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role, User
from accounts.permissions import is_admin
from compliance.models import TrainingRecord


def sees_compliance(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in {Role.ADMIN, Role.DIRECTOR}


def records_compliance(user: User) -> bool:
    return is_admin(user)


def compliance_staff_visible_to(user: User) -> QuerySet[User]:
    if not sees_compliance(user):
        return User.objects.none()
    return User.objects.filter(organisation_id=user.organisation_id, is_superuser=False)


def get_compliance_staff_for_user(user: User, pk: int | str, perm: str = "view") -> User:
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


def training_records_visible_to(user: User) -> QuerySet[TrainingRecord]:
    """Training records, certificates included: one's own; everyone's of the
    organisation for those who see staff compliance."""
    if not (user.is_authenticated and user.is_active):
        return TrainingRecord.objects.none()
    records = TrainingRecord.objects.filter(organisation_id=user.organisation_id)
    return records if sees_compliance(user) else records.filter(staff_id=user.pk)


def get_training_record_for_user(user: User, pk: int | str) -> TrainingRecord:
    try:
        return training_records_visible_to(user).select_related("staff").get(pk=pk)
    except (TrainingRecord.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def sets_role_training(user: User) -> bool:
    """What each role must have done is the organisation's admins' to decide."""
    return is_admin(user)
