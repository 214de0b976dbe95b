"""The facilities a resident can book, their hourly slots, and what each costs."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
OPENS = time(9)
CLOSES = time(21)
DAYS_AHEAD = 7


class Plan(StrEnum):
    """How a facility is paid.

    ``fee``: the usage fee is paid when booking and captured at once (a
    payment intent with automatic capture); ``deposit``: a deposit is held in
    the resident's wallet (manual capture) and taken when the slot is used.
    """

    FEE = "fee"
    DEPOSIT = "deposit"


@dataclass(frozen=True, slots=True)
class Facility:
    code: str
    name: str
    plan: Plan
    amount: int  # coin (= yen) per slot
    late_cancellation_fee: int  # taken when canceled less than a day before


FACILITIES = (
    Facility("gym", "市民体育館 アリーナ", Plan.FEE, 1_200, 600),
    Facility("room", "公民館 第1会議室", Plan.FEE, 800, 400),
    Facility("tennis", "市営テニスコート", Plan.DEPOSIT, 2_000, 1_000),
)
BY_CODE = {facility.code: facility for facility in FACILITIES}


def slots(today: date) -> list[datetime]:
    """The hourly slot starts from today for a week, in Tokyo time."""
    hours = range(OPENS.hour, CLOSES.hour)
    return [
        datetime.combine(today + timedelta(days=day), time(hour), TOKYO)
        for day in range(DAYS_AHEAD)
        for hour in hours
    ]
