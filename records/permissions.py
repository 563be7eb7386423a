"""Who may see or change what.

Every view fetches objects through these helpers. Another organisation's data is
always a 404, never a 403 that would confirm it exists.
"""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import LEAD_ROLES, Role, User
from records.models import LegalHold, RetentionReview, SubjectAccessRequest

RECORDS_MANAGERS = frozenset({Role.ADMIN, *LEAD_ROLES})


def manages_records(user: User) -> bool:
    """Admins (most records) and the DSL and deputies (safeguarding records):
    retention reviews, legal holds and subject access requests."""
    return user.is_authenticated and user.is_active and user.role in RECORDS_MANAGERS


def retention_reviews_visible_to(user: User) -> QuerySet[RetentionReview]:
    if not manages_records(user):
        return RetentionReview.objects.none()
    return RetentionReview.objects.filter(organisation_id=user.organisation_id)


def get_retention_review_for_user(user: User, pk: int | str) -> RetentionReview:
    try:
        return retention_reviews_visible_to(user).select_related("organisation", "child").get(pk=pk)
    except (RetentionReview.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def legal_holds_visible_to(user: User) -> QuerySet[LegalHold]:
    if not manages_records(user):
        return LegalHold.objects.none()
    return LegalHold.objects.filter(organisation_id=user.organisation_id)


def get_legal_hold_for_user(user: User, pk: int | str) -> LegalHold:
    try:
        return legal_holds_visible_to(user).get(pk=pk)
    except (LegalHold.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def sars_visible_to(user: User) -> QuerySet[SubjectAccessRequest]:
    if not manages_records(user):
        return SubjectAccessRequest.objects.none()
    return SubjectAccessRequest.objects.filter(organisation_id=user.organisation_id)


def get_sar_for_user(user: User, pk: int | str) -> SubjectAccessRequest:
    try:
        return (
            sars_visible_to(user)
            .select_related("child", "guardian", "staff", "organisation")
            .get(pk=pk)
        )
    except (SubjectAccessRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
