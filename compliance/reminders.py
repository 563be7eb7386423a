"""Reminders about staff accounts, the core app's own provider for the engine."""

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.urls import reverse

from accounts.models import Organisation, User
from common.registry import REMINDERS
from compliance.services import checks_falling_due
from notices.engine import DueItem, stage_for

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


# DBS checks and training falling due (compliance.services computes them).
REMINDERS.register(checks_falling_due)
