"""Charges: a resident paying a merchant, however the payment was started.

A charge is one ledger entry: the resident's wallet is debited (points first,
then premium, then money, earliest expiry first), the merchant's wallet is
credited, and the payment fee (if the merchant's plan has one) goes to
revenue:fees. The charge row, the entry and the ``charge.succeeded`` event in
the webhook outbox commit together or not at all.

Sources: a customer-presented token or card scanned at a terminal, a static
QR sticker the resident scanned and typed the amount for, or a payment intent
(booking and counter systems, and the dynamic QR of the merchant console).

Refusals:

| code | status | when |
| --- | --- | --- |
| ``amount_invalid`` | 422 | the amount is not a positive integer |
| ``limit_exceeded`` | 422 | the amount is above the coin's largest payment |
| ``merchant_suspended`` | 403 | the merchant may not take payments |
| ``insufficient_funds`` | 402 | the resident's available balance is too small |
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.chart import Standard, standard_account
from ledger.clock import business_date
from ledger.entries import EntryRequest, Leg, credit, debit, post_entry
from ledger.expiry import expire_due_lots_of
from ledger.records import RecordColumns
from merchant.accounts.customer_ids import customer_id
from merchant.accounts.fees import FeeKind, fee_for, merchant_fee
from merchant.accounts.merchants import Merchant, require_active
from merchant.pages import page_of
from merchant.payments.payment_context import PaymentContext
from merchant.webhooks.outbox import record_event
from wallet_api.residents import Wallet
from wallet_api.rules import CoinRules

ENTRY_KIND = "payment"


class Source(StrEnum):
    PAYMENT_TOKEN = "payment_token"  # noqa: S105 - a source, not a secret; the resident's app showed a QR; the terminal scanned it
    CARD = "card"  # the resident's printed card was scanned and the PIN entered
    STATIC_QR = "static_qr"  # the resident scanned the shop's sticker and typed the amount
    PAYMENT_INTENT = "payment_intent"  # the resident paid an intent (booking, counter, console)


@dataclass(frozen=True, slots=True)
class Charge:
    """Attributes:
    coin_id: the coin.
    id: its id in the coin.
    public_id: its id in the API (``ch_…``).
    merchant_id: the merchant paid.
    wallet_id: the resident's wallet that paid.
    source: how the payment was started.
    terminal_id: the terminal that took it, if any.
    reference: the merchant's reference, if any.
    amount: coin the resident paid.
    fee: the payment fee taken from it (the merchant received amount - fee).
    refunded: coin refunded so far.
    entry_id: the ledger entry.
    created_at: when it was paid (UTC).
    """

    coin_id: int
    id: int
    public_id: str
    merchant_id: int
    wallet_id: int
    source: Source
    terminal_id: int | None
    reference: str | None
    amount: int
    fee: int
    refunded: int
    entry_id: int
    created_at: datetime

    @property
    def status(self) -> str:
        if self.refunded == 0:
            return "succeeded"
        return "refunded" if self.refunded == self.amount else "partially_refunded"

    def as_json(self, merchant_public_id: str, customer: str) -> dict[str, Any]:
        """The charge as its merchant sees it; ``customer`` is the payer's id at that
        merchant (merchant/accounts/customer_ids.py), never their wallet's."""
        return {
            "id": self.public_id,
            "object": "charge",
            "amount": self.amount,
            "fee": self.fee,
            "net": self.amount - self.fee,
            "refunded": self.refunded,
            "status": self.status,
            "source": self.source.value,
            "reference": self.reference,
            "merchant_id": merchant_public_id,
            "customer_id": customer,
            "created_at": self.created_at.isoformat(),
        }


_CHARGE = RecordColumns(Charge, source=Source)


def check_amount(rules: CoinRules, amount: int, at: datetime) -> None:
    """A payment's amount within the coin's limit, while the coin is still accepted."""
    rules.check_accepting(at)
    if type(amount) is not int or amount <= 0:
        raise Problem(Code.AMOUNT_INVALID, "a payment is a positive integer")
    if amount > rules.payment_max:
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"a payment is at most {rules.payment_max} coin in this coin",
        )


def payment_legs(
    conn: Connection, *, merchant: Merchant, payer_account_id: int | None, amount: int, fee: int
) -> list[Leg]:
    """The legs of a payment: payer out, merchant in (less the fee), fee to revenue.

    With ``payer_account_id`` None the debit leg is left to the caller (a
    captured hold debits the wallet itself).
    """
    legs = [] if payer_account_id is None else [debit(payer_account_id, amount)]
    legs.append(credit(merchant.account_id, amount - fee))
    if fee:
        fees = standard_account(conn, coin_id=merchant.coin_id, code=Standard.REVENUE_FEES)
        legs.append(credit(fees.id, fee))
    return legs


def record_charge(
    conn: Connection,
    *,
    rules: CoinRules,
    merchant: Merchant,
    wallet: Wallet,
    amount: int,
    source: Source,
    at: datetime,
    terminal_id: int | None = None,
    reference: str | None = None,
    metadata: dict[str, Any] | None = None,
    known: PaymentContext | None = None,
) -> Charge:
    """Moves ``amount`` from the resident's wallet to the merchant, in the caller's transaction.

    ``known``: the payment's context already read (a QR payment reads it in one
    statement), so the fee rate and the due lots are not read again.
    """
    assert wallet.coin_id == merchant.coin_id == rules.coin_id, "one coin"
    check_amount(rules, amount, at)
    require_active(merchant)
    if known is None or known.lots_due:
        expire_due_lots_of(conn, coin_id=rules.coin_id, account_id=wallet.account_id, at=at)
    if known is None:
        fee = merchant_fee(conn, merchant, FeeKind.PAYMENT, amount)
    else:
        fee = fee_for(amount, known.payment_bp)
    charge_public_id = public_id("ch_")
    posted = post_entry(
        conn,
        coin_id=rules.coin_id,
        request=EntryRequest(
            ENTRY_KIND,
            payment_legs(
                conn, merchant=merchant, payer_account_id=wallet.account_id, amount=amount, fee=fee
            ),
            metadata={
                "charge": charge_public_id,
                "merchant": merchant.public_id,
                "wallet": wallet.public_id,
                "source": source.value,
                **(metadata or {}),
            },
        ),
        posted_at=at,
    )
    return insert_charge(
        conn,
        public_id_=charge_public_id,
        merchant=merchant,
        wallet=wallet,
        amount=amount,
        fee=fee,
        source=source,
        entry_id=posted.entry_id,
        at=at,
        terminal_id=terminal_id,
        reference=reference,
    )


def insert_charge(
    conn: Connection,
    *,
    public_id_: str,
    merchant: Merchant,
    wallet: Wallet,
    amount: int,
    fee: int,
    source: Source,
    entry_id: int,
    at: datetime,
    terminal_id: int | None = None,
    reference: str | None = None,
) -> Charge:
    """Records a charge whose entry is posted, with its ``charge.succeeded`` event.

    For a payment posted some other way (a captured hold); record_charge
    posts and records in one go.
    """
    row = conn.execute(
        text(
            "INSERT INTO charges (coin_id, public_id, merchant_id, wallet_id, source, terminal_id,"
            " reference, amount, fee, entry_id, business_date, created_at) VALUES (:coin, :pid,"
            " :merchant, :wallet, :source, :terminal, :reference, :amount, :fee, :entry, :day,"
            f" :at) RETURNING {_CHARGE.sql}"
        ),
        {
            "coin": merchant.coin_id,
            "pid": public_id_,
            "merchant": merchant.id,
            "wallet": wallet.id,
            "source": source.value,
            "terminal": terminal_id,
            "reference": reference,
            "amount": amount,
            "fee": fee,
            "entry": entry_id,
            "day": business_date(at),
            "at": at,
        },
    ).one()
    charge = _CHARGE.read(row)
    record_event(
        conn,
        coin_id=merchant.coin_id,
        merchant_id=merchant.id,
        type_="charge.succeeded",
        data=charge.as_json(
            merchant.public_id, customer_id(merchant.customer_key, wallet.resident_id)
        ),
        at=at,
    )
    return charge


def find_charge(
    conn: Connection, *, coin_id: int, merchant_id: int, charge_public_id: str, for_update: bool
) -> Charge:
    """The merchant's own charge; another merchant's is not found (404 ``charge_not_found``)."""
    lock = " FOR UPDATE" if for_update else ""
    row = conn.execute(
        text(
            f"SELECT {_CHARGE.sql} FROM charges WHERE coin_id = :coin AND merchant_id = :merchant"
            f" AND public_id = :pid{lock}"
        ),
        {"coin": coin_id, "merchant": merchant_id, "pid": charge_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.CHARGE_NOT_FOUND, "no such charge for this merchant")
    return _CHARGE.read(row)


# The paying resident beside each charge, for the id their merchant knows them by.
_WITH_PAYER = (
    f"{_CHARGE.sql}, (SELECT w.resident_id FROM wallets w"
    " WHERE w.coin_id = charges.coin_id AND w.id = charges.wallet_id) AS payer_resident_id"
)


def charges_page(
    conn: Connection,
    *,
    merchant: Merchant,
    limit: int,
    starting_after: str | None,
    terminal_id: int | None = None,
) -> tuple[list[tuple[Charge, str]], bool]:
    """The merchant's charges (a terminal's own only, given one), newest first, each
    with the payer's customer id at this merchant."""
    rows, has_more = page_of(
        conn,
        table="charges",
        columns=_WITH_PAYER,
        where="coin_id = :coin AND merchant_id = :merchant"
        + (" AND terminal_id = :terminal" if terminal_id is not None else ""),
        params={"coin": merchant.coin_id, "merchant": merchant.id, "terminal": terminal_id},
        limit=limit,
        starting_after=starting_after,
    )
    key = merchant.customer_key
    return [(_CHARGE.read(row), customer_id(key, row.payer_resident_id)) for row in rows], has_more


def charge_customer_id(conn: Connection, merchant: Merchant, charge: Charge) -> str:
    """The payer of ``charge`` as its merchant knows them."""
    assert charge.merchant_id == merchant.id, "a merchant sees its own charges"
    resident_id: int = conn.execute(
        text("SELECT resident_id FROM wallets WHERE coin_id = :coin AND id = :id"),
        {"coin": charge.coin_id, "id": charge.wallet_id},
    ).scalar_one()
    return customer_id(merchant.customer_key, resident_id)
