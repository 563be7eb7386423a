"""What the compliance app reminds: sign-in not set up, DBS checks and
training falling due or never recorded, and DBS checks below the level online
work with children needs."""

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.urls import reverse

from accounts.models import Organisation, User
from common.registry import REMINDERS
from compliance.models import TrainingKind
from compliance.services import compliance_for, required_online_dbs_label
from notices.engine import DueItem, local_midnight, stage_for

ENROLMENT_GRACE = dt.timedelta(days=3)


@REMINDERS.register
def sign_in_not_set_up(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """Staff invited three days ago or more who still have no authenticator.

    Until they finish, they cannot sign in at all: their admins are told on the
    third day and weekly after, so an invitation lost in a spam folder is chased.
    A new invitation moves the due date, which starts the reminders again.
    """
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    pending = (
        User.objects.of(organisation)
        .active()
        .without_second_factor()
        .filter(invited_at__isnull=False, invited_at__lte=now - ENROLMENT_GRACE)
    )
    admins = None
    for member in pending:
        invited_at = member.invited_at
        if invited_at is None:  # excluded by the query; says so to the type checker
            continue
        due_at = invited_at + ENROLMENT_GRACE
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
        if stage is None:
            continue
        if admins is None:
            # Only admins who can sign in themselves can act on it.
            admins = list(User.objects.of(organisation).admins().with_second_factor())
        yield DueItem(
            kind="staff.sign_in_not_set_up",
            obj=member,
            stage=stage,
            recipients=admins,
            due_at=due_at,
            title=f"{member.full_name} has not finished setting up their sign-in "
            f"(invited {invited_at.astimezone(tz):%-d %B})",
            url=reverse("staff_detail", args=[member.pk]),
        )


# How long after someone joins their DBS check and training may go unrecorded.
RECORDING_GRACE = dt.timedelta(days=14)


def _missing(
    member: User,
    kind: str,
    label: str,
    organisation: Organisation,
    tz: zoneinfo.ZoneInfo,
    now: dt.datetime,
) -> Iterator[DueItem]:
    """Nothing recorded at all two weeks after joining: the admins are told weekly."""
    due_at = local_midnight((member.date_joined + RECORDING_GRACE).astimezone(tz).date(), tz)
    stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
    if stage is None:
        return
    yield DueItem(
        kind=kind.replace("_due", "_missing"),
        obj=member,
        stage=stage,
        recipients=list(User.objects.of(organisation).admins()),
        due_at=due_at,
        title=f"No {label} is recorded for {member.full_name}",
        url=reverse("staff_compliance_detail", args=[member.pk]),
    )


@REMINDERS.register
def checks_falling_due(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """DBS re-checks and training refreshes: to the person and the admins, 30
    days before, 7 days before, on the day and weekly while overdue."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    horizon = now.astimezone(tz).date() + dt.timedelta(days=31)
    staff = list(User.objects.filter(organisation=organisation, is_active=True, is_superuser=False))
    admins = None
    for row in compliance_for(staff, organisation):
        labels = dict(TrainingKind.choices)
        if row.dbs_shortfall and row.dbs_check is not None:
            # Below the required level is as much a bar to online work as a lapsed
            # check, so it is chased the same way: on the day the check was
            # recorded (or the sweep after the organisation raised its level),
            # then weekly until a check at the right level is recorded.
            check = row.dbs_check
            due_at = local_midnight(check.recorded_at.astimezone(tz).date(), tz)
            stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
            if stage is not None:
                if admins is None:
                    admins = list(User.objects.of(organisation).admins())
                yield DueItem(
                    kind="compliance.dbs_below_level",
                    obj=row.member,
                    stage=stage,
                    recipients=[row.member, *admins],
                    due_at=due_at,
                    title=f"{row.member.full_name}'s DBS check is "
                    f"{check.get_level_display()}; online work with children needs "
                    f"{required_online_dbs_label(organisation)}",
                    url=reverse("staff_compliance_detail", args=[row.member.pk]),
                )
        for kind, label, due in (
            ("compliance.dbs_due", "DBS check", row.dbs),
            ("compliance.safeguarding_due", "safeguarding training", row.safeguarding),
            ("compliance.online_safety_due", "online-safety training", row.online_safety),
            # What the role (or holding an online account) adds.
            *(
                (f"compliance.{kind}_due", f"{labels[kind].lower()} training", due)
                for kind, due in row.other_training
            ),
        ):
            if due.on is None:
                yield from _missing(row.member, kind, label, organisation, tz, now)
                continue
            if due.on > horizon:
                continue
            due_at = local_midnight(due.on, tz)
            stage = stage_for(due_at=due_at, now=now, tz=tz)
            if stage is None:
                continue
            if admins is None:
                admins = list(User.objects.of(organisation).admins())
            when = "was due" if stage.startswith("overdue") or stage == "due" else "is due"
            yield DueItem(
                kind=kind,
                obj=row.member,
                stage=stage,
                recipients=[row.member, *admins],
                due_at=due_at,
                title=f"{row.member.full_name}'s {label} {when} on {due.on:%-d %B %Y}",
                url=reverse("staff_compliance_detail", args=[row.member.pk]),
            )
