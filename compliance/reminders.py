"""Reminders about staff accounts, the core app's own provider for the engine."""

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.urls import reverse

from accounts.models import Organisation, Role, User
from notices.engine import DueItem, stage_for

ENROLMENT_GRACE = dt.timedelta(days=3)


def _admins(organisation: Organisation) -> list[User]:
    return list(
        User.objects.filter(
            organisation=organisation, role=Role.ADMIN, is_active=True, totpdevice__confirmed=True
        ).distinct()
    )


def sign_in_not_set_up(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """Staff invited three days ago or more who still have no authenticator.

    Until they finish, they cannot sign in at all: their admins are told on the
    third day and weekly after, so an invitation lost in a spam folder is chased.
    A new invitation moves the due date, which starts the reminders again.
    """
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    pending = User.objects.filter(
        organisation=organisation,
        is_active=True,
        invited_at__isnull=False,
        invited_at__lte=now - ENROLMENT_GRACE,
    ).exclude(totpdevice__confirmed=True)
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
            admins = _admins(organisation)
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
