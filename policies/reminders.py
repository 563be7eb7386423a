"""What policies make due: reviews, and staff who have not read the current version."""

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator

from django.urls import reverse

from accounts.models import Organisation, Role, User
from common.registry import REMINDERS
from notices.engine import DueItem, local_midnight, stage_for
from policies import reach
from policies.models import Acknowledgement, Policy, PolicyVersion
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
    # Read the first time a review is due: most sweeps find none.
    directors = functools.cache(
        lambda: list(User.objects.of(organisation).active().filter(role=Role.DIRECTOR))
    )
    for policy in _policies(organisation):
        state = policy_state(policy, now.astimezone(tz).date())
        if state.review_due is None:
            continue
        due_at = local_midnight(state.review_due, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=(60, 30, 7))
        if stage is None:
            continue
        recipients = [*directors(), *([policy.owner] if policy.owner else [])]
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
    """Staff in a policy's audience who have not read it since its last
    substantive change, 14 days after that change took effect: a reminder to
    each of them. An editorial version neither asks again nor restarts the clock."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    staff = functools.cache(
        lambda: list(
            User.objects.filter(organisation=organisation, is_active=True, is_superuser=False)
        )
    )
    found = reach.staff_bindings(organisation)
    versions = PolicyVersion.objects.in_bulk([b.counts[0] for b in found])
    read: dict[int, set[int]] = {}
    for user_id, version_id in Acknowledgement.objects.filter(
        version_id__in=[pk for b in found for pk in b.counts], user__isnull=False
    ).values_list("user_id", "version_id"):
        read.setdefault(version_id, set()).add(user_id)
    for binding in found:
        policy, current = binding.policy, binding.current
        # The reading asked for dates from the last substantive version.
        since = versions[binding.counts[0]]
        if since.effective_from is None:  # approval sets it
            continue
        due_at = local_midnight(since.effective_from, tz) + READ_WITHIN
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
        if stage is None:
            continue
        readers = set().union(*(read.get(pk, set()) for pk in binding.counts))
        for member in staff():
            if member.role in policy.audience_roles and member.pk not in readers:
                yield DueItem(
                    kind="policy.unread",
                    obj=since,
                    stage=f"{stage}-{member.pk}",
                    recipients=[member],
                    due_at=due_at,
                    title=f"Please read {policy.title} ({current.label})",
                    url=reverse("policy_detail", args=[policy.pk]),
                )
