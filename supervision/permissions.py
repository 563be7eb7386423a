"""Who may see or change supervision records.

The DSL and deputies see and record every session of their organisation, set
how often each member of staff is supervised, and may mark any action done. A
member of staff sees the sessions they were supervised in and the actions they
own, and marks their own actions done. Nobody else sees a session, and anyone
of another organisation gets a 404 that does not confirm it exists.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.induction import require_induction
from accounts.models import LEAD_ROLES, User
from supervision.models import SUPERVISED_ROLES, SupervisionAction, SupervisionSession


def _active(user: User) -> bool:
    return user.is_authenticated and user.is_active


def leads_supervision(user: User) -> bool:
    """The DSL and deputies: they hold supervision and keep its records."""
    return _active(user) and user.role in LEAD_ROLES


def sessions_visible_to(user: User) -> QuerySet[SupervisionSession]:
    if not _active(user):
        return SupervisionSession.objects.none()
    sessions = SupervisionSession.objects.filter(organisation_id=user.organisation_id)
    return sessions if leads_supervision(user) else sessions.filter(supervisee_id=user.pk)


def get_session_for_user(user: User, pk: int | str) -> SupervisionSession:
    """One session: 404 unless the user leads or was supervised in it. It names
    children, so the induction gate applies as it does to a child's record."""
    try:
        session = sessions_visible_to(user).select_related("supervisor", "supervisee").get(pk=pk)
    except (SupervisionSession.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    require_induction(user)
    return session


def actions_visible_to(user: User) -> QuerySet[SupervisionAction]:
    if not _active(user):
        return SupervisionAction.objects.none()
    actions = SupervisionAction.objects.filter(organisation_id=user.organisation_id)
    return actions if leads_supervision(user) else actions.filter(owner_id=user.pk)


def get_action_for_user(user: User, pk: int | str) -> SupervisionAction:
    """An action its owner, or a lead, may mark done: 404 for anyone else."""
    try:
        return actions_visible_to(user).select_related("session", "owner").get(pk=pk)
    except (SupervisionAction.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def supervised_staff(user: User) -> QuerySet[User]:
    """The members of staff of the user's organisation who are supervised here."""
    return User.objects.filter(
        organisation_id=user.organisation_id, is_active=True, role__in=SUPERVISED_ROLES
    )


def get_staff_for_user(user: User, pk: int | str) -> User:
    """A supervised member of staff, for the leads: 404 when not of the user's
    organisation, 403 for anyone there who does not lead supervision."""
    try:
        staff = supervised_staff(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not leads_supervision(user):
        raise PermissionDenied
    return staff


def require_lead(user: User) -> None:
    """Pages for the leads only answer 403 to everyone else."""
    if not leads_supervision(user):
        raise PermissionDenied
