"""The notices outbox: a notice to a resident, written in the transaction of what it reports.

Any side may add a notice where its event happens (a PIN lockout in the
wallet side); money movements are not among them: the notices pass reads those
from the sealed books after commit (notices.chain_follower), so the payment
path never writes here. A notice names its ``source``: the same source, kind
and resident make one notice however often it is written.
"""

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, text


class NoticeKind(StrEnum):
    """What a notice is about; a resident opts into each."""

    PAYMENT = "payment"
    REFUND = "refund"
    MONEY_RECEIVED = "money_received"
    POINTS_GRANTED = "points_granted"
    TOPUP = "topup"
    EXPIRING = "expiring"
    PIN_LOCKED = "pin_locked"


def record_notice(
    conn: Connection,
    *,
    coin_id: int,
    resident_id: int,
    kind: NoticeKind,
    source: str,
    data: dict[str, Any],
    at: datetime,
) -> bool:
    """Adds the notice in the caller's transaction when the resident opted into its
    kind; returns whether a row was written (False: not wanted, or written before)."""
    written = conn.execute(
        text(
            "INSERT INTO notices (coin_id, resident_id, kind, source, data, created_at)"
            " SELECT :coin, p.resident_id, :kind, :source, CAST(:data AS jsonb), :at"
            " FROM notice_preferences p"
            " WHERE p.resident_id = :resident AND :kind = ANY (p.kinds)"
            " AND cardinality(p.channels) > 0"
            " ON CONFLICT (coin_id, resident_id, kind, source) DO NOTHING"
        ),
        {
            "coin": coin_id,
            "resident": resident_id,
            "kind": kind.value,
            "source": source,
            "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
            "at": at,
        },
    ).rowcount
    return bool(written)
