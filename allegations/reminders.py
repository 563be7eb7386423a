"""What the allegations log makes due: the referral to the LADO within one
working day of receipt (KCSIE), for allegations that may meet the harm
threshold. A low-level concern has no such clock, though a lead may refer one.

Told: the DSL and deputies and the case manager. Never the member of staff the
allegation is about, even when they are the DSL or a deputy.
"""

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.urls import reverse

from accounts.models import Organisation, User
from allegations.models import Allegation, Kind, Status
from common.registry import REMINDERS
from common.working_days import add_working_days
from notices.engine import DueItem, local_midnight, stage_for


def lado_due_on(allegation: Allegation, tz: zoneinfo.ZoneInfo) -> dt.date:
    """One working day after the day it was received (a Friday's is due Monday)."""
    return add_working_days(allegation.received_at.astimezone(tz).date(), 1)


def _recipients(allegation: Allegation, leads: list[User]) -> list[User]:
    people = {user.pk: user for user in [*leads, allegation.case_manager]}
    people.pop(allegation.about_id, None)  # never the person it is about
    return list(people.values())


@REMINDERS.register
def lado_referrals(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """On the due day, the day after if still not referred, then weekly, until
    the referral is recorded (or the allegation closed)."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    waiting = (
        Allegation.objects.filter(
            organisation=organisation, kind=Kind.ALLEGATION, lado_referred_on__isnull=True
        )
        .exclude(status=Status.CLOSED)
        .select_related("case_manager")
    )
    leads: list[User] | None = None
    for allegation in waiting:
        due_on = lado_due_on(allegation, tz)
        due_at = local_midnight(due_on, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
        if stage is None:
            continue
        if stage == "due" and now.astimezone(tz).date() > due_on:
            stage = "overdue"  # the first day late, before the weekly reminders
        if leads is None:
            leads = list(User.objects.of(organisation).leads())
        yield DueItem(
            kind="allegations.lado",
            obj=allegation,
            stage=stage,
            recipients=_recipients(allegation, leads),
            due_at=due_at,
            urgent=stage != "due",
            # Emailed: the reference only, never who it is about.
            title=(
                f"{allegation.reference}: refer this allegation to the LADO today"
                if stage == "due"
                else f"{allegation.reference}: the LADO referral is overdue (due {due_on:%-d %B})"
            ),
            url=reverse("allegation_detail", args=[allegation.pk]),
        )
