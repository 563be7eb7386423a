"""What policies make due: reviews, and staff who have not read the current version."""

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.urls import reverse

from accounts.models import Organisation, Role, User
from common.registry import REMINDERS
from notices.engine import DueItem, local_midnight, stage_for
from policies.models import Acknowledgement, Policy
from policies.services import policy_state

READ_WITHIN = dt.timedelta(days=14)


def _policies(organisation: Organisation) -> list[Policy]:
    return list(
        Policy.objects.filter(organisation=organisation)
        .select_related("owner", "organisation")
        .prefetch_related("versions", "reviews")
    )


@REMINDERS.register
def reviews_due(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """To the owner and the directors at 60, 30 and 7 days, on the day, and
    weekly while overdue."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    directors = list(User.objects.of(organisation).active().filter(role=Role.DIRECTOR))
    for policy in _policies(organisation):
        state = policy_state(policy, now.astimezone(tz).date())
        if state.review_due is None:
            continue
        due_at = local_midnight(state.review_due, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=(60, 30, 7))
        if stage is None:
            continue
        recipients = [*directors, *([policy.owner] if policy.owner else [])]
        yield DueItem(
            kind="policy.review_due",
            obj=policy,
            stage=stage,
            recipients=recipients,
            due_at=due_at,
            title=f"{policy.title} is due for review on {state.review_due:%-d %B %Y}",
            url=reverse("policy_detail", args=[policy.pk]),
        )


@REMINDERS.register
def unread(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """Staff in a policy's audience who have not read its current version 14
    days after it took effect: a reminder to each of them."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    staff = list(User.objects.filter(organisation=organisation, is_active=True, is_superuser=False))
    for policy in _policies(organisation):
        if not policy.audience_roles:
            continue
        current = policy_state(policy).current
        if current is None or current.effective_from is None:  # approval sets it
            continue
        due_at = local_midnight(current.effective_from, tz) + READ_WITHIN
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
        if stage is None:
            continue
        read = set(
            Acknowledgement.objects.filter(version=current, user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
        for member in staff:
            if member.role in policy.audience_roles and member.pk not in read:
                yield DueItem(
                    kind="policy.unread",
                    obj=current,
                    stage=f"{stage}-{member.pk}",
                    recipients=[member],
                    due_at=due_at,
                    title=f"Please read {policy.title} ({current.label})",
                    url=reverse("policy_detail", args=[policy.pk]),
                )
