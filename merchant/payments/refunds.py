"""Refunds: a merchant gives back all or part of a charge.

A refund is one ledger entry (kind ``refund``): the merchant's wallet is
debited ``amount - fee_refunded``, revenue:fees ``fee_refunded``, and the
resident's wallet is credited ``amount`` with ``lot_entry_id`` = the charge's
entry, so the ledger puts the coin back into the very lots the payment took,
with their kinds and original expiry (money first, then premium, then
points: what the resident can least afford to lose back last, as the ledger
orders it). Restored points past their expiry go to breakage at the next
sweep, as they would have.

A charge may be refunded several times until nothing is left. The charge row
is locked (FOR UPDATE) while a refund is worked out, so concurrent partial
refunds queue and cannot exceed it; the database's CHECKs on
``charges.refunded`` and ``charges.fee_refunded`` are the last guard.

Fee rule: each refund gives back the fee in proportion, rounded down
(``fee * amount // charge.amount``), and the refund that completes the charge
gives back whatever fee is left, so a full refund (in one or in many parts)
returns exactly the whole fee and the merchant never pays fee on coin it
gave back.

A terminal's key refunds only what its own till took, within the merchant's
``till_refund_days`` of the charge (7 unless it set otherwise) and at most its
``till_refund_max`` at once (10,000); anything else needs the merchant's own key.

Refusals, in the order they are checked:

| code | status | when |
| --- | --- | --- |
| ``charge_not_found`` | 404 | no such charge for this merchant (another's included) |
| ``payment_intent_not_found`` | 404 | no such payment intent for this merchant |
| ``payment_intent_not_paid`` | 409 | the intent has no charge yet |
| ``refund_exceeds_charge`` | 409 | more than what is left of the charge (or nothing is left) |
| ``terminal_key_not_allowed`` | 403 | a till's key on another till's, an old or a large charge |
| ``insufficient_funds`` | 402 | the merchant's available coin cannot cover it |
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.chart import Standard, standard_account
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.lots import LotKind
from ledger.records import GIVEN, Column, RecordColumns
from merchant.accounts.merchants import Merchant
from merchant.pages import page_of
from merchant.payments.charges import Charge, charge_customer_id, find_charge
from merchant.webhooks.outbox import record_event

KIND = "refund"


@dataclass(frozen=True, slots=True)
class RestoredLot:
    """Attributes:
    kind: money, premium or points.
    amount: coin put back into that lot.
    expires_at: the lot's own expiry (the one it had when paid); None for never.
    """

    kind: LotKind
    amount: int
    expires_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        expires = None if self.expires_at is None else self.expires_at.isoformat()
        return {"kind": self.kind.value, "amount": self.amount, "expires_at": expires}


@dataclass(frozen=True, slots=True)
class Refund:
    """Attributes:
    public_id: its id in the API (``re_…``).
    charge_public_id: the charge it refunds.
    amount: coin given back to the resident.
    fee_refunded: the part of the charge's fee given back with it.
    reason: the merchant's words, if any.
    restored: the lots the coin went back into.
    entry_id: the ledger entry.
    created_at: when it was posted (UTC).
    """

    public_id: str
    charge_public_id: str
    amount: int
    fee_refunded: int
    reason: str | None
    restored: list[RestoredLot]
    entry_id: int
    created_at: datetime

    def as_json(self, merchant_public_id: str) -> dict[str, Any]:
        return {
            "id": self.public_id,
            "object": "refund",
            "charge_id": self.charge_public_id,
            "merchant_id": merchant_public_id,
            "amount": self.amount,
            "fee_refunded": self.fee_refunded,
            "reason": self.reason,
            "restored": [lot.as_json() for lot in self.restored],
            "status": "succeeded",
            "created_at": self.created_at.isoformat(),
        }


def refund_fee(charge: Charge, *, amount: int, fee_refunded_so_far: int) -> int:
    """The fee this refund gives back (see the module doc). Pure."""
    assert 0 < amount <= charge.amount - charge.refunded, "checked by the caller"
    if charge.refunded + amount == charge.amount:
        return charge.fee - fee_refunded_so_far
    return charge.fee * amount // charge.amount


def _within_the_tills_reach(
    charge: Charge, *, merchant: Merchant, terminal_id: int, amount: int, at: datetime
) -> None:
    """A till refunds what it took itself, lately and in small amounts; the rest is
    the merchant's own key's (a stolen tablet cannot pay out the shop's takings)."""
    if charge.terminal_id != terminal_id:
        raise Problem(
            Code.TERMINAL_KEY_NOT_ALLOWED,
            "a terminal refunds only charges it took; use the merchant's own key",
        )
    days = merchant.till_refund_days
    if at - charge.created_at > timedelta(days=days):
        raise Problem(
            Code.TERMINAL_KEY_NOT_ALLOWED,
            f"this shop's tills refund charges of the last {days} days only;"
            " use the merchant's own key",
        )
    if amount > merchant.till_refund_max:
        raise Problem(
            Code.TERMINAL_KEY_NOT_ALLOWED,
            f"this shop's tills refund at most {merchant.till_refund_max} at once;"
            " use the merchant's own key",
        )


def charge_of_intent(
    conn: Connection, *, coin_id: int, merchant_id: int, intent_public_id: str
) -> str:
    """The public id of the charge that paid the merchant's payment intent."""
    row = conn.execute(
        text(
            "SELECT c.public_id FROM payment_intents i LEFT JOIN charges c"
            " ON c.coin_id = i.coin_id AND c.id = i.charge_id"
            " WHERE i.coin_id = :coin AND i.merchant_id = :merchant AND i.public_id = :pid"
        ),
        {"coin": coin_id, "merchant": merchant_id, "pid": intent_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.PAYMENT_INTENT_NOT_FOUND, "no such payment intent")
    if row[0] is None:
        raise Problem(Code.PAYMENT_INTENT_NOT_PAID, "this payment intent was not paid")
    charge_public_id: str = row[0]
    return charge_public_id


def refund_charge(
    conn: Connection,
    *,
    merchant: Merchant,
    charge_public_id: str,
    amount: int | None,
    reason: str | None,
    terminal_id: int | None,
    at: datetime,
) -> Refund:
    """Gives back ``amount`` (default: all that is left) of the merchant's charge."""
    charge = find_charge(
        conn,
        coin_id=merchant.coin_id,
        merchant_id=merchant.id,
        charge_public_id=charge_public_id,
        for_update=True,
    )
    left = charge.amount - charge.refunded
    wanted = left if amount is None else amount
    if terminal_id is not None:
        _within_the_tills_reach(
            charge, merchant=merchant, terminal_id=terminal_id, amount=wanted, at=at
        )
    if not 0 < wanted <= left:
        raise Problem(
            Code.REFUND_EXCEEDS_CHARGE,
            f"{left} of this charge is left to refund",
        )
    fee_so_far = _fee_refunded(conn, charge)
    fee = refund_fee(charge, amount=wanted, fee_refunded_so_far=fee_so_far)
    refund_public_id = public_id("re_")
    entry_id = _post(
        conn,
        merchant=merchant,
        charge=charge,
        amount=wanted,
        fee=fee,
        refund=refund_public_id,
        at=at,
    )
    conn.execute(
        text(
            "UPDATE charges SET refunded = refunded + :amount,"
            " fee_refunded = fee_refunded + :fee WHERE coin_id = :coin AND id = :id"
        ),
        {"amount": wanted, "fee": fee, "coin": charge.coin_id, "id": charge.id},
    )
    conn.execute(
        text(
            "INSERT INTO refunds (coin_id, public_id, merchant_id, charge_id, amount,"
            " fee_refunded, reason, terminal_id, entry_id, created_at) VALUES (:coin, :pid,"
            " :merchant, :charge, :amount, :fee, :reason, :terminal, :entry, :at)"
        ),
        {
            "coin": merchant.coin_id,
            "pid": refund_public_id,
            "merchant": merchant.id,
            "charge": charge.id,
            "amount": wanted,
            "fee": fee,
            "reason": reason,
            "terminal": terminal_id,
            "entry": entry_id,
            "at": at,
        },
    )
    refund = Refund(
        refund_public_id,
        charge.public_id,
        wanted,
        fee,
        reason,
        restored_lots(conn, coin_id=merchant.coin_id, entry_id=entry_id),
        entry_id,
        at,
    )
    record_event(
        conn,
        coin_id=merchant.coin_id,
        merchant_id=merchant.id,
        type_="charge.refunded",
        data={
            **refund.as_json(merchant.public_id),
            "charge": _refunded_charge_json(conn, merchant, charge, wanted),
        },
        at=at,
    )
    return refund


def _post(
    conn: Connection,
    *,
    merchant: Merchant,
    charge: Charge,
    amount: int,
    fee: int,
    refund: str,
    at: datetime,
) -> int:
    resident_account = conn.execute(
        text("SELECT account_id FROM wallets WHERE coin_id = :coin AND id = :id"),
        {"coin": charge.coin_id, "id": charge.wallet_id},
    ).scalar_one()
    legs = [credit(resident_account, amount, lot_entry_id=charge.entry_id)]
    if amount > fee:
        legs.append(debit(merchant.account_id, amount - fee))
    if fee:
        fees = standard_account(conn, coin_id=merchant.coin_id, code=Standard.REVENUE_FEES)
        legs.append(debit(fees.id, fee))
    posted = post_entry(
        conn,
        coin_id=merchant.coin_id,
        request=EntryRequest(
            KIND,
            legs,
            metadata={"refund": refund, "charge": charge.public_id, "merchant": merchant.public_id},
        ),
        posted_at=at,
    )
    return posted.entry_id


def _fee_refunded(conn: Connection, charge: Charge) -> int:
    fee_refunded: int = conn.execute(
        text("SELECT fee_refunded FROM charges WHERE coin_id = :coin AND id = :id"),
        {"coin": charge.coin_id, "id": charge.id},
    ).scalar_one()
    return fee_refunded


def _refunded_charge_json(
    conn: Connection, merchant: Merchant, charge: Charge, amount: int
) -> dict[str, Any]:
    body = charge.as_json(merchant.public_id, charge_customer_id(conn, merchant, charge))
    refunded = charge.refunded + amount
    body["refunded"] = refunded
    body["status"] = "refunded" if refunded == charge.amount else "partially_refunded"
    return body


# A lot (l) and what its movements (m) in one entry put back into it.
_RESTORED = RecordColumns(RestoredLot, kind=LotKind, amount=Column("sum(m.amount)::bigint"))


def restored_lots(conn: Connection, *, coin_id: int, entry_id: int) -> list[RestoredLot]:
    """The lots a refund entry credited, from the ledger's lot movements."""
    rows = conn.execute(
        text(
            f"SELECT {_RESTORED.select('l')} FROM lot_movements m"
            " JOIN lots l ON l.coin_id = m.coin_id AND l.id = m.lot_id"
            " WHERE m.coin_id = :coin AND m.entry_id = :entry AND m.amount > 0"
            " GROUP BY l.id, l.kind, l.expires_at"
            " ORDER BY CASE l.kind WHEN 'points' THEN 0 WHEN 'premium' THEN 1 ELSE 2 END,"
            " l.expires_at NULLS LAST"
        ),
        {"coin": coin_id, "entry": entry_id},
    ).all()
    return [_RESTORED.read(row) for row in rows]


_REFUND = RecordColumns(
    Refund,
    charge_public_id=Column(
        "(SELECT c.public_id FROM charges c WHERE c.coin_id = refunds.coin_id"
        " AND c.id = refunds.charge_id)"
    ),
    restored=GIVEN,
)


def _refund(conn: Connection, coin_id: int, row: Any) -> Refund:
    restored = restored_lots(conn, coin_id=coin_id, entry_id=row.entry_id)
    return _REFUND.read(row, restored=restored)


def find_refund(conn: Connection, *, merchant: Merchant, refund_public_id: str) -> Refund:
    """The merchant's own refund; another's is 404 ``refund_not_found``."""
    row = conn.execute(
        text(
            f"SELECT {_REFUND.sql} FROM refunds WHERE coin_id = :coin"
            " AND merchant_id = :merchant AND public_id = :pid"
        ),
        {"coin": merchant.coin_id, "merchant": merchant.id, "pid": refund_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.REFUND_NOT_FOUND, "no such refund for this merchant")
    return _refund(conn, merchant.coin_id, row)


def refunds_page(
    conn: Connection, *, merchant: Merchant, limit: int, starting_after: str | None
) -> tuple[list[Refund], bool]:
    """The merchant's refunds, newest first."""
    rows, has_more = page_of(
        conn,
        table="refunds",
        columns=_REFUND.sql,
        where="coin_id = :coin AND merchant_id = :merchant",
        params={"coin": merchant.coin_id, "merchant": merchant.id},
        limit=limit,
        starting_after=starting_after,
    )
    return [_refund(conn, merchant.coin_id, row) for row in rows], has_more
