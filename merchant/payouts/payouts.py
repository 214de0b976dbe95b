"""Cash-out requests (換金): a merchant asks for yen; the next settlement batch pays it.

Asking places a hold on the merchant's wallet for the whole amount, so the
coin cannot be spent twice while it waits for the batch; the batch captures
the hold into payable:payout (net) and revenue:fees (fee) in one entry per
payout. The cash-out fee is fixed when the merchant asks, by the one rounding
rule of merchant/accounts/fees.py, so the merchant knows the yen it will receive.

A payout's life: pending → in_batch → paid, or returned (振込不能: the coin
goes back to the merchant's wallet), or canceled (the hold released).

Canceling locks the payout's row (FOR UPDATE), so it cannot race the
settlement batch that takes pending payouts: whichever locks first wins, and
the other sees the new status. The hold is voided (the coin is available
again); nothing is posted, since the coin never left the wallet.
Refusals: ``payout_not_found`` (404; another merchant's included),
``payout_not_pending`` (409; already in a batch, paid, returned or canceled).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.holds import place_hold, void_hold
from ledger.limits import AMOUNT_MAX, HOLD_TTL_S_MAX
from ledger.records import RecordColumns
from merchant.accounts.fees import FeeKind, merchant_fee
from merchant.accounts.merchants import Merchant, require_active
from merchant.pages import page_of
from wallet_api.rules import get_rules

# The hold outlives any batch schedule; a payout whose hold lapsed is canceled
# by the batch instead of paid.
PAYOUT_HOLD_TTL = timedelta(seconds=HOLD_TTL_S_MAX)


class PayoutSource(StrEnum):
    REQUEST = "request"  # the merchant asked (POST /v1/payouts)
    SCHEDULE = "schedule"  # the merchant's automatic schedule (weekly, month-end, …)


class PayoutStatus(StrEnum):
    PENDING = "pending"
    IN_BATCH = "in_batch"
    PAID = "paid"
    RETURNED = "returned"
    CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class Payout:
    """Attributes:
    coin_id: the coin.
    id: its id in the coin.
    public_id: its id in the API (``po_…``).
    merchant_id: the merchant paid.
    source: asked for, or from the merchant's schedule.
    amount: coin taken from the merchant's wallet.
    fee: the cash-out fee kept (the bank transfers amount - fee yen).
    hold_id: the hold that keeps the coin until the batch.
    status: where it is in its life.
    batch_id: the settlement batch that pays it, once in one.
    entry_id: the entry that moved the coin to payable:payout, once closed.
    requested_at: when it was asked for (UTC).
    """

    coin_id: int
    id: int
    public_id: str
    merchant_id: int
    source: PayoutSource
    amount: int
    fee: int
    hold_id: int
    status: PayoutStatus
    batch_id: int | None
    entry_id: int | None
    requested_at: datetime

    @property
    def net(self) -> int:
        return self.amount - self.fee

    def as_json(self, merchant_public_id: str) -> dict[str, Any]:
        return {
            "id": self.public_id,
            "object": "payout",
            "merchant_id": merchant_public_id,
            "source": self.source.value,
            "amount": self.amount,
            "fee": self.fee,
            "net": self.net,
            "status": self.status.value,
            "requested_at": self.requested_at.isoformat(),
        }


PAYOUT = RecordColumns(Payout, source=PayoutSource, status=PayoutStatus)


def request_payout(
    conn: Connection, *, merchant: Merchant, amount: int, source: PayoutSource, at: datetime
) -> Payout:
    """Holds ``amount`` of the merchant's coin for the next settlement batch.

    Refusals: ``amount_invalid`` (422) for an amount that is not 1 to the
    ledger's largest, ``payout_below_fee`` (422) when the fee would take it
    all, ``payout_below_minimum`` (422) under the coin's smallest cash-out,
    ``payouts_pending_limit`` (409) when as many wait already as the coin
    allows, ``merchant_suspended`` (403), ``insufficient_funds`` (402) from the
    ledger when the merchant's available coin is too small.
    """
    if type(amount) is not int or not 0 < amount <= AMOUNT_MAX:
        raise Problem(Code.AMOUNT_INVALID, f"a payout is 1 to {AMOUNT_MAX}")
    require_active(merchant)
    rules = get_rules(conn, coin_id=merchant.coin_id)
    fee = merchant_fee(conn, merchant, FeeKind.CASHOUT, amount, fee_min=rules.fee_min)
    if fee >= amount:
        raise Problem(
            Code.PAYOUT_BELOW_FEE,
            f"a payout of {amount} would be all fee ({fee}); ask for more",
        )
    if amount < rules.cashout_min:
        raise Problem(
            Code.PAYOUT_BELOW_MINIMUM, f"a cash-out is at least {rules.cashout_min} in this coin"
        )
    # Counted under the merchant's row lock, so concurrent requests cannot both slip under.
    conn.execute(
        text("SELECT 1 FROM merchants WHERE coin_id = :coin AND id = :id FOR NO KEY UPDATE"),
        {"coin": merchant.coin_id, "id": merchant.id},
    )
    pending: int = conn.execute(
        text(
            "SELECT count(*) FROM payouts WHERE coin_id = :coin AND merchant_id = :merchant"
            " AND status = 'pending'"
        ),
        {"coin": merchant.coin_id, "merchant": merchant.id},
    ).scalar_one()
    if pending >= rules.pending_payouts_max:
        raise Problem(
            Code.PAYOUTS_PENDING_LIMIT,
            f"{pending} cash-outs already wait for a batch; the coin allows"
            f" {rules.pending_payouts_max}",
        )
    payout_public_id = public_id("po_")
    hold = place_hold(
        conn,
        coin_id=merchant.coin_id,
        account_id=merchant.account_id,
        amount=amount,
        at=at,
        ttl=PAYOUT_HOLD_TTL,
        metadata={"payout": payout_public_id},
    )
    row = conn.execute(
        text(
            "INSERT INTO payouts (coin_id, public_id, merchant_id, source, amount, fee, hold_id,"
            " requested_at) VALUES (:coin, :pid, :merchant, :source, :amount, :fee, :hold, :at)"
            f" RETURNING {PAYOUT.sql}"
        ),
        {
            "coin": merchant.coin_id,
            "pid": payout_public_id,
            "merchant": merchant.id,
            "source": source.value,
            "amount": amount,
            "fee": fee,
            "hold": hold.id,
            "at": at,
        },
    ).one()
    return PAYOUT.read(row)


def find_payout(
    conn: Connection, *, coin_id: int, merchant_id: int, payout_public_id: str
) -> Payout:
    """The merchant's own payout; another's is not found (404 ``payout_not_found``)."""
    row = conn.execute(
        text(
            f"SELECT {PAYOUT.sql} FROM payouts WHERE coin_id = :coin"
            " AND merchant_id = :merchant AND public_id = :pid"
        ),
        {"coin": coin_id, "merchant": merchant_id, "pid": payout_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.PAYOUT_NOT_FOUND, "no such payout for this merchant")
    return PAYOUT.read(row)


def cancel_payout(
    conn: Connection, *, merchant: Merchant, payout_public_id: str, at: datetime
) -> Payout:
    """Cancels the merchant's pending payout and releases its hold."""
    found = find_payout(
        conn, coin_id=merchant.coin_id, merchant_id=merchant.id, payout_public_id=payout_public_id
    )
    row = conn.execute(
        text(f"SELECT {PAYOUT.sql} FROM payouts WHERE coin_id = :coin AND id = :id FOR UPDATE"),
        {"coin": found.coin_id, "id": found.id},
    ).one()
    payout = PAYOUT.read(row)
    if payout.status is not PayoutStatus.PENDING:
        raise Problem(
            Code.PAYOUT_NOT_PENDING,
            f"this payout is {payout.status.value}; only a pending one can be canceled",
        )
    void_hold(conn, coin_id=payout.coin_id, hold_id=payout.hold_id, at=at)
    canceled = conn.execute(
        text(
            "UPDATE payouts SET status = 'canceled' WHERE coin_id = :coin AND id = :id"
            f" RETURNING {PAYOUT.sql}"
        ),
        {"coin": payout.coin_id, "id": payout.id},
    ).one()
    return PAYOUT.read(canceled)


def payouts_page(
    conn: Connection, *, merchant: Merchant, limit: int, starting_after: str | None
) -> tuple[list[Payout], bool]:
    """The merchant's payouts, newest first."""
    rows, has_more = page_of(
        conn,
        table="payouts",
        columns=PAYOUT.sql,
        where="coin_id = :coin AND merchant_id = :merchant",
        params={"coin": merchant.coin_id, "merchant": merchant.id},
        limit=limit,
        starting_after=starting_after,
    )
    return [PAYOUT.read(row) for row in rows], has_more
