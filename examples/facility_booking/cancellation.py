"""What a cancellation costs: free until a day before the slot, a fee after."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from examples.facility_booking.facilities import Facility

FREE_UNTIL = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Cancellation:
    late: bool
    fee: int  # what the facility keeps; the rest goes back to the resident


def cancellation(facility: Facility, starts_at: datetime, now: datetime) -> Cancellation:
    late = now > starts_at - FREE_UNTIL
    return Cancellation(late=late, fee=facility.late_cancellation_fee if late else 0)
