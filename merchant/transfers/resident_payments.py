"""Merchants paying residents: change (お釣り) or cash-back, where the coin allows it.

Giving coin back to a resident counts as a refund of prepaid value under the
Payment Services Act, banned in principle, so each coin opts in with its rule
``merchant_to_resident_allowed`` (column of ``coin_rules``, off by default).
The coin arrives as money (the resident may spend and send it), in one
ledger entry of kind ``merchant_to_resident``. Only the merchant's own key
(not a terminal's) may pay out.

The resident's balance cap is checked after the entry is posted, while the
posting holds the wallet's balance row locked (as P2P transfers do), so
concurrent credits cannot both slip under it; a refusal rolls it all back.

Refusals, in the order they are checked:

| code | status | when |
| --- | --- | --- |
| ``not_allowed_by_coin`` | 403 | the coin does not let merchants pay residents |
| ``limit_exceeded`` | 422 | above the coin's largest payment |
| ``merchant_suspended`` | 403 | the merchant is suspended |
| ``wallet_not_found`` | 404 | no such wallet in this coin |
| ``insufficient_funds`` | 402 | the merchant's available coin is too small |
| ``limit_exceeded`` | 422 | the resident would hold more than the tier's cap |
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.accounts import get_balance
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.lots import LotKind
from ledger.records import Column, RecordColumns
from merchant.accounts.merchants import Merchant, require_active
from merchant.pages import page_of
from wallet_api.residents import Wallet, find_wallet
from wallet_api.rules import CoinRules, get_rules

KIND = "merchant_to_resident"


class PaymentReason(StrEnum):
    CHANGE = "change"  # the change of a cash-like payment
    CASHBACK = "cashback"  # the merchant's own campaign


@dataclass(frozen=True, slots=True)
class ResidentPayment:
    """Attributes:
    public_id: its id in the API (``rpy_…``).
    wallet_public_id: the resident's wallet paid.
    amount: coin credited to it, as money.
    reason: change or cashback.
    entry_id: the ledger entry.
    created_at: when it was posted (UTC).
    """

    public_id: str
    wallet_public_id: str
    amount: int
    reason: PaymentReason
    entry_id: int
    created_at: datetime

    def as_json(self, merchant_public_id: str) -> dict[str, Any]:
        return {
            "id": self.public_id,
            "object": "resident_payment",
            "merchant_id": merchant_public_id,
            "wallet_id": self.wallet_public_id,
            "amount": self.amount,
            "reason": self.reason.value,
            "created_at": self.created_at.isoformat(),
        }


def merchant_to_resident_allowed(conn: Connection, *, coin_id: int) -> bool:
    """The coin's rule; read here so the shared CoinRules need not change."""
    allowed: bool = conn.execute(
        text("SELECT merchant_to_resident_allowed FROM coin_rules WHERE coin_id = :coin"),
        {"coin": coin_id},
    ).scalar_one()
    return allowed


def pay_resident(
    conn: Connection,
    *,
    merchant: Merchant,
    wallet_public_id: str,
    amount: int,
    reason: PaymentReason,
    at: datetime,
) -> ResidentPayment:
    """Credits a resident's wallet with ``amount`` of the merchant's coin, as money."""
    if not merchant_to_resident_allowed(conn, coin_id=merchant.coin_id):
        raise Problem(
            Code.NOT_ALLOWED_BY_COIN,
            "this coin does not let merchants pay residents",
        )
    rules = get_rules(conn, coin_id=merchant.coin_id)
    rules.check_accepting(at)
    if amount > rules.payment_max:
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"a payment is at most {rules.payment_max} coin in this coin",
        )
    require_active(merchant)
    wallet = find_wallet(conn, coin_id=merchant.coin_id, wallet_public_id=wallet_public_id)
    payment_public_id = public_id("rpy_")
    posted = post_entry(
        conn,
        coin_id=merchant.coin_id,
        request=EntryRequest(
            KIND,
            [
                debit(merchant.account_id, amount),
                credit(wallet.account_id, amount, lot_kind=LotKind.MONEY),
            ],
            metadata={
                "resident_payment": payment_public_id,
                "merchant": merchant.public_id,
                "wallet": wallet.public_id,
                "reason": reason.value,
            },
        ),
        posted_at=at,
    )
    conn.execute(
        text(
            "INSERT INTO resident_payments (coin_id, public_id, merchant_id, wallet_id, amount,"
            " reason, entry_id, created_at) VALUES (:coin, :pid, :merchant, :wallet, :amount,"
            " :reason, :entry, :at)"
        ),
        {
            "coin": merchant.coin_id,
            "pid": payment_public_id,
            "merchant": merchant.id,
            "wallet": wallet.id,
            "amount": amount,
            "reason": reason.value,
            "entry": posted.entry_id,
            "at": at,
        },
    )
    _check_cap(conn, rules=rules, wallet=wallet)
    return ResidentPayment(payment_public_id, wallet.public_id, amount, reason, posted.entry_id, at)


def _check_cap(conn: Connection, *, rules: CoinRules, wallet: Wallet) -> None:
    balance = get_balance(conn, coin_id=rules.coin_id, account_id=wallet.account_id)
    cap = rules.balance_cap(wallet.tier)
    if balance.posted > cap:
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"the resident's wallet holds at most {cap} coin",
        )


_PAYMENT = RecordColumns(
    ResidentPayment,
    wallet_public_id=Column(
        "(SELECT w.public_id FROM wallets w WHERE w.coin_id = resident_payments.coin_id"
        " AND w.id = resident_payments.wallet_id)"
    ),
    reason=PaymentReason,
)


def resident_payments_page(
    conn: Connection, *, merchant: Merchant, limit: int, starting_after: str | None
) -> tuple[list[ResidentPayment], bool]:
    """The merchant's payments to residents, newest first."""
    rows, has_more = page_of(
        conn,
        table="resident_payments",
        columns=_PAYMENT.sql,
        where="coin_id = :coin AND merchant_id = :merchant",
        params={"coin": merchant.coin_id, "merchant": merchant.id},
        limit=limit,
        starting_after=starting_after,
    )
    return [_PAYMENT.read(row) for row in rows], has_more
