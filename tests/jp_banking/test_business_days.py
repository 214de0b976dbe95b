"""Which days the banks move money on, and the transfer date of a batch."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jp_banking.business_days import (
    business_day_on_or_after,
    holiday_name,
    is_business_day,
    next_business_day,
)


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2026, 11, 21), "Saturday"),
        (date(2026, 11, 22), "Sunday"),
        (date(2026, 11, 23), "勤労感謝の日 (a Monday)"),
        (date(2026, 5, 6), "振替休日 for 5/3 falling on a Sunday"),
        (date(2026, 9, 22), "国民の休日 between 敬老の日 and 秋分の日"),
        (date(2026, 12, 31), "year-end break"),
        (date(2027, 1, 1), "元日"),
        (date(2027, 1, 2), "year-end break (a Saturday anyway)"),
        (date(2030, 1, 3), "year-end break on a Thursday"),
        (date(2027, 3, 22), "振替休日 for 春分の日 on a Sunday"),
    ],
)
def test_days_the_banks_are_closed(day: date, why: str) -> None:
    assert not is_business_day(day), why


@pytest.mark.parametrize(
    "day",
    [date(2026, 11, 24), date(2026, 12, 30), date(2030, 1, 4), date(2026, 5, 7)],
)
def test_ordinary_weekdays_are_business_days(day: date) -> None:
    assert is_business_day(day)


def test_holiday_names_come_from_the_maintained_list() -> None:
    assert holiday_name(date(2026, 11, 23)) == "Labor Thanksgiving Day"
    assert holiday_name(date(2026, 11, 24)) is None


@pytest.mark.parametrize(
    ("business_date", "transfer_date"),
    [
        (date(2026, 11, 20), date(2026, 11, 24)),  # Fri → over the weekend and 勤労感謝の日
        (date(2026, 11, 24), date(2026, 11, 25)),  # an ordinary Tuesday → Wednesday
        (date(2026, 12, 30), date(2027, 1, 4)),  # the last day before the break → 1/4
        (date(2030, 12, 30), date(2031, 1, 6)),  # break, then 1/4 Sat and 1/5 Sun
        (date(2026, 5, 1), date(2026, 5, 7)),  # Golden Week
        (date(2026, 9, 18), date(2026, 9, 24)),  # Silver Week: 9/19 to 9/23 closed
    ],
)
def test_the_transfer_date_is_the_next_business_day(
    business_date: date, transfer_date: date
) -> None:
    assert next_business_day(business_date) == transfer_date


def test_on_or_after_keeps_a_business_day_and_skips_a_holiday() -> None:
    assert business_day_on_or_after(date(2026, 11, 24)) == date(2026, 11, 24)
    assert business_day_on_or_after(date(2026, 11, 23)) == date(2026, 11, 24)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)))
def test_next_business_day_is_the_first_open_day_after(day: date) -> None:
    following = next_business_day(day)
    assert following > day
    assert is_business_day(following)
    closed = [day + timedelta(days=n) for n in range(1, (following - day).days)]
    assert not any(is_business_day(d) for d in closed)
