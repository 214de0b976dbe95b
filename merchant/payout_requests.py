"""A merchant's own cash-out requests: listing them and canceling one still pending.

Asking is ``merchant.payouts.request_payout``. Canceling locks the payout's
row (FOR UPDATE), so it cannot race the settlement batch that takes pending
payouts: whichever locks first wins, and the other sees the new status. The
hold is voided (the coin is available again) and the payout ends
``canceled``; nothing is posted, since the coin never left the wallet.

Refusals: ``payout_not_found`` (404; another merchant's included),
``payout_not_pending`` (409; already in a batch, paid, returned or canceled).
"""

from datetime import datetime
from http import HTTPStatus

from sqlalchemy import Connection, text

from ledger.holds import void_hold
from localcoin.problems import Problem
from merchant.merchants import Merchant
from merchant.pages import page_of
from merchant.payouts import PAYOUT_COLUMNS, Payout, PayoutStatus, find_payout, payout_from_row


def cancel_payout(
    conn: Connection, *, merchant: Merchant, payout_public_id: str, at: datetime
) -> Payout:
    """Cancels the merchant's pending payout and releases its hold."""
    found = find_payout(
        conn, coin_id=merchant.coin_id, merchant_id=merchant.id, payout_public_id=payout_public_id
    )
    row = conn.execute(
        text(f"SELECT {PAYOUT_COLUMNS} FROM payouts WHERE coin_id = :coin AND id = :id FOR UPDATE"),
        {"coin": found.coin_id, "id": found.id},
    ).one()
    payout = payout_from_row(row)
    if payout.status is not PayoutStatus.PENDING:
        raise Problem(
            HTTPStatus.CONFLICT,
            "payout_not_pending",
            f"this payout is {payout.status.value}; only a pending one can be canceled",
        )
    void_hold(conn, coin_id=payout.coin_id, hold_id=payout.hold_id, at=at)
    canceled = conn.execute(
        text(
            "UPDATE payouts SET status = 'canceled' WHERE coin_id = :coin AND id = :id"
            f" RETURNING {PAYOUT_COLUMNS}"
        ),
        {"coin": payout.coin_id, "id": payout.id},
    ).one()
    return payout_from_row(canceled)


def payouts_page(
    conn: Connection, *, merchant: Merchant, limit: int, starting_after: str | None
) -> tuple[list[Payout], bool]:
    """The merchant's payouts, newest first."""
    rows, has_more = page_of(
        conn,
        table="payouts",
        columns=PAYOUT_COLUMNS,
        where="coin_id = :coin AND merchant_id = :merchant",
        params={"coin": merchant.coin_id, "merchant": merchant.id},
        limit=limit,
        starting_after=starting_after,
    )
    return [payout_from_row(row) for row in rows], has_more
