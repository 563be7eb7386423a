"""Working days, as statutory guidance counts them: Monday to Friday, less the
bank holidays of England and Wales (KCSIE's "5 school days" for a child
protection file, "one working day" for a LADO referral).

Bank holidays come from the `holidays` package rather than a list kept here,
which would go stale every year.
"""

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    # Wales shares England's bank holidays; Scotland's and Northern Ireland's differ.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself is day 0,
    whatever kind of day it is): something that happens on a Friday and is due
    within one working day is due on Monday."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    while days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days have passed from ``start`` to ``end`` (0 on the
    same day; counting the working days after ``start`` up to and including ``end``)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
