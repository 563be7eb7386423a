"""What consent makes due: grants running out, and photos still to take down."""

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator

from django.urls import reverse

from accounts.models import Organisation, User
from children.services import allocated_staff_of, guardians_with_responsibility_of
from common.registry import REMINDERS
from consent.gate import state_from_records
from consent.models import ConsentRecord, TakedownTask
from notices.engine import DueItem, local_midnight, stage_for


@REMINDERS.register
def consent_expiring(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """To the allocated staff, 30 days before a child's live consent runs out."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    today = now.astimezone(tz).date()
    soon = set(
        ConsentRecord.objects.filter(
            organisation=organisation,
            decision="granted",
            valid_until__gte=today,
            valid_until__lte=today + dt.timedelta(days=30),
        )
        .values_list("child_id", "consent_type_id")
        .distinct()
    )
    if not soon:
        return
    # The whole history of every pair, the guardians and the staff, in three
    # queries for the organisation rather than three per pair: a deployment of a
    # thousand organisations sweeps thousands of pairs an hour.
    child_ids = {child_id for child_id, _ in soon}
    history: dict[tuple[int, int], list[ConsentRecord]] = {}
    for record in (
        ConsentRecord.objects.filter(
            child_id__in=child_ids, consent_type_id__in={type_id for _, type_id in soon}
        )
        .select_related("child", "consent_type")
        .order_by("recorded_at", "pk")
    ):
        pair = (record.child_id, record.consent_type_id)
        if pair in soon:
            history.setdefault(pair, []).append(record)
    with_pr = guardians_with_responsibility_of(child_ids)
    staff = allocated_staff_of(child_ids)
    for pair in sorted(soon):
        records = history[pair]
        child = records[0].child
        state = state_from_records(records, with_pr.get(child.pk, set()), today)
        if state.state != "granted" or state.valid_until is None or state.record is None:
            continue
        due_at = local_midnight(state.valid_until, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=(30,))
        if stage != "30d":
            continue
        yield DueItem(
            kind="consent.expiring",
            obj=state.record,
            stage=stage,
            recipients=staff.get(child.pk, []),
            due_at=due_at,
            title=f"{records[0].consent_type.name} for {child.display_name} runs out on "
            f"{state.valid_until:%-d %B %Y}",
            url=reverse("child_detail", args=[child.pk]),
        )


@REMINDERS.register
def takedowns_open(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """Open takedown tasks: to whoever must do it and the leads, on the day and weekly after."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    # Read the first time a task is due: most organisations have none open.
    leads = functools.cache(lambda: list(User.objects.of(organisation).leads()))
    tasks = TakedownTask.objects.filter(organisation=organisation, done_at__isnull=True)
    for task in tasks.select_related("child", "assigned_to"):
        due_at = local_midnight(task.due_on, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=(3,))
        if stage is None:
            continue
        yield DueItem(
            kind="consent.takedown",
            obj=task,
            stage=stage,
            recipients=[*([task.assigned_to] if task.assigned_to else []), *leads()],
            due_at=due_at,
            title=f"Take down: {task.what} (due {task.due_on:%-d %B})",
            url=reverse("child_detail", args=[task.child_id]),
        )
