"""Bank business days (銀行営業日) in Japan.

A day is not a bank business day when it is a Saturday or Sunday, a national
holiday (祝日, including substitute holidays 振替休日 and the "national
holidays" between two holidays 国民の休日), or in the banks' year-end break
from 31 December to 3 January. Holidays come from the maintained ``holidays``
package, which follows the Cabinet Office's list and its equinox dates.

A batch's transfer date is always a business day: ``next_business_day`` of its
business date.
"""

from datetime import date, timedelta
from functools import lru_cache

import holidays

# The banks' year-end break: 12/31 and 1/1 to 1/3 (銀行法施行令 第5条).
YEAR_END_BREAK = ((12, 31), (1, 1), (1, 2), (1, 3))

# Japan never has more than a handful of non-business days in a row (Golden
# Week with a weekend is the longest); the search is bounded all the same.
SEARCH_DAYS_MAX = 14


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=year)


def holiday_name(day: date) -> str | None:
    """The national holiday on this day, or None."""
    name: str | None = _holidays_of(day.year).get(day)
    return name


def is_business_day(day: date) -> bool:
    if day.weekday() >= 5:
        return False
    if (day.month, day.day) in YEAR_END_BREAK:
        return False
    return holiday_name(day) is None


def next_business_day(day: date) -> date:
    """The first business day strictly after ``day``."""
    candidate = day
    for _ in range(SEARCH_DAYS_MAX):
        candidate += timedelta(days=1)
        if is_business_day(candidate):
            return candidate
    raise AssertionError(f"no business day within {SEARCH_DAYS_MAX} days after {day}")


def business_day_on_or_after(day: date) -> date:
    """``day`` itself if it is a business day, else the next one."""
    return day if is_business_day(day) else next_business_day(day)
