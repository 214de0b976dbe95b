"""Time, injected. Nothing in localcoin reads the wall clock except SystemClock."""

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Tokyo")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to: for tests and replays."""

    def __init__(self, at: datetime) -> None:
        assert at.tzinfo is not None, "instants are timezone-aware"
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        assert at.tzinfo is not None, "instants are timezone-aware"
        self._at = at.astimezone(UTC)


def business_date(at: datetime) -> date:
    """The date in Asia/Tokyo of an instant: the date banks and cities speak of."""
    assert at.tzinfo is not None, "instants are timezone-aware"
    return at.astimezone(BUSINESS_TZ).date()


def end_of_business_date(day: date) -> datetime:
    """The last instant of a Tokyo business date, as a UTC instant (the next day's midnight)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=BUSINESS_TZ) + timedelta(days=1)
    return midnight.astimezone(UTC)
