"""The booking desk: a slot is booked, paid, used or canceled, with localcoin holding the money.

localcoin's payment intent is the truth about the money; a booking only
mirrors it. A webhook (or a restart) makes the desk read the intent again, so
events that come twice, late or out of order change nothing twice.
"""

import secrets
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from examples.facility_booking.cancellation import cancellation
from examples.facility_booking.facilities import BY_CODE, TOKYO, Facility, Plan
from examples.facility_booking.localcoin_gateway import Intent, Localcoin
from examples.facility_booking.store import Booking, Store, noted

# Booking statuses, in the words the site shows.
AWAITING_PAYMENT = "awaiting_payment"
PAID = "paid"  # a usage fee, captured
HELD = "held"  # a deposit, held in the resident's wallet
USED = "used"
CANCELED = "canceled"
CANCELED_LATE = "canceled_late"
NO_SHOW = "no_show"
EXPIRED = "expired"
SETTLED = frozenset({USED, CANCELED, CANCELED_LATE, NO_SHOW, EXPIRED})
OPEN = frozenset({AWAITING_PAYMENT, PAID, HELD, USED})  # the slot is taken


class NotAllowedError(Exception):
    """The booking is not in a state where that can be done."""


class Desk:
    def __init__(
        self, store: Store, localcoin: Localcoin, wallet_url: str, now: Callable[[], datetime]
    ) -> None:
        self._store, self._localcoin, self._wallet_url, self._now = (
            store,
            localcoin,
            wallet_url,
            now,
        )

    def book(self, facility: Facility, starts_at: datetime) -> Booking:
        booking_id = "bk_" + secrets.token_urlsafe(9)
        when = starts_at.astimezone(TOKYO).strftime("%m/%d %H:%M")
        intent = self._localcoin.create_intent(
            amount=facility.amount,
            reference=booking_id,
            manual=facility.plan is Plan.DEPOSIT,
            description=f"{facility.name} {when}",
            key=f"{booking_id}-intent",
        )
        booking = Booking(
            id=booking_id,
            facility=facility.code,
            starts_at=starts_at.isoformat(),
            status=AWAITING_PAYMENT,
            amount=facility.amount,
            intent_id=intent.id,
            qr_payload=intent.qr_payload,
            notes=("booked",),
        )
        self._store.add(booking)
        return booking

    def pay_link(self, booking: Booking) -> str:
        """Opens the resident's wallet on this payment (the wallet's ``?pay=`` link)."""
        return f"{self._wallet_url}/?pay={quote(booking.qr_payload, safe='')}"

    def qr_svg(self, booking: Booking) -> bytes:
        return self._localcoin.qr_svg(booking.intent_id)

    def refresh(self, booking: Booking) -> Booking:
        """Mirrors the intent's state, whatever event (or none) brought us here."""
        return self._mirror(booking, self._localcoin.intent(booking.intent_id))

    def refresh_open(self) -> int:
        """Reads again every booking still waiting on localcoin (after a restart or an outage)."""
        waiting = [b for b in self._store.bookings() if b.status in (AWAITING_PAYMENT, HELD)]
        for booking in waiting:
            self.refresh(booking)
        return len(waiting)

    def use(self, booking: Booking) -> Booking:
        """The resident came: a deposit is captured; a paid fee is simply used."""
        booking = self.refresh(booking)
        if booking.status == HELD:
            intent = self._localcoin.capture(
                booking.intent_id, booking.amount, key=f"{booking.id}-use"
            )
            taken = intent.amount_captured
            return self._store.change(
                booking.id, lambda b: noted(b, USED, "used; deposit taken", kept=taken)
            )
        if booking.status == PAID:
            return self._store.change(booking.id, lambda b: noted(b, USED, "used"))
        raise NotAllowedError(f"a {booking.status} booking cannot be used")

    def cancel(self, booking: Booking) -> Booking:
        """Free until a day before; later the facility keeps its cancellation fee."""
        booking = self.refresh(booking)
        facility = BY_CODE[booking.facility]
        terms = cancellation(facility, datetime.fromisoformat(booking.starts_at), self._now())
        status = CANCELED_LATE if terms.late else CANCELED
        if booking.status == AWAITING_PAYMENT:
            self._localcoin.cancel(booking.intent_id, key=f"{booking.id}-cancel")
            return self._store.change(booking.id, lambda b: noted(b, CANCELED, "canceled unpaid"))
        if booking.status == HELD and terms.fee:
            # Capturing part of a hold takes the fee and releases the rest at once.
            self._localcoin.capture(booking.intent_id, terms.fee, key=f"{booking.id}-cancel")
            return self._store.change(
                booking.id, lambda b: noted(b, status, "canceled late; fee taken", kept=terms.fee)
            )
        if booking.status == HELD:
            self._localcoin.cancel(booking.intent_id, key=f"{booking.id}-cancel")
            return self._store.change(
                booking.id, lambda b: noted(b, status, "canceled; deposit released")
            )
        if booking.status == PAID:
            back = booking.amount - terms.fee
            refunded = (
                self._localcoin.refund(booking.intent_id, back, key=f"{booking.id}-cancel")
                if back
                else 0
            )
            return self._store.change(
                booking.id,
                lambda b: noted(
                    b, status, f"canceled; {refunded} refunded", kept=terms.fee, refunded=refunded
                ),
            )
        raise NotAllowedError(f"a {booking.status} booking cannot be canceled")

    def _mirror(self, booking: Booking, intent: Intent) -> Booking:
        if booking.status in SETTLED:
            return booking  # our own decision (used, canceled) already stands
        target = _status_of(booking, intent)
        if target is None or target == booking.status:
            return booking
        kept = intent.amount_captured if target == PAID else 0
        return self._store.change(
            booking.id, lambda b: noted(b, target, f"localcoin: {intent.status}", kept=kept)
        )


def _status_of(booking: Booking, intent: Intent) -> str | None:
    """The booking status an intent's state means, or None to leave it as it is."""
    if intent.status == "requires_capture":
        return HELD
    if intent.status == "succeeded":
        return PAID if booking.status == AWAITING_PAYMENT else None
    if intent.status == "expired":
        return EXPIRED
    if intent.status == "canceled" and intent.cancellation_reason == "capture_expired":
        # Nobody came and nobody captured: the hold's deadline gave the deposit back.
        return NO_SHOW
    return None
