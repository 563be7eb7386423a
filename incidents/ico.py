"""The ICO's 72 hours for a personal data breach, as a countdown a person reads."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from incidents.models import Incident

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


def clock() -> dt.datetime:
    """Now; one name for the tests to turn the clock."""
    return timezone.now()


@dataclass(frozen=True)
class IcoCountdown:
    deadline: dt.datetime
    overdue: bool
    span: str  # "5 hours 3 minutes": left, or past the deadline
    deadline_text: str  # local time, with its zone named

    @property
    def text(self) -> str:
        if self.overdue:
            return (
                f"Overdue by {self.span}: the decision whether to report to the ICO was due "
                f"{self.deadline_text}"
            )
        return (
            f"{self.span} left to decide whether to report to the ICO "
            f"(deadline {self.deadline_text})"
        )


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _span(length: dt.timedelta) -> str:
    hours, rest = divmod(length, HOUR)
    return f"{_plural(hours, 'hour')} {_plural(rest // MINUTE, 'minute')}"


def _local(moment: dt.datetime, zone_name: str) -> str:
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("Europe/London")
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {local.tzname()} on {local:%A %-d %B %Y}, {zone.key} time"


def ico_countdown(incident: Incident, now: dt.datetime) -> IcoCountdown | None:
    """How long is left, or how late it is; None once the decision is recorded
    (or for anything but a breach)."""
    deadline = incident.ico_deadline
    if deadline is None or not incident.ico_open:
        return None
    overdue = now > deadline
    return IcoCountdown(
        deadline=deadline,
        overdue=overdue,
        span=_span(now - deadline if overdue else deadline - now),
        deadline_text=_local(deadline, incident.organisation.timezone),
    )
