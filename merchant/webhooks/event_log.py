"""What a merchant sees of its webhooks: its events, their deliveries and every attempt; replays.

A replay (``redeliver``) adds a new round of delivery of the event to each of
the merchant's enabled endpoints subscribed to its type, even when an earlier
round succeeded; the worker delivers it like any other, with its own three
days of retries, so the integrator sees the new attempts beside the old.

Refusals: 404 ``event_not_found`` (not the caller's), 409 ``webhook_endpoint_none``
(no enabled endpoint subscribed to the event's type).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.records import GIVEN, Column, RecordColumns
from merchant.accounts.merchants import Merchant
from merchant.pages import page_of
from merchant.webhooks.delivery import GIVE_UP_AFTER
from merchant.webhooks.endpoints import Endpoint


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event of the outbox. Attributes: id: its row id; public_id: ``evt_…``."""

    coin_id: int
    id: int
    public_id: str
    type: str
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST. status_code: the receiver's answer (None when none came); error: why not."""

    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """An event sent to one endpoint, in one round (0 first, then one per replay).

    Attributes:
        status: pending, delivered, failed (gave up) or canceled (endpoint disabled).
        next_attempt_at: when it is next tried (None unless pending).
    """

    public_id: str
    event_public_id: str
    endpoint_public_id: str
    round: int
    status: str
    attempt_count: int
    next_attempt_at: datetime | None
    give_up_at: datetime
    delivered_at: datetime | None
    created_at: datetime
    attempts: tuple[Attempt, ...]


_EVENT = RecordColumns(EventRecord)


def events_page(
    conn: Connection, *, merchant: Merchant, limit: int, starting_after: str | None
) -> tuple[list[EventRecord], bool]:
    """The merchant's events, newest first."""
    rows, has_more = page_of(
        conn,
        table="webhook_events",
        columns=_EVENT.sql,
        where="coin_id = :coin AND merchant_id = :merchant",
        params={"coin": merchant.coin_id, "merchant": merchant.id},
        limit=limit,
        starting_after=starting_after,
    )
    return [_EVENT.read(row) for row in rows], has_more


def find_event(
    conn: Connection, *, merchant: Merchant, event_public_id: str, lock: bool = False
) -> EventRecord:
    row = conn.execute(
        text(
            f"SELECT {_EVENT.sql} FROM webhook_events"
            " WHERE coin_id = :coin AND merchant_id = :merchant AND public_id = :pid"
            + (" FOR NO KEY UPDATE" if lock else "")
        ),
        {"coin": merchant.coin_id, "merchant": merchant.id, "pid": event_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.EVENT_NOT_FOUND, "no such event")
    return _EVENT.read(row)


# A delivery (d) with its event's (e) and endpoint's (w) public ids, and its key.
_DELIVERY = RecordColumns(
    Delivery,
    event_public_id=Column("e.public_id"),
    endpoint_public_id=Column("w.public_id"),
    attempts=GIVEN,
)
_ATTEMPT = RecordColumns(Attempt)
_DELIVERY_SELECT = (
    f"SELECT d.coin_id, d.id, {_DELIVERY.select('d')} FROM webhook_deliveries d"
    " JOIN webhook_events e ON e.coin_id = d.coin_id AND e.id = d.event_id"
    " JOIN webhook_endpoints w ON w.coin_id = d.coin_id AND w.id = d.endpoint_id"
)


def _deliveries(conn: Connection, rows: Any) -> list[Delivery]:
    rows = list(rows)
    if not rows:
        return []
    attempts: dict[int, list[Attempt]] = {row.id: [] for row in rows}
    for a in conn.execute(
        text(
            f"SELECT delivery_id, {_ATTEMPT.sql} FROM webhook_attempts"
            " WHERE coin_id = :coin AND delivery_id = ANY (:ids) ORDER BY id"
        ),
        {"coin": rows[0].coin_id, "ids": list(attempts)},
    ):
        attempts[a.delivery_id].append(_ATTEMPT.read(a))
    return [_DELIVERY.read(row, attempts=tuple(attempts[row.id])) for row in rows]


def event_deliveries(conn: Connection, event: EventRecord) -> list[Delivery]:
    """Every delivery of the event, oldest first, each with its attempts."""
    rows = conn.execute(
        text(_DELIVERY_SELECT + " WHERE d.coin_id = :coin AND d.event_id = :event ORDER BY d.id"),
        {"coin": event.coin_id, "event": event.id},
    )
    return _deliveries(conn, rows)


def endpoint_deliveries_page(
    conn: Connection, *, endpoint: Endpoint, limit: int, starting_after: str | None
) -> tuple[list[Delivery], bool]:
    """The endpoint's deliveries, newest first, each with its attempts."""
    rows, has_more = page_of(
        conn,
        table="webhook_deliveries",
        columns="id",
        where="coin_id = :coin AND endpoint_id = :endpoint",
        params={"coin": endpoint.coin_id, "endpoint": endpoint.id},
        limit=limit,
        starting_after=starting_after,
    )
    if not rows:
        return [], has_more
    full = conn.execute(
        text(
            _DELIVERY_SELECT + " WHERE d.coin_id = :coin AND d.id = ANY (:ids) ORDER BY d.id DESC"
        ),
        {"coin": endpoint.coin_id, "ids": [row.id for row in rows]},
    )
    return _deliveries(conn, full), has_more


# Replays are the merchant's to ask for, and each is an outbound request we make:
# bounded per endpoint, so a script cannot turn the worker into a request cannon.
REDELIVERIES_PER_WINDOW = 60
REDELIVERY_WINDOW = timedelta(hours=1)


def redeliver(
    conn: Connection, *, merchant: Merchant, event_public_id: str, at: datetime
) -> list[Delivery]:
    """A new round of the event to each enabled endpoint subscribed to it; returns them."""
    # The event's row lock serialises replays, so two never pick the same round.
    event = find_event(conn, merchant=merchant, event_public_id=event_public_id, lock=True)
    busiest = conn.execute(
        text(
            "SELECT count(*) FROM webhook_deliveries d JOIN webhook_endpoints w"
            " ON w.coin_id = d.coin_id AND w.id = d.endpoint_id"
            " WHERE d.coin_id = :coin AND w.merchant_id = :merchant AND d.round > 0"
            " AND d.created_at > :since GROUP BY d.endpoint_id ORDER BY 1 DESC LIMIT 1"
        ),
        {"coin": merchant.coin_id, "merchant": merchant.id, "since": at - REDELIVERY_WINDOW},
    ).scalar_one_or_none()
    if busiest is not None and busiest >= REDELIVERIES_PER_WINDOW:
        raise Problem(
            Code.RATE_LIMITED,
            f"an endpoint takes at most {REDELIVERIES_PER_WINDOW} replays an hour; try later",
        )
    made = (
        conn.execute(
            text(
                "INSERT INTO webhook_deliveries (coin_id, public_id, event_id, endpoint_id, round,"
                "   next_attempt_at, give_up_at, created_at)"
                " SELECT w.coin_id, 'whd_' || replace(gen_random_uuid()::text, '-', ''),"
                "   :event, w.id, COALESCE((SELECT max(round) + 1 FROM webhook_deliveries p"
                "   WHERE p.coin_id = w.coin_id AND p.event_id = :event AND p.endpoint_id = w.id),"
                "   0),"
                "   :at, :give_up, :at"
                " FROM webhook_endpoints w"
                " WHERE w.coin_id = :coin AND w.merchant_id = :merchant AND w.status = 'enabled'"
                "   AND (:type = ANY (w.events) OR '*' = ANY (w.events))"
                " RETURNING id"
            ),
            {
                "coin": event.coin_id,
                "merchant": merchant.id,
                "event": event.id,
                "type": event.type,
                "at": at,
                "give_up": at + GIVE_UP_AFTER,
            },
        )
        .scalars()
        .all()
    )
    if not made:
        raise Problem(
            Code.WEBHOOK_ENDPOINT_NONE,
            "no enabled webhook endpoint subscribes to this event's type",
        )
    rows = conn.execute(
        text(_DELIVERY_SELECT + " WHERE d.coin_id = :coin AND d.id = ANY (:ids) ORDER BY d.id"),
        {"coin": event.coin_id, "ids": list(made)},
    )
    return _deliveries(conn, rows)
