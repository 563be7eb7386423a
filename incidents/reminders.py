"""What the incident log makes due: the ICO's 72 hours for a personal data
breach, referrals to chase, next actions, and closures waiting for sign-off."""

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable, Iterator

from django.urls import reverse

from accounts.models import Organisation, User
from common.registry import REMINDERS
from incidents.models import Incident, IncidentType, Referral, Status
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
        title = (
            f"{incident.reference}: the 72 hours to report this data breach to the ICO have passed"
            if hours >= 72
            else f"{incident.reference}: {int(left / dt.timedelta(hours=1))} hours left to "
            "report this data breach to the ICO, or record why it is not reportable"
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
