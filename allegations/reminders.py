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

from accounts.models import Organisation
from allegations.models import Allegation, Kind, Status
from allegations.permissions import told_about
from common.registry import REMINDERS
from common.working_days import add_working_days
from notices.engine import DueItem, local_midnight, stage_for


def lado_due_on(allegation: Allegation, tz: zoneinfo.ZoneInfo) -> dt.date:
    """One working day after the day it was received (a Friday's is due Monday)."""
    return add_working_days(allegation.received_at.astimezone(tz).date(), 1)


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
    for allegation in waiting:
        due_on = lado_due_on(allegation, tz)
        due_at = local_midnight(due_on, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
        if stage is None:
            continue
        if stage == "due" and now.astimezone(tz).date() > due_on:
            stage = "overdue"  # the first day late, before the weekly reminders
        yield DueItem(
            kind="allegations.lado",
            obj=allegation,
            stage=stage,
            recipients=told_about(allegation),
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
