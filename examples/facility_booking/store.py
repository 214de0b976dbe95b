"""The booking site's own records: one JSON file, written whole and atomically.

A real site keeps these in its own database; a file keeps the example small and
shows that nothing here shares localcoin's database.
"""

import json
import os
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Booking:
    id: str
    facility: str
    starts_at: str  # ISO 8601, Tokyo time
    status: str
    amount: int
    intent_id: str
    qr_payload: str
    kept: int = 0  # what the facility finally keeps
    refunded: int = 0
    notes: tuple[str, ...] = ()


@dataclass
class _State:
    bookings: dict[str, Booking] = field(default_factory=dict)
    events_seen: set[str] = field(default_factory=set)
    duplicates: int = 0
    endpoint_id: str | None = None
    endpoint_secret: str | None = None


class Store:
    """Bookings, the webhook events already handled, and this site's endpoint."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._state = self._load()

    def _load(self) -> _State:
        if not self._path.exists():
            return _State()
        raw = json.loads(self._path.read_text(encoding="utf-8"))
        return _State(
            bookings={
                key: Booking(**{**value, "notes": tuple(value["notes"])})
                for key, value in raw["bookings"].items()
            },
            events_seen=set(raw["events_seen"]),
            duplicates=raw["duplicates"],
            endpoint_id=raw["endpoint_id"],
            endpoint_secret=raw["endpoint_secret"],
        )

    def _save(self) -> None:
        raw: dict[str, Any] = {
            "bookings": {key: asdict(value) for key, value in self._state.bookings.items()},
            "events_seen": sorted(self._state.events_seen),
            "duplicates": self._state.duplicates,
            "endpoint_id": self._state.endpoint_id,
            "endpoint_secret": self._state.endpoint_secret,
        }
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(json.dumps(raw, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temporary, self._path)

    def bookings(self) -> list[Booking]:
        with self._lock:
            return list(self._state.bookings.values())

    def booking(self, booking_id: str) -> Booking | None:
        with self._lock:
            return self._state.bookings.get(booking_id)

    def by_intent(self, intent_id: str) -> Booking | None:
        with self._lock:
            found = [b for b in self._state.bookings.values() if b.intent_id == intent_id]
            return found[0] if found else None

    def add(self, booking: Booking) -> None:
        with self._lock:
            self._state.bookings[booking.id] = booking
            self._save()

    def change(self, booking_id: str, update: Callable[[Booking], Booking]) -> Booking:
        """Applies ``update`` to the booking under the lock and saves it."""
        with self._lock:
            changed = update(self._state.bookings[booking_id])
            self._state.bookings[booking_id] = changed
            self._save()
            return changed

    def first_sight(self, event_id: str) -> bool:
        """True the first time an event id is seen; a redelivery is counted, not handled."""
        with self._lock:
            if event_id in self._state.events_seen:
                self._state.duplicates += 1
                self._save()
                return False
            self._state.events_seen.add(event_id)
            self._save()
            return True

    def duplicates(self) -> int:
        with self._lock:
            return self._state.duplicates

    def endpoint(self) -> tuple[str, str] | None:
        with self._lock:
            if self._state.endpoint_id and self._state.endpoint_secret:
                return self._state.endpoint_id, self._state.endpoint_secret
            return None

    def set_endpoint(self, endpoint_id: str, secret: str) -> None:
        with self._lock:
            self._state.endpoint_id, self._state.endpoint_secret = endpoint_id, secret
            self._save()


def noted(
    booking: Booking,
    status: str,
    note: str,
    *,
    kept: int | None = None,
    refunded: int | None = None,
) -> Booking:
    """The booking in a new status, with a line saying why (and what it kept or gave back)."""
    return replace(
        booking,
        status=status,
        notes=(*booking.notes, note),
        kept=booking.kept if kept is None else kept,
        refunded=booking.refunded if refunded is None else refunded,
    )
