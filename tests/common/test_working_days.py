import datetime as dt

import pytest

from common.working_days import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (dt.date(2026, 12, 2), 1, dt.date(2026, 12, 3)),  # Wednesday → Thursday
        (dt.date(2026, 12, 4), 1, dt.date(2026, 12, 7)),  # Friday → Monday
        (dt.date(2026, 12, 5), 1, dt.date(2026, 12, 7)),  # Saturday → Monday
        (dt.date(2026, 12, 2), 5, dt.date(2026, 12, 9)),  # a school week
        # Christmas Day, Boxing Day (observed Monday 28th) and New Year's Day are skipped.
        (dt.date(2026, 12, 23), 5, dt.date(2027, 1, 4)),
        (dt.date(2026, 4, 2), 1, dt.date(2026, 4, 7)),  # Good Friday and Easter Monday
        (dt.date(2026, 12, 2), 0, dt.date(2026, 12, 2)),
    ],
)
def test_working_days_skip_weekends_and_bank_holidays(start, days, due):
    assert add_working_days(start, days) == due
    assert working_days_between(start, due) == days


def test_bank_holidays_are_not_working_days():
    assert not is_working_day(dt.date(2026, 12, 25))
    assert not is_working_day(dt.date(2026, 12, 28))  # Boxing Day observed
    assert is_working_day(dt.date(2026, 12, 29))


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_days(dt.date(2026, 12, 2), -1)
