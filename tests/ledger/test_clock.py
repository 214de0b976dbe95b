"""Time: business dates are Tokyo dates, whatever the UTC instant says."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ledger.clock import FixedClock, SystemClock, business_date, end_of_business_date

JST = timezone(timedelta(hours=9))


def test_half_past_eleven_at_night_utc_is_already_tomorrow_in_tokyo() -> None:
    assert business_date(datetime(2026, 11, 23, 23, 30, tzinfo=UTC)) == date(2026, 11, 24)


def test_the_tokyo_day_turns_at_15_00_utc() -> None:
    assert business_date(datetime(2026, 11, 23, 14, 59, 59, 999_999, tzinfo=UTC)) == date(
        2026, 11, 23
    )
    assert business_date(datetime(2026, 11, 23, 15, 0, tzinfo=UTC)) == date(2026, 11, 24)


def test_new_years_eve_ends_at_15_00_utc_on_the_31st() -> None:
    assert business_date(datetime(2026, 12, 31, 15, 0, tzinfo=UTC)) == date(2027, 1, 1)
    assert end_of_business_date(date(2026, 12, 31)) == datetime(2026, 12, 31, 15, 0, tzinfo=UTC)


def test_end_of_business_date_is_the_next_tokyo_midnight_in_utc() -> None:
    end = end_of_business_date(date(2026, 11, 24))

    assert end == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert end.utcoffset() == timedelta(0)
    assert end.astimezone(JST) == datetime(2026, 11, 25, 0, 0, tzinfo=JST)
    # The last microsecond of the date belongs to it; its end belongs to the next one.
    assert business_date(end - timedelta(microseconds=1)) == date(2026, 11, 24)
    assert business_date(end) == date(2026, 11, 25)


def test_march_31_the_statutory_base_date_ends_at_15_00_utc() -> None:
    assert end_of_business_date(date(2027, 3, 31)) == datetime(2027, 3, 31, 15, 0, tzinfo=UTC)


def test_business_date_of_a_non_utc_instant() -> None:
    assert business_date(datetime(2026, 11, 24, 0, 30, tzinfo=JST)) == date(2026, 11, 24)
    assert business_date(datetime(2026, 11, 23, 10, 0, tzinfo=timezone(-timedelta(hours=5)))) == (
        date(2026, 11, 24)
    )


def test_naive_instants_are_refused() -> None:
    with pytest.raises(AssertionError):
        business_date(datetime(2026, 11, 23, 23, 30))
    with pytest.raises(AssertionError):
        FixedClock(datetime(2026, 11, 23, 23, 30))


def test_a_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 11, 24, 8, 0, tzinfo=JST))

    assert clock.now() == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.now() == clock.now()
    clock.advance(timedelta(minutes=90))
    assert clock.now() == datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=JST))
    assert clock.now() == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)


def test_the_system_clock_is_aware_and_utc() -> None:
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)
