"""BtoB transfers: a merchant pays another merchant of the same coin (a supplier, say).

One ledger entry (kind ``btob``): the sender's wallet is debited ``amount``,
the receiver's credited ``amount - fee`` and revenue:fees ``fee``. The fee is
the sender's BtoB rate (merchant/accounts/fees.py, rounded down) and comes out of what
the receiver gets, as in the schemes in use: the sender pays exactly what it
typed. Only the sender's own key (not a terminal's) may send.

Refusals, in the order they are checked:

| code | status | when |
| --- | --- | --- |
| ``merchant_not_found`` | 404 | no such merchant in this coin (other coins' included) |
| ``transfer_to_self`` | 422 | the receiver is the sender |
| ``merchant_suspended`` | 403 | the sender or the receiver is suspended |
| ``transfer_below_fee`` | 422 | the fee would take it all |
| ``insufficient_funds`` | 402 | the sender's available coin is too small |
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.chart import Standard, standard_account
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.records import Column, RecordColumns
from merchant.accounts.fees import FeeKind, merchant_fee
from merchant.accounts.merchants import Merchant, find_merchant, require_active
from merchant.pages import page_of
from wallet_api.rules import get_rules

KIND = "btob"


@dataclass(frozen=True, slots=True)
class MerchantTransfer:
    """Attributes:
    public_id: its id in the API (``mtr_…``).
    from_merchant: the sender's public id.
    to_merchant: the receiver's public id.
    amount: coin taken from the sender.
    fee: the BtoB fee kept; the receiver got amount - fee.
    entry_id: the ledger entry.
    created_at: when it was posted (UTC).
    """

    public_id: str
    from_merchant: str
    to_merchant: str
    amount: int
    fee: int
    entry_id: int
    created_at: datetime

    def as_json(self, viewer_public_id: str) -> dict[str, Any]:
        return {
            "id": self.public_id,
            "object": "merchant_transfer",
            "direction": "sent" if viewer_public_id == self.from_merchant else "received",
            "from_merchant_id": self.from_merchant,
            "to_merchant_id": self.to_merchant,
            "amount": self.amount,
            "fee": self.fee,
            "net": self.amount - self.fee,
            "created_at": self.created_at.isoformat(),
        }


def send_to_merchant(
    conn: Connection, *, sender: Merchant, to_merchant_public_id: str, amount: int, at: datetime
) -> MerchantTransfer:
    """Moves ``amount`` from the sender's wallet to another merchant of its coin, less the fee."""
    receiver = find_merchant(conn, coin_id=sender.coin_id, merchant_public_id=to_merchant_public_id)
    if receiver.id == sender.id:
        raise Problem(Code.TRANSFER_TO_SELF, "a merchant cannot pay itself")
    require_active(sender)
    require_active(receiver)
    rules = get_rules(conn, coin_id=sender.coin_id)
    fee = merchant_fee(conn, sender, FeeKind.BTOB, amount, fee_min=rules.fee_min)
    if fee >= amount:
        raise Problem(
            Code.TRANSFER_BELOW_FEE,
            f"a transfer of {amount} would be all fee ({fee}); send more",
        )
    if amount < rules.btob_min:
        raise Problem(
            Code.TRANSFER_BELOW_MINIMUM, f"a transfer is at least {rules.btob_min} in this coin"
        )
    transfer_public_id = public_id("mtr_")
    legs = [debit(sender.account_id, amount), credit(receiver.account_id, amount - fee)]
    if fee:
        fees = standard_account(conn, coin_id=sender.coin_id, code=Standard.REVENUE_FEES)
        legs.append(credit(fees.id, fee))
    posted = post_entry(
        conn,
        coin_id=sender.coin_id,
        request=EntryRequest(
            KIND,
            legs,
            metadata={
                "transfer": transfer_public_id,
                "merchant": sender.public_id,
                "to_merchant": receiver.public_id,
            },
        ),
        posted_at=at,
    )
    conn.execute(
        text(
            "INSERT INTO merchant_transfers (coin_id, public_id, from_merchant_id,"
            " to_merchant_id, amount, fee, entry_id, created_at) VALUES (:coin, :pid, :sender,"
            " :receiver, :amount, :fee, :entry, :at)"
        ),
        {
            "coin": sender.coin_id,
            "pid": transfer_public_id,
            "sender": sender.id,
            "receiver": receiver.id,
            "amount": amount,
            "fee": fee,
            "entry": posted.entry_id,
            "at": at,
        },
    )
    return MerchantTransfer(
        transfer_public_id,
        sender.public_id,
        receiver.public_id,
        amount,
        fee,
        posted.entry_id,
        at,
    )


_TRANSFER = RecordColumns(
    MerchantTransfer,
    from_merchant=Column(
        "(SELECT m.public_id FROM merchants m WHERE m.coin_id = merchant_transfers.coin_id"
        " AND m.id = merchant_transfers.from_merchant_id)"
    ),
    to_merchant=Column(
        "(SELECT m.public_id FROM merchants m WHERE m.coin_id = merchant_transfers.coin_id"
        " AND m.id = merchant_transfers.to_merchant_id)"
    ),
)


def merchant_transfers_page(
    conn: Connection, *, merchant: Merchant, limit: int, starting_after: str | None
) -> tuple[list[MerchantTransfer], bool]:
    """The transfers the merchant sent and received, newest first."""
    rows, has_more = page_of(
        conn,
        table="merchant_transfers",
        columns=_TRANSFER.sql,
        where="coin_id = :coin AND (from_merchant_id = :merchant OR to_merchant_id = :merchant)",
        params={"coin": merchant.coin_id, "merchant": merchant.id},
        limit=limit,
        starting_after=starting_after,
    )
    return [_TRANSFER.read(row) for row in rows], has_more
