"""The webhook outbox: events for integrators, written in the transaction of what they report.

An event row commits or rolls back with the ledger entry it describes, so an
integrator never hears of a payment that did not happen, and a payment never
goes unreported if the process dies right after commit: the webhook worker
delivers whatever the outbox holds.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from kit.public_ids import public_id


@dataclass(frozen=True, slots=True)
class Event:
    """Attributes:
    public_id: its id (``evt_…``), the integrator's key to drop duplicates.
    type: what happened (``payment_intent.succeeded``, ``charge.refunded``, …).
    data: the object it is about, as the API shows it.
    created_at: when it happened (UTC).
    """

    public_id: str
    type: str
    data: dict[str, Any]
    created_at: datetime


def record_event(
    conn: Connection,
    *,
    coin_id: int,
    merchant_id: int,
    type_: str,
    data: dict[str, Any],
    at: datetime,
) -> Event:
    """Adds an event to the outbox in the caller's transaction."""
    event = Event(public_id("evt_"), type_, data, at)
    conn.execute(
        text(
            "INSERT INTO webhook_events (coin_id, public_id, merchant_id, type, data, created_at)"
            " VALUES (:coin, :pid, :merchant, :type, CAST(:data AS jsonb), :at)"
        ),
        {
            "coin": coin_id,
            "pid": event.public_id,
            "merchant": merchant_id,
            "type": type_,
            "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
            "at": at,
        },
    )
    return event
