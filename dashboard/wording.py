"""How the dashboard says a figure: people and "n of N", durations a person
reads ("under an hour", "3 hours", "2 days"), and the previous period beside
this one. One place, so every figure reads alike."""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext, ngettext


def of(n: int, total: int) -> str:
    """The headline of a share: "3 of 7"."""
    return gettext("%(n)d of %(total)d") % {"n": n, "total": total}


def duration(hours: float) -> str:
    """A length of time rounded as a person would say it: a triage that took
    twenty minutes is "under an hour", never "0.3 hours"."""
    if hours < 1:
        return gettext("under an hour")
    if hours < 48:
        whole = round(hours)
        return ngettext("%(n)d hour", "%(n)d hours", whole) % {"n": whole}
    days = round(hours / 24)
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def average_duration(hours: list[float]) -> str:
    return duration(sum(hours) / len(hours)) if hours else ""


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def last_month(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month before the one ``day`` falls in: its first and last day."""
    start = month_start(day) - relativedelta(months=1)
    return start, month_start(day) - dt.timedelta(days=1)
