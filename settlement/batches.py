"""Settlement batches: one per coin and business date, closed in one database transaction.

A batch collects the payouts (cash-outs) the bank transfers on one date. Its
life, every step recorded in ``batch_events`` (who, when, from, to):

    open → closed → exported → confirmed

- ``business_date``: the Tokyo date whose payouts it pays. Payouts asked for at
  or before that date's cut-off (a per-coin time in Asia/Tokyo, default
  15:00) and not yet in a batch belong to it.
- ``transfer_date``: the next bank business day after the business date
  (``business_days``), the 振込指定日 of its Zengin file.

Closing (``close_batch``), in this order, in the caller's transaction:
1. the batch row is inserted (``open``) or found, and locked: a second closer,
   concurrent or later, waits for the first and then finds it closed and
   returns it unchanged;
2. the merchants' schedules that are due add their payouts
   (``payout_schedules``);
3. holds past their deadline are released; the payouts whose hold lapsed are
   ``canceled`` and listed with the batch;
4. each pending payout's hold is captured in ONE ledger entry (kind
   ``payout.close``): the merchant's wallet gives ``amount``, payable:payout
   takes ``net`` (amount - fee) and revenue:fees takes ``fee``; the payout is
   ``in_batch`` with the entry and the batch;
5. the totals are written and the batch is ``closed``.

Crash safety: the whole close is ONE transaction. A crash anywhere before
COMMIT leaves the old state (no batch row, every payout pending, no entry);
after COMMIT, the new one. There is nothing to resume. One transaction holds
a lock per payout row and hold; a day of 10,000 merchants is 10,000 entries,
well within one transaction (see bench/settlement_batch.py).

Refusals, in order: ``business_date_invalid`` (422) for a date too far from
today; ``cut_off_not_reached`` (409) when the day's cut-off has not passed, as
later payouts would still belong to it; ``batch_not_found`` (404) for a batch
of another coin (or none).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, text

from jp_banking.business_days import next_business_day
from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.chart import Standard, standard_account
from ledger.clock import BUSINESS_TZ
from ledger.clock import business_date as business_date_of
from ledger.entries import credit, debit
from ledger.holds import capture_hold, expire_holds
from ledger.records import Column, RecordColumns
from merchant.payouts.payouts import PAYOUT, Payout
from merchant.webhooks.outbox import record_event
from settlement.originator import get_settings
from settlement.payout_schedules import request_scheduled_payouts

CLOSE_ENTRY_KIND = "payout.close"
# A batch is for a real day of business: not years away from today.
BUSINESS_DATE_RANGE = timedelta(days=366)
EXPIRE_HOLDS_CHUNK = 1_000

Progress = Callable[[int, int], None]


class BatchStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    EXPORTED = "exported"
    CONFIRMED = "confirmed"


# Where each status's timestamp is kept.
_STAMP = {
    BatchStatus.CLOSED: "closed_at",
    BatchStatus.EXPORTED: "exported_at",
    BatchStatus.CONFIRMED: "confirmed_at",
}


@dataclass(frozen=True, slots=True)
class Batch:
    """Attributes:
    coin_id, id: its key.
    public_id: its id in the API (``stb_…``).
    business_date: the Tokyo date it pays the payouts of.
    transfer_date: the bank business day the money moves.
    cut_off_at: the instant (UTC) after which that day's payouts go to the next batch.
    status: open, closed, exported or confirmed.
    payout_count, amount_total, fee_total, net_total: of its in_batch payouts
        at closing (coin = yen; the bank transfers net_total).
    canceled_count: payouts canceled at closing because their hold had lapsed.
    paid_count, paid_total, returned_count, returned_total: the bank's
        results (net yen); zero until confirmed.
    created_at, closed_at, exported_at, confirmed_at: when it reached each
        state (UTC); None before.
    """

    coin_id: int
    id: int
    public_id: str
    business_date: date
    transfer_date: date
    cut_off_at: datetime
    status: BatchStatus
    payout_count: int
    amount_total: int
    fee_total: int
    net_total: int
    canceled_count: int
    paid_count: int
    paid_total: int
    returned_count: int
    returned_total: int
    created_at: datetime
    closed_at: datetime | None
    exported_at: datetime | None
    confirmed_at: datetime | None


_BATCH = RecordColumns(Batch, status=BatchStatus)


@dataclass(frozen=True, slots=True)
class BatchPayout:
    """A payout of a batch with its merchant's public id, as the API shows it."""

    payout: Payout
    merchant_public_id: str
    return_reason: str | None


# A payout (p) with its merchant's (m) public id and the reason the bank returned it.
_BATCH_PAYOUT = RecordColumns(BatchPayout, payout=PAYOUT, merchant_public_id=Column("m.public_id"))


def cut_off_instant(conn: Connection, *, coin_id: int, day: date) -> datetime:
    """The coin's cut-off on ``day`` in Asia/Tokyo, as a UTC instant."""
    cut_off = get_settings(conn, coin_id=coin_id).cut_off
    local = datetime(day.year, day.month, day.day, cut_off.hour, cut_off.minute, tzinfo=BUSINESS_TZ)
    return local.astimezone(UTC)


def find_batch(
    conn: Connection, *, coin_id: int, batch_public_id: str, for_update: bool = False
) -> Batch:
    """The coin's batch with this id; another coin's is not found (404 ``batch_not_found``)."""
    lock = " FOR UPDATE" if for_update else ""
    row = conn.execute(
        text(
            f"SELECT {_BATCH.sql} FROM settlement_batches"
            f" WHERE coin_id = :coin AND public_id = :pid{lock}"
        ),
        {"coin": coin_id, "pid": batch_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.BATCH_NOT_FOUND, "no such batch in this coin")
    return _BATCH.read(row)


def list_batches(
    conn: Connection, *, coin_id: int, limit: int, starting_after: str | None
) -> tuple[list[Batch], bool]:
    """The coin's batches, latest business date first; a page and whether more follow."""
    after = None
    if starting_after is not None:
        after = find_batch(conn, coin_id=coin_id, batch_public_id=starting_after).business_date
    rows = conn.execute(
        text(
            f"SELECT {_BATCH.sql} FROM settlement_batches WHERE coin_id = :coin"
            " AND (CAST(:after AS date) IS NULL OR business_date < :after)"
            " ORDER BY business_date DESC LIMIT :limit"
        ),
        {"coin": coin_id, "after": after, "limit": limit + 1},
    ).all()
    return [_BATCH.read(row) for row in rows[:limit]], len(rows) > limit


def batches_between(conn: Connection, *, coin_id: int, first: date, last: date) -> list[Batch]:
    rows = conn.execute(
        text(
            f"SELECT {_BATCH.sql} FROM settlement_batches WHERE coin_id = :coin"
            " AND business_date BETWEEN :first AND :last ORDER BY business_date"
        ),
        {"coin": coin_id, "first": first, "last": last},
    ).all()
    return [_BATCH.read(row) for row in rows]


def batch_payouts(conn: Connection, *, batch: Batch) -> list[BatchPayout]:
    """Every payout the batch took in (in_batch, paid, returned or canceled), by id."""
    rows = conn.execute(
        text(
            f"SELECT {_BATCH_PAYOUT.select('p')} FROM payouts p"
            " JOIN merchants m ON m.coin_id = p.coin_id AND m.id = p.merchant_id"
            " WHERE p.coin_id = :coin AND p.batch_id = :batch ORDER BY p.id"
        ),
        {"coin": batch.coin_id, "batch": batch.id},
    ).all()
    return [_BATCH_PAYOUT.read(row) for row in rows]


def batch_events(conn: Connection, *, batch: Batch) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT from_status, to_status, actor, at FROM batch_events"
            " WHERE coin_id = :coin AND batch_id = :batch ORDER BY id"
        ),
        {"coin": batch.coin_id, "batch": batch.id},
    ).all()
    return [
        {"from": r.from_status, "to": r.to_status, "actor": r.actor, "at": r.at.isoformat()}
        for r in rows
    ]


def move_batch(
    conn: Connection, *, batch: Batch, to: BatchStatus, actor: str, at: datetime
) -> Batch:
    """Moves a locked batch to its next status and records the change.

    The database refuses any move but the next one (batch_events' CHECK).
    """
    row = conn.execute(
        text(
            f"UPDATE settlement_batches SET status = :to, {_STAMP[to]} = :at"
            f" WHERE coin_id = :coin AND id = :id RETURNING {_BATCH.sql}"
        ),
        {"to": to.value, "at": at, "coin": batch.coin_id, "id": batch.id},
    ).one()
    _record_event(conn, batch=batch, from_status=batch.status, to=to, actor=actor, at=at)
    return _BATCH.read(row)


def _record_event(
    conn: Connection,
    *,
    batch: Batch,
    from_status: BatchStatus | None,
    to: BatchStatus,
    actor: str,
    at: datetime,
) -> None:
    conn.execute(
        text(
            "INSERT INTO batch_events (coin_id, batch_id, from_status, to_status, actor, at)"
            " VALUES (:coin, :batch, :from, :to, :actor, :at)"
        ),
        {
            "coin": batch.coin_id,
            "batch": batch.id,
            "from": from_status.value if from_status else None,
            "to": to.value,
            "actor": actor,
            "at": at,
        },
    )


@dataclass(frozen=True, slots=True)
class Closing:
    """Attributes:
    batch: the batch, closed.
    closed_now: True if this call closed it; False if it was closed before.
    """

    batch: Batch
    closed_now: bool


def close_batch(
    conn: Connection,
    *,
    coin_id: int,
    business_date: date,
    actor: str,
    at: datetime,
    on_progress: Progress | None = None,
) -> Closing:
    """Closes the coin's batch for ``business_date`` in the caller's transaction (see above)."""
    if abs(business_date - business_date_of(at)) > BUSINESS_DATE_RANGE:
        raise Problem(
            Code.BUSINESS_DATE_INVALID,
            f"a batch's business date is within {BUSINESS_DATE_RANGE.days} days of today",
        )
    cut_off_at = cut_off_instant(conn, coin_id=coin_id, day=business_date)
    if at < cut_off_at:
        raise Problem(
            Code.CUT_OFF_NOT_REACHED,
            f"the batch of {business_date} closes after its cut-off, {cut_off_at.isoformat()}",
        )
    batch = _open_and_lock(
        conn, coin_id=coin_id, day=business_date, cut_off_at=cut_off_at, actor=actor, at=at
    )
    if batch.status is not BatchStatus.OPEN:
        return Closing(batch, closed_now=False)
    scheduled = request_scheduled_payouts(conn, coin_id=coin_id, business_date=business_date, at=at)
    while (
        expire_holds(conn, coin_id=coin_id, at=at, limit=EXPIRE_HOLDS_CHUNK) == EXPIRE_HOLDS_CHUNK
    ):
        pass
    payouts = _pending_payouts(conn, batch=batch, also_ids=[payout.id for payout in scheduled])
    accounts = _Accounts.of(conn, coin_id=coin_id)
    entries: list[int | None] = []
    for done, (payout, merchant) in enumerate(payouts, start=1):
        entries.append(
            close_payout(
                conn, batch=batch, payout=payout, merchant=merchant, accounts=accounts, at=at
            )
        )
        if on_progress is not None:
            on_progress(done, len(payouts))
    _mark_payouts(conn, batch=batch, payouts=[p for p, _ in payouts], entries=entries)
    _write_totals(conn, batch=batch)
    closed = move_batch(conn, batch=batch, to=BatchStatus.CLOSED, actor=actor, at=at)
    return Closing(closed, closed_now=True)


def _open_and_lock(
    conn: Connection, *, coin_id: int, day: date, cut_off_at: datetime, actor: str, at: datetime
) -> Batch:
    """The day's batch, locked; inserted (and its opening recorded) if new.

    A concurrent closer's INSERT waits on the unique (coin, date) until the
    first commits, then finds the row.
    """
    row = conn.execute(
        text(
            "INSERT INTO settlement_batches (coin_id, public_id, business_date, transfer_date,"
            " cut_off_at, created_at) VALUES (:coin, :pid, :day, :transfer, :cut_off, :at)"
            f" ON CONFLICT (coin_id, business_date) DO NOTHING RETURNING {_BATCH.sql}"
        ),
        {
            "coin": coin_id,
            "pid": public_id("stb_"),
            "day": day,
            "transfer": next_business_day(day),
            "cut_off": cut_off_at,
            "at": at,
        },
    ).one_or_none()
    if row is not None:
        batch = _BATCH.read(row)
        _record_event(conn, batch=batch, from_status=None, to=BatchStatus.OPEN, actor=actor, at=at)
        return batch
    locked = conn.execute(
        text(
            f"SELECT {_BATCH.sql} FROM settlement_batches"
            " WHERE coin_id = :coin AND business_date = :day FOR UPDATE"
        ),
        {"coin": coin_id, "day": day},
    ).one()
    return _BATCH.read(locked)


@dataclass(frozen=True, slots=True)
class _Accounts:
    payable: int
    fees: int

    @staticmethod
    def of(conn: Connection, *, coin_id: int) -> "_Accounts":
        return _Accounts(
            payable=standard_account(conn, coin_id=coin_id, code=Standard.PAYABLE_PAYOUT).id,
            fees=standard_account(conn, coin_id=coin_id, code=Standard.REVENUE_FEES).id,
        )


@dataclass(frozen=True, slots=True)
class _MerchantRef:
    """The payout's merchant, and whether its hold can still be captured."""

    public_id: str
    account_id: int
    hold_active: bool


# Labelled m_…: a payout has a public id of its own.
_MERCHANT_REF = RecordColumns(_MerchantRef, hold_active=Column("h.status = 'active'"))


def _pending_payouts(
    conn: Connection, *, batch: Batch, also_ids: list[int]
) -> list[tuple[Payout, _MerchantRef]]:
    """The payouts that belong to the batch, locked, in id order (the lock order)."""
    rows = conn.execute(
        text(
            f"SELECT {PAYOUT.select('p')}, {_MERCHANT_REF.select('m', prefix='m_')} FROM payouts p"
            " JOIN merchants m ON m.coin_id = p.coin_id AND m.id = p.merchant_id"
            " JOIN holds h ON h.coin_id = p.coin_id AND h.id = p.hold_id"
            " WHERE p.coin_id = :coin AND p.status = 'pending'"
            " AND (p.requested_at <= :cut_off OR p.id = ANY(:also))"
            " ORDER BY p.id FOR UPDATE OF p"
        ),
        {"coin": batch.coin_id, "cut_off": batch.cut_off_at, "also": also_ids},
    ).all()
    return [(PAYOUT.read(row), _MERCHANT_REF.read(row, prefix="m_")) for row in rows]


def close_payout(
    conn: Connection,
    *,
    batch: Batch,
    payout: Payout,
    merchant: _MerchantRef,
    accounts: _Accounts,
    at: datetime,
) -> int | None:
    """Captures one payout's hold into payable:payout and fees; returns the entry.

    None when the hold had lapsed: the payout is canceled (its event recorded).
    Statuses are written for all payouts at once afterwards (``_mark_payouts``).
    """
    if not merchant.hold_active:
        record_event(
            conn,
            coin_id=batch.coin_id,
            merchant_id=payout.merchant_id,
            type_="payout.canceled",
            data=payout.as_json(merchant.public_id) | {"status": "canceled"},
            at=at,
        )
        return None
    fee_legs = (
        (debit(merchant.account_id, payout.fee), credit(accounts.fees, payout.fee))
        if payout.fee
        else ()
    )
    _, posted = capture_hold(
        conn,
        coin_id=batch.coin_id,
        hold_id=payout.hold_id,
        to_account_id=accounts.payable,
        amount=payout.net,
        at=at,
        kind=CLOSE_ENTRY_KIND,
        extra_legs=fee_legs,
        metadata={
            "merchant": merchant.public_id,
            "payout": payout.public_id,
            "batch": batch.public_id,
        },
    )
    return posted.entry_id


def _mark_payouts(
    conn: Connection, *, batch: Batch, payouts: list[Payout], entries: list[int | None]
) -> None:
    """In one statement: in_batch with its entry, or canceled without one."""
    if not payouts:
        return
    conn.execute(
        text(
            "UPDATE payouts p SET batch_id = :batch, entry_id = u.entry_id,"
            " status = CASE WHEN u.entry_id IS NULL THEN 'canceled' ELSE 'in_batch' END"
            " FROM unnest(CAST(:ids AS bigint[]), CAST(:entries AS bigint[])) AS u(id, entry_id)"
            " WHERE p.coin_id = :coin AND p.id = u.id"
        ),
        {
            "batch": batch.id,
            "ids": [payout.id for payout in payouts],
            "entries": entries,
            "coin": batch.coin_id,
        },
    )


def _write_totals(conn: Connection, *, batch: Batch) -> None:
    conn.execute(
        text(
            "UPDATE settlement_batches b SET payout_count = t.n, amount_total = t.amount,"
            " fee_total = t.fee, net_total = t.amount - t.fee, canceled_count = t.canceled"
            " FROM (SELECT count(*) FILTER (WHERE status = 'in_batch') AS n,"
            " coalesce(sum(amount) FILTER (WHERE status = 'in_batch'), 0) AS amount,"
            " coalesce(sum(fee) FILTER (WHERE status = 'in_batch'), 0) AS fee,"
            " count(*) FILTER (WHERE status = 'canceled') AS canceled"
            " FROM payouts WHERE coin_id = :coin AND batch_id = :batch) t"
            " WHERE b.coin_id = :coin AND b.id = :batch"
        ),
        {"coin": batch.coin_id, "batch": batch.id},
    )
