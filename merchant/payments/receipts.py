"""The receipt a counter hands the resident: who was paid, at which window, how much, when.

A city hall counter (窓口) is a merchant whose stores are its departments and
whose terminals are its windows. The receipt carries what a resident needs to
show later: the payee (the city) and its department and window, the amount
and what was refunded of it, the time in Tokyo, the coin and its issuer, and
the receipt number, which is the charge's id (unique, and the number a clerk
looks the payment up by).

A terminal's key reads receipts of its own charges only: a till prints what
it took, not what the other windows took.

Refusal codes: charge_not_found (404); terminal_key_not_allowed (403).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.clock import BUSINESS_TZ
from ledger.coins import get_coin
from merchant.accounts.merchant_auth import MerchantCaller
from merchant.payments.charges import find_charge


@dataclass(frozen=True, slots=True)
class Receipt:
    number: str  # the charge's public id
    payee: str  # the merchant: the city, for a counter
    department: str | None  # the store the window stands in
    window: str | None  # the terminal that took it
    amount: int
    refunded: int
    paid_at: datetime  # Tokyo time
    coin_name: str
    issuer_name: str
    reference: str | None  # what the clerk entered (e.g. 住民票の写し 1通)


def receipt(conn: Connection, *, caller: MerchantCaller, charge_public_id: str) -> Receipt:
    merchant = caller.merchant
    charge = find_charge(
        conn,
        coin_id=merchant.coin_id,
        merchant_id=merchant.id,
        charge_public_id=charge_public_id,
        for_update=False,
    )
    if caller.terminal_id is not None and charge.terminal_id != caller.terminal_id:
        raise Problem(
            Code.TERMINAL_KEY_NOT_ALLOWED, "a terminal prints receipts of its own charges only"
        )
    place = conn.execute(
        text(
            "SELECT s.name AS department, t.name AS window FROM terminals t"
            " JOIN stores s ON s.coin_id = t.coin_id AND s.id = t.store_id"
            " WHERE t.coin_id = :coin AND t.id = :terminal"
        ),
        {"coin": charge.coin_id, "terminal": charge.terminal_id},
    ).one_or_none()
    coin = get_coin(conn, charge.coin_id)
    return Receipt(
        number=charge.public_id,
        payee=merchant.name,
        department=place.department if place else None,
        window=place.window if place else None,
        amount=charge.amount,
        refunded=charge.refunded,
        paid_at=charge.created_at.astimezone(BUSINESS_TZ),
        coin_name=coin.name,
        issuer_name=coin.issuer_name,
        reference=charge.reference,
    )
