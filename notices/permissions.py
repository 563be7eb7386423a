from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from notices.models import Notice


def notices_visible_to(user: User) -> QuerySet[Notice]:
    """A person's own notices; nobody else's, whatever their role."""
    return Notice.objects.filter(recipient_id=user.pk, organisation_id=user.organisation_id)


def get_notice_for_user(user: User, pk: int | str) -> Notice:
    try:
        return notices_visible_to(user).get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
