"""What online practice makes due: platform risk assessments to review, work
devices to attest, online accounts out of order, and recurring tasks."""

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator, Sequence

from django.urls import reverse

from accounts.models import Organisation, User
from common.registry import REMINDERS
from notices.engine import DueItem, local_midnight, stage_for
from practice.models import FollowUp, OnlineAccount, Platform, WorkDevice
from practice.permissions import KEEPERS
from practice.services import tasks_ensure


def _keepers(organisation: Organisation) -> list[User]:
    return list(User.objects.of(organisation).active().filter(role__in=KEEPERS))


@REMINDERS.register
def practice_due(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    today = now.astimezone(tz).date()
    # Read the first time something is due: most sweeps find nothing.
    keepers = functools.cache(lambda: _keepers(organisation))
    url = reverse("practice_home")
    platforms = Platform.objects.filter(organisation=organisation, approved=True)
    for platform in platforms.prefetch_related("assessments"):
        latest = max(platform.assessments.all(), key=lambda a: (a.assessed_on, a.pk), default=None)
        if latest is None:
            continue
        due_at = local_midnight(latest.review_due, tz)
        if stage := stage_for(due_at=due_at, now=now, tz=tz, lead_days=(30,)):
            yield DueItem(
                kind="practice.assessment",
                obj=latest,
                stage=stage,
                recipients=keepers(),
                due_at=due_at,
                url=url,
                title=f"Review the risk assessment of {platform.name} "
                f"(due {latest.review_due:%-d %B %Y})",
            )
    devices = WorkDevice.objects.filter(organisation=organisation, retired_on__isnull=True)
    for device in devices.select_related("staff").prefetch_related("attestations"):
        until = device.attested_until() or device.registered_on
        due_at = local_midnight(until, tz)
        if stage := stage_for(due_at=due_at, now=now, tz=tz, lead_days=(30,)):
            yield DueItem(
                kind="practice.device",
                obj=device,
                stage=stage,
                recipients=[device.staff],
                due_at=due_at,
                url=url,
                title=f"Attest your work device: {device.description}",
            )
    accounts = OnlineAccount.objects.filter(organisation=organisation)
    for account in accounts.prefetch_related("holders", "monitors"):
        problems = account.problems(today)
        if problems:
            # Weekly while the account is out of order: one reminder per ISO week.
            monday = today - dt.timedelta(days=today.weekday())
            yield DueItem(
                kind="practice.account",
                obj=account,
                stage=f"flagged-{monday:%G-W%V}",
                recipients=keepers(),
                due_at=local_midnight(monday, tz),
                url=url,
                title=f"Online account {account} needs attention: " + "; ".join(problems),
            )
    # The tasks every organisation has appear with the first sweep after it has a DSL.
    for task in tasks_ensure(organisation=organisation):
        if not task.active:
            continue
        due_at = local_midnight(task.next_due, tz)
        if stage := stage_for(due_at=due_at, now=now, tz=tz, lead_days=(14,)):
            yield DueItem(
                kind="practice.task",
                obj=task,
                stage=stage,
                recipients=[task.owner, *keepers()],
                due_at=due_at,
                url=url,
                title=f"{task.title} is due on {task.next_due:%-d %B %Y}",
            )


@REMINDERS.register
def follow_ups_due(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """A contact's follow-up (a camera refusal to talk through with the parent):
    its owner is reminded the day before, on the day, then weekly until done."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    open_follow_ups = FollowUp.objects.filter(
        organisation=organisation, done_at__isnull=True
    ).select_related("owner", "contact__child")
    leads: list[User] | None = None
    for follow_up in open_follow_ups:
        due_at = local_midnight(follow_up.due_on, tz)
        if stage := stage_for(due_at=due_at, now=now, tz=tz, lead_days=(1,)):
            child = follow_up.contact.child
            recipients = [follow_up.owner]
            if not follow_up.owner.is_active:
                # Its owner has left: the DSL and deputies take it on.
                if leads is None:
                    leads = list(User.objects.of(organisation).leads())
                recipients = leads
            yield DueItem(
                kind="practice.follow_up",
                obj=follow_up,
                stage=stage,
                recipients=recipients,
                due_at=due_at,
                url=reverse("follow_up_done", args=[follow_up.pk]),
                title=f"{follow_up.what} ({child.display_name}, due {follow_up.due_on:%-d %B %Y})",
            )


def online_presence_training(staff: Sequence[User]) -> dict[int, set[str]]:
    """Whoever holds access to one of the organisation's online accounts manages
    its online presence, and needs that training (one query for everyone)."""
    holders = OnlineAccount.holders.through.objects.filter(user_id__in=[m.pk for m in staff])
    return {user_id: {"online_presence"} for user_id in holders.values_list("user_id", flat=True)}
