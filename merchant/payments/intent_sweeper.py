"""The intent sweeper: closes payment intents whose time ran out, beside the API in a thread.

Two queues per coin, each a bounded batch per transaction:

- a manual intent held past ``capture_before``: the ledger's expiry sweep
  releases its hold (the resident's available balance comes back) and the
  intent is ``canceled`` with reason ``capture_expired``;
- an unpaid intent past ``expires_at``: it is ``expired``. Readers already
  see it so before the sweeper writes it; the sweep sends the webhook event.

Intents are locked first (``FOR UPDATE SKIP LOCKED``), holds after, the same
order as a capture or cancel takes them, so the sweeper never deadlocks with
a merchant's request and simply leaves a row a request holds for its next pass.
"""

from datetime import datetime

import structlog
from sqlalchemy import Connection, Engine, text

from kit.periodic_pass import PeriodicPass
from ledger.clock import Clock
from ledger.coins import list_coins
from ledger.holds import HoldStatus, expire_holds, get_hold
from ledger.unit_of_work import run_in_transaction
from merchant.payments.payment_intents import (
    INTENT,
    CancellationReason,
    mark_canceled,
    mark_expired,
)

log = structlog.get_logger(__name__)

SWEEP_INTERVAL_S = 5.0
SWEEP_BATCH_MAX = 500


def sweep_coin_once(conn: Connection, *, coin_id: int, at: datetime) -> tuple[int, int]:
    """One batch of each queue; returns (holds released, unpaid intents expired)."""
    released = 0
    held = conn.execute(
        text(
            f"SELECT {INTENT.sql} FROM payment_intents WHERE coin_id = :coin"
            " AND status = 'requires_capture' AND capture_before <= :at"
            " ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
        ),
        {"coin": coin_id, "at": at, "limit": SWEEP_BATCH_MAX},
    ).all()
    if held:
        expire_holds(conn, coin_id=coin_id, at=at)
    for row in held:
        intent = INTENT.read(row)
        assert intent.hold_id is not None
        hold = get_hold(conn, coin_id=coin_id, hold_id=intent.hold_id)
        if hold.status is HoldStatus.ACTIVE:
            continue  # locked by someone else just now; the next pass takes it
        mark_canceled(conn, intent, reason=CancellationReason.CAPTURE_EXPIRED, at=at)
        released += 1
    unpaid = conn.execute(
        text(
            f"SELECT {INTENT.sql} FROM payment_intents WHERE coin_id = :coin"
            " AND status = 'requires_payment' AND expires_at <= :at"
            " ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
        ),
        {"coin": coin_id, "at": at, "limit": SWEEP_BATCH_MAX},
    ).all()
    for row in unpaid:
        mark_expired(conn, INTENT.read(row), at=at)
    return released, len(unpaid)


def sweep_intents(engine: Engine, clock: Clock) -> tuple[int, int]:
    """Sweeps every coin until its queues are empty; returns the totals."""
    released_total = expired_total = 0
    for coin in run_in_transaction(engine, list_coins):
        while True:
            released, expired = _sweep_batch(engine, coin_id=coin.id, at=clock.now())
            released_total += released
            expired_total += expired
            if released < SWEEP_BATCH_MAX and expired < SWEEP_BATCH_MAX:
                break
    return released_total, expired_total


def _sweep_batch(engine: Engine, *, coin_id: int, at: datetime) -> tuple[int, int]:
    def work(conn: Connection) -> tuple[int, int]:
        return sweep_coin_once(conn, coin_id=coin_id, at=at)

    counts: tuple[int, int] = run_in_transaction(engine, work)
    return counts


class IntentSweeper(PeriodicPass):
    """The background thread; ``stop`` waits for the pass under way to end."""

    def __init__(self, engine: Engine, clock: Clock, interval_s: float = SWEEP_INTERVAL_S) -> None:
        def run_pass() -> None:
            released, expired = sweep_intents(engine, clock)
            if released or expired:
                log.info("intents_swept", holds_released=released, intents_expired=expired)

        super().__init__(
            "intent-sweeper", run_pass, interval_s=interval_s, failure_event="intent_sweep_failed"
        )
