"""What the incident log makes due: the ICO's 72 hours for a personal data
breach, referrals to chase, next actions, closures waiting for sign-off, and
child protection files to send when a child leaves."""

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable, Iterator

from django.urls import reverse
from django.utils.translation import ngettext

from accounts.models import Organisation, User
from children.models import Child
from common.registry import REMINDERS
from common.working_days import add_working_days
from incidents.models import Incident, IncidentType, Referral, Status
from incidents.transfer_models import FileTransfer, TransferNotNeeded, transfer_due_on
from notices.engine import DueItem, local_midnight, stage_for

# Hours after the organisation became aware at which the DSL is reminded; the
# ICO expects a report within 72.
ICO_STAGES = (24, 48, 66, 72)


def ico_stage(*, aware_at: dt.datetime, now: dt.datetime) -> int | None:
    """The latest reminder point passed. Only that one is raised: a sweep that
    ran late sends the most pressing reminder, not a stack of stale ones."""
    hours = (now - aware_at) / dt.timedelta(hours=1)
    passed = [stage for stage in ICO_STAGES if hours >= stage]
    return passed[-1] if passed else None


def _leads(organisation: Organisation) -> Callable[[], list[User]]:
    """The DSL and deputies, read the first time something is due: most sweeps
    of most organisations find nothing, and need not ask."""
    return functools.cache(lambda: list(User.objects.of(organisation).leads()))


@REMINDERS.register
def ico_deadlines(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    breaches = Incident.objects.filter(
        organisation=organisation, incident_type=IncidentType.DATA_BREACH, ico_decision=""
    )
    leads = _leads(organisation)
    for incident in breaches:
        hours = ico_stage(aware_at=incident.disclosed_at, now=now)
        deadline = incident.ico_deadline
        if hours is None or deadline is None:  # every data breach has a deadline
            continue
        left = deadline - now
        hours_left = int(left / dt.timedelta(hours=1))
        title = (
            f"{incident.reference}: the 72 hours to report this data breach to the ICO have passed"
            if hours >= 72
            else f"{incident.reference}: "
            + ngettext("%(n)d hour left", "%(n)d hours left", hours_left) % {"n": hours_left}
            + " to report this data breach to the ICO, or record why it is not reportable"
        )
        yield DueItem(
            kind="incidents.ico",
            obj=incident,
            stage=f"{hours}h",
            recipients=leads(),
            due_at=deadline,
            title=title,
            urgent=True,
            url=reverse("incident_detail", args=[incident.pk]),
        )


@REMINDERS.register
def referral_chases(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """From the chase date until an outcome is recorded (or the incident is
    closed): on the day, then weekly."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    leads = _leads(organisation)
    waiting = (
        Referral.objects.filter(organisation=organisation, outcome="", chase_on__isnull=False)
        .exclude(incident__status=Status.CLOSED)
        .select_related("incident", "made_by")
    )
    for referral in waiting:
        if referral.chase_on is None:  # the query excludes it
            continue
        due_at = local_midnight(referral.chase_on, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
        if stage is None:
            continue
        yield DueItem(
            kind="incidents.chase",
            obj=referral,
            stage=stage,
            recipients=[referral.made_by, *leads()],
            due_at=due_at,
            title=f"{referral.incident.reference}: chase {referral.agency_name} for an outcome",
            url=reverse("incident_detail", args=[referral.incident_id]),
        )


@REMINDERS.register
def next_actions(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    leads = _leads(organisation)
    due = Incident.objects.open().filter(organisation=organisation, next_action_due__isnull=False)
    for incident in due:
        if incident.next_action_due is None:  # the query excludes it
            continue
        due_at = local_midnight(incident.next_action_due, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=(1,))
        if stage is None:
            continue
        yield DueItem(
            kind="incidents.action",
            obj=incident,
            stage=stage,
            recipients=leads(),
            due_at=due_at,
            # Titles are emailed: the reference and date, not what the action says.
            title=f"{incident.reference}: next action due {incident.next_action_due:%-d %B}",
            url=reverse("incident_detail", args=[incident.pk]),
        )


# Working days after the child left on which the leads are first reminded; the
# file is due on the fifth (KCSIE), and they are reminded again once it is late.
TRANSFER_NUDGE_DAY = 4
# Children who left longer ago than this are not chased: a first sweep after
# this feature arrived would otherwise remind about every child who ever left.
TRANSFER_LOOKBACK = dt.timedelta(days=60)


def transfer_stage(*, left_on: dt.date, today: dt.date) -> str | None:
    """ "overdue" once the due day has passed, "day4" from the fourth working
    day after the child left, otherwise nothing yet. Only the latest is raised."""
    if today > transfer_due_on(left_on):
        return "overdue"
    if today >= add_working_days(left_on, TRANSFER_NUDGE_DAY):
        return "day4"
    return None


def _transfer_title(stage: str, due_on: dt.date, what: str) -> str:
    # Titles are emailed: never the child's name.
    if stage == "overdue":
        return f"{what}: overdue (was due by {due_on:%-d %B})"
    return f"{what}: due by {due_on:%-d %B}"


@REMINDERS.register
def file_transfers(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """A child protection file sent but not yet confirmed received; until it is."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    today = now.astimezone(tz).date()
    leads = _leads(organisation)
    waiting = FileTransfer.objects.filter(organisation=organisation, received_at__isnull=True)
    for transfer in waiting:
        stage = transfer_stage(left_on=transfer.left_on, today=today)
        if stage is None:
            continue
        yield DueItem(
            kind="incidents.transfer",
            obj=transfer,
            stage=stage,
            recipients=leads(),
            due_at=local_midnight(transfer.due_on, tz),
            title=_transfer_title(
                stage, transfer.due_on, f"Child protection file {transfer.pk} not yet received"
            ),
            url=reverse("transfer_detail", args=[transfer.pk]),
        )


@REMINDERS.register
def files_not_sent(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """A child who left, with incidents, and no file started, unless a lead
    recorded that none needs to go."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    today = now.astimezone(tz).date()
    leads = _leads(organisation)
    left = (
        Child.objects.filter(
            organisation=organisation,
            discharged_on__isnull=False,
            discharged_on__lte=today,
            discharged_on__gte=today - TRANSFER_LOOKBACK,
            incidents__isnull=False,
        )
        .exclude(file_transfers__isnull=False)
        .exclude(
            pk__in=TransferNotNeeded.objects.filter(organisation=organisation).values("child_id")
        )
        .distinct()
    )
    for child in left:
        if child.discharged_on is None:  # the query excludes it
            continue
        stage = transfer_stage(left_on=child.discharged_on, today=today)
        if stage is None:
            continue
        due_on = transfer_due_on(child.discharged_on)
        yield DueItem(
            kind="incidents.transfer_not_started",
            obj=child,
            stage=stage,
            recipients=leads(),
            due_at=local_midnight(due_on, tz),
            title=_transfer_title(
                stage, due_on, "A child who left has a child protection file not yet sent"
            ),
            url=reverse("child_detail", args=[child.pk]),
        )
