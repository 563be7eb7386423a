"""Reads other apps and pages ask of supervision: a child's discussions, and
when each member of staff is next due to be supervised."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, QuerySet

from accounts.models import Organisation, User
from children.models import Child
from supervision.models import (
    DEFAULT_EVERY_WEEKS,
    SUPERVISED_ROLES,
    ChildDiscussed,
    SupervisionCadence,
    SupervisionSession,
    SupervisionSettings,
)


def child_supervision_history(*, child: Child) -> list[ChildDiscussed]:
    """Every time this child was discussed in supervision, oldest first: only
    what was said about this child, never the rest of the session."""
    return list(
        ChildDiscussed.objects.filter(child=child, organisation_id=child.organisation_id)
        .select_related("session__supervisor", "session__organisation")
        .order_by("session__held_on", "session__recorded_at", "pk")
    )


def default_every_weeks(organisation: Organisation) -> int:
    settings = SupervisionSettings.objects.filter(organisation=organisation).first()
    return settings.default_every_weeks if settings else DEFAULT_EVERY_WEEKS


@dataclass(frozen=True)
class StaffSupervision:
    """Where one member of staff stands: how often, when last, when next."""

    staff: User
    every_weeks: int
    own_cadence: bool  # set for this person, not the organisation's default
    last_held_on: dt.date | None
    next_due: dt.date

    def overdue(self, today: dt.date) -> bool:
        return self.next_due < today


def next_due(*, last_held_on: dt.date | None, joined_on: dt.date, every_weeks: int) -> dt.date:
    """The last session plus the cadence; someone never supervised is due a
    cadence after they joined."""
    return (last_held_on or joined_on) + dt.timedelta(weeks=every_weeks)


def supervised_staff_of(organisation: Organisation) -> QuerySet[User]:
    return User.objects.of(organisation).active().filter(role__in=SUPERVISED_ROLES)


def staff_supervision(
    *, organisation: Organisation, staff: QuerySet[User] | None = None
) -> list[StaffSupervision]:
    """One row per supervised member of staff (or those of ``staff``), in two queries."""
    people = list(staff if staff is not None else supervised_staff_of(organisation))
    default = default_every_weeks(organisation)
    cadences = dict(
        SupervisionCadence.objects.filter(organisation=organisation, staff__in=people).values_list(
            "staff_id", "every_weeks"
        )
    )
    last = dict(
        SupervisionSession.objects.filter(organisation=organisation, supervisee__in=people)
        .values("supervisee_id")
        .annotate(last=Max("held_on"))
        .values_list("supervisee_id", "last")
    )
    rows = []
    for person in people:
        every = cadences.get(person.pk, default)
        rows.append(
            StaffSupervision(
                staff=person,
                every_weeks=every,
                own_cadence=person.pk in cadences,
                last_held_on=last.get(person.pk),
                next_due=next_due(
                    last_held_on=last.get(person.pk),
                    joined_on=person.date_joined.date(),
                    every_weeks=every,
                ),
            )
        )
    return rows
