import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Max, Min, Q

from accounts.models import Role
from audit.labels import labels_for
from audit.models import AuditEvent

# Enough for any real record; a list longer than this is cut, newest kept.
OPENERS_SHOWN = 100


def events_about(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """Every audit event about one object, whichever label it was written under."""
    return AuditEvent.objects.filter(
        object_type__in=labels_for(type(obj)), object_id=str(obj.pk)
    ).order_by("seq")


@dataclass(frozen=True)
class Opener:
    """One person who opened a record: how often, first and last (UTC; shown in local time)."""

    name: str
    role: str
    times: int
    first: dt.datetime
    last: dt.datetime


def openers_of(
    obj: models.Model, *, actions: Iterable[str] | None = None, limit: int = OPENERS_SHOWN
) -> list[Opener]:
    """Who has opened ``obj``, from its read events (``<model>.viewed`` unless
    ``actions`` says otherwise), one row per person counted in the database, most
    recent first. Only events of the object's own organisation count, and only
    people (not the system). Nobody is left out: a lead's reads count too."""
    actions = tuple(actions) if actions is not None else (f"{obj._meta.model_name}.viewed",)
    organisation_id = getattr(obj, "organisation_id", None)
    own = (
        Q(organisation_id=organisation_id)
        if organisation_id is not None
        else Q(organisation__isnull=True)
    )
    rows = (
        events_about(obj)
        .filter(own, action__in=actions, actor__isnull=False)
        .order_by()
        .values("actor_id", "actor__full_name", "actor__role")
        .annotate(times=Count("pk"), first=Min("occurred_at"), last=Max("occurred_at"))
        .order_by("-last", "actor_id")[:limit]
    )
    roles = dict(Role.choices)
    organisation = getattr(obj, "organisation", None)
    if organisation is not None:
        # As the organisation names its lead (Designated Safeguarding Person in Wales).
        titles = organisation.titles
        roles.update({Role.DSL: titles.lead, Role.DEPUTY_DSL: titles.deputy})
    return [
        Opener(
            name=row["actor__full_name"],
            role=roles.get(row["actor__role"], row["actor__role"]),
            times=row["times"],
            first=row["first"],
            last=row["last"],
        )
        for row in rows
    ]
