"""What supervision makes due: actions agreed, reminded to their owners, and
each member of staff's next session, reminded to the leads."""

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable, Iterator

from django.urls import reverse

from accounts.models import Organisation, User
from common.registry import REMINDERS
from notices.engine import DueItem, local_midnight, stage_for
from supervision.models import (
    SupervisionAction,
    SupervisionCadence,
    SupervisionSession,
    SupervisionSettings,
)
from supervision.selectors import staff_supervision

# A week's notice of a supervision falling due, so the leads can book it.
SESSION_LEAD_DAYS = (7,)


def _leads(organisation: Organisation) -> Callable[[], list[User]]:
    # Read the first time something is due: most sweeps find nothing.
    return functools.cache(lambda: list(User.objects.of(organisation).leads()))


@REMINDERS.register
def supervision_actions(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """On the day an action is due, then weekly while it is overdue, until it
    is marked done. Titles are emailed: dates only, never what the action says
    (it may name a child)."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    leads = _leads(organisation)
    open_actions = SupervisionAction.objects.filter(
        organisation=organisation, done_on__isnull=True
    ).select_related("owner", "session")
    for action in open_actions:
        due_at = local_midnight(action.due_on, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
        if stage is None:
            continue
        # Its owner has left: the DSL and deputies take it on.
        recipients = [action.owner] if action.owner.is_active else leads()
        yield DueItem(
            kind="supervision.action",
            obj=action,
            stage=stage,
            recipients=recipients,
            due_at=due_at,
            title=f"An action agreed in supervision on {action.session.held_on:%-d %B %Y} "
            f"is due by {action.due_on:%-d %B %Y}",
            url=reverse("supervision_action_done", args=[action.pk]),
        )


def in_use(organisation: Organisation) -> bool:
    """Whether the organisation keeps supervision here: it has recorded a session
    or set an interval. Until then nobody is told that every member of staff is
    overdue, which on the day the feature arrives would be everyone at once."""
    return (
        SupervisionSession.objects.filter(organisation=organisation).exists()
        or SupervisionCadence.objects.filter(organisation=organisation).exists()
        or SupervisionSettings.objects.filter(organisation=organisation).exists()
    )


@REMINDERS.register
def supervision_sessions(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """A week before a member of staff's next supervision is due (their last
    session plus their cadence), on the day, then weekly while overdue. A
    session recorded moves the date, and the reminders start again from it."""
    if not in_use(organisation):
        return
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    leads = _leads(organisation)
    for row in staff_supervision(organisation=organisation):
        due_at = local_midnight(row.next_due, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=SESSION_LEAD_DAYS)
        if stage is None:
            continue
        yield DueItem(
            kind="supervision.session",
            obj=row.staff,
            stage=stage,
            recipients=leads(),
            due_at=due_at,
            title=f"Supervision for {row.staff.full_name} is due by {row.next_due:%-d %B %Y}",
            url=reverse("supervision_staff_detail", args=[row.staff.pk]),
        )
