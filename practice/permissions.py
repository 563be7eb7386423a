"""Who may change the online-practice registers: admins and the DSL and
deputies keep the platforms register and the rules; each member of staff
registers and attests their own work devices (admins for anyone). A planned
session is seen by the member of staff who planned it, the DSL and deputies
and admins; the planner or the DSL and deputies cancel it."""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.induction import require_induction
from accounts.models import LEAD_ROLES, Role, User
from children.permissions import children_visible_to
from practice.models import (
    ContactLog,
    FollowUp,
    OnlineAccount,
    PlannedSession,
    Platform,
    RecurringTask,
    TaskCompletion,
    WorkDevice,
)

KEEPERS = frozenset({Role.ADMIN, *LEAD_ROLES})


def keeps_registers(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in KEEPERS


def platforms_visible_to(user: User) -> QuerySet[Platform]:
    """Everyone of the organisation may read the platforms register."""
    if not (user.is_authenticated and user.is_active):
        return Platform.objects.none()
    return Platform.objects.filter(organisation_id=user.organisation_id)


def get_platform_for_user(user: User, pk: int | str) -> Platform:
    try:
        return platforms_visible_to(user).get(pk=pk)
    except (Platform.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def devices_visible_to(user: User) -> QuerySet[WorkDevice]:
    """One's own devices; every device of the organisation for admins."""
    if not (user.is_authenticated and user.is_active):
        return WorkDevice.objects.none()
    devices = WorkDevice.objects.filter(organisation_id=user.organisation_id)
    return devices if user.role == Role.ADMIN else devices.filter(staff_id=user.pk)


def get_device_for_user(user: User, pk: int | str) -> WorkDevice:
    try:
        return devices_visible_to(user).select_related("staff").get(pk=pk)
    except (WorkDevice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def accounts_visible_to(user: User) -> QuerySet[OnlineAccount]:
    if not (user.is_authenticated and user.is_active):
        return OnlineAccount.objects.none()
    return OnlineAccount.objects.filter(organisation_id=user.organisation_id)


def get_account_for_user(user: User, pk: int | str) -> OnlineAccount:
    try:
        return accounts_visible_to(user).get(pk=pk)
    except (OnlineAccount.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def tasks_visible_to(user: User, *, retired: bool | None = False) -> QuerySet[RecurringTask]:
    """Recurring tasks: the keepers see all; anyone else the ones they own.
    Retired tasks are asked for apart (``retired=True``; None for both)."""
    if not (user.is_authenticated and user.is_active):
        return RecurringTask.objects.none()
    tasks = RecurringTask.objects.filter(organisation_id=user.organisation_id)
    if retired is not None:
        tasks = tasks.filter(active=not retired)
    return tasks if keeps_registers(user) else tasks.filter(owner_id=user.pk)


def get_task_for_user(user: User, pk: int | str, *, retired: bool | None = False) -> RecurringTask:
    try:
        return tasks_visible_to(user, retired=retired).select_related("owner").get(pk=pk)
    except (RecurringTask.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def manages_tasks(user: User) -> bool:
    """Adding, changing and retiring tasks belongs with keeping the registers."""
    return keeps_registers(user)


def task_completions_visible_to(user: User) -> QuerySet[TaskCompletion]:
    """A completion and its evidence: the task's owner and whoever recorded it,
    and the keepers; retired tasks' completions too, for they are kept."""
    if not (user.is_authenticated and user.is_active):
        return TaskCompletion.objects.none()
    completions = TaskCompletion.objects.filter(task__organisation_id=user.organisation_id)
    if keeps_registers(user):
        return completions
    return completions.filter(Q(task__owner_id=user.pk) | Q(by_id=user.pk))


def get_task_completion_for_user(user: User, pk: int | str) -> TaskCompletion:
    try:
        return task_completions_visible_to(user).select_related("task").get(pk=pk)
    except (TaskCompletion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def plans_visible_to(user: User) -> QuerySet[PlannedSession]:
    """One's own planned sessions with the children one still sees; every one of
    the organisation for the DSL, deputies and admins."""
    if not (user.is_authenticated and user.is_active):
        return PlannedSession.objects.none()
    plans = PlannedSession.objects.filter(organisation_id=user.organisation_id)
    if user.role in KEEPERS:
        return plans
    return plans.filter(staff_id=user.pk, child__in=children_visible_to(user))


def get_plan_for_user(user: User, pk: int | str) -> PlannedSession:
    try:
        plan = (
            plans_visible_to(user)
            .select_related(
                "child__organisation",
                "staff",
                "guardian",
                "approved_platform",
                "device",
                "second_staff",
                "parent_present",
                "permission_from",
                "cancelled_by",
            )
            .get(pk=pk)
        )
    except (PlannedSession.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    require_induction(user)
    return plan


def may_cancel_plan(user: User, plan: PlannedSession) -> bool:
    """The planner, or the DSL and deputies, who may stop a session that should
    not go ahead; an admin sees plans but does not decide about sessions."""
    return plan.staff_id == user.pk or user.role in LEAD_ROLES


def contacts_visible_to(user: User) -> QuerySet[ContactLog]:
    """Contacts about the children the person may see."""
    if not (user.is_authenticated and user.is_active):
        return ContactLog.objects.none()
    return ContactLog.objects.filter(
        organisation_id=user.organisation_id,
        child__in=children_visible_to(user),
    )


def get_contact_for_user(user: User, pk: int | str) -> ContactLog:
    try:
        contact = contacts_visible_to(user).select_related("child").get(pk=pk)
    except (ContactLog.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    require_induction(user)
    return contact


def follow_ups_visible_to(user: User) -> QuerySet[FollowUp]:
    """A follow-up is its owner's to do; the DSL, deputies and admins see every one."""
    if not (user.is_authenticated and user.is_active):
        return FollowUp.objects.none()
    follow_ups = FollowUp.objects.filter(organisation_id=user.organisation_id)
    return follow_ups if keeps_registers(user) else follow_ups.filter(owner_id=user.pk)


def get_follow_up_for_user(user: User, pk: int | str) -> FollowUp:
    try:
        return follow_ups_visible_to(user).select_related("contact__child", "owner").get(pk=pk)
    except (FollowUp.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def may_close_follow_up(user: User, follow_up: FollowUp) -> bool:
    return follow_up.owner_id == user.pk or keeps_registers(user)
