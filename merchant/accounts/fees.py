"""Merchant fees: rates in basis points and their rounding.

A fee is an integer fixed when its transaction is posted, so every report
adds up. A payment's fee (the resident decides the amount) is rounded down
to the yen. A cash-out's and a BtoB transfer's (the merchant decides the
amount) are rounded up: rounded down, a merchant could split one cash-out of
¥10,000 into 161 of ¥62 and pay no fee at all; rounded up, no split pays less
in all than the whole would (the sum of the parts' ceilings is at least the
whole's), so splitting gains nothing.

A rate comes from, in order: the merchant's own override, the fee plan of its
member group (e.g. the chamber of commerce), the coin's standard plan.
"""

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, text

from ledger.records import RecordColumns
from merchant.accounts.merchants import Merchant

BP_PER_UNIT = 10_000


class FeeKind(StrEnum):
    PAYMENT = "payment"  # taken from each payment a resident makes (often 0)
    CASHOUT = "cashout"  # taken when coin is cashed out to yen (typically 1.5-1.8%)
    BTOB = "btob"  # taken from a merchant's transfer to another merchant (e.g. 0.5%)


@dataclass(frozen=True, slots=True)
class FeePlan:
    """A coin's rates for one member group ('' is the standard plan), in basis points."""

    coin_id: int
    member_group: str
    payment_bp: int
    cashout_bp: int
    btob_bp: int

    def rate(self, kind: FeeKind) -> int:
        return {
            FeeKind.PAYMENT: self.payment_bp,
            FeeKind.CASHOUT: self.cashout_bp,
            FeeKind.BTOB: self.btob_bp,
        }[kind]


FEE_PLAN = RecordColumns(FeePlan)

# The schemes in use: nothing at payment, 1.6% to cash out, 0.5% between shops.
STANDARD_RATES = {"payment_bp": 0, "cashout_bp": 160, "btob_bp": 50}


def fee_for(amount: int, rate_bp: int) -> int:
    """The fee on ``amount`` at ``rate_bp``, rounded down to the yen."""
    assert amount >= 0 and 0 <= rate_bp <= BP_PER_UNIT
    return amount * rate_bp // BP_PER_UNIT


def open_fee_plans(conn: Connection, *, coin_id: int) -> None:
    """The standard plan of a new coin."""
    conn.execute(
        text(
            "INSERT INTO fee_plans (coin_id, member_group, payment_bp, cashout_bp, btob_bp)"
            " VALUES (:coin, '', :payment_bp, :cashout_bp, :btob_bp)"
        ),
        {"coin": coin_id, **STANDARD_RATES},
    )


def get_fee_plan(conn: Connection, *, coin_id: int, member_group: str) -> FeePlan:
    row = conn.execute(
        text(
            f"SELECT {FEE_PLAN.sql} FROM fee_plans WHERE coin_id = :coin AND member_group = :group"
        ),
        {"coin": coin_id, "group": member_group},
    ).one()
    return FEE_PLAN.read(row)


def rate_for(conn: Connection, merchant: Merchant, kind: FeeKind) -> int:
    """The rate that applies to this merchant for this kind of fee."""
    override = merchant.fee_overrides.get(kind.value)
    if override is not None:
        return override
    return get_fee_plan(conn, coin_id=merchant.coin_id, member_group=merchant.member_group).rate(
        kind
    )


def fee_rounded_up(amount: int, rate_bp: int) -> int:
    """The fee on ``amount`` at ``rate_bp``, rounded up to the yen."""
    assert amount >= 0 and 0 <= rate_bp <= BP_PER_UNIT
    return -(-amount * rate_bp // BP_PER_UNIT)


# The kinds whose amount the merchant chooses, and could split to dodge a fee.
ROUNDED_UP = frozenset({FeeKind.CASHOUT, FeeKind.BTOB})


def merchant_fee(
    conn: Connection, merchant: Merchant, kind: FeeKind, amount: int, *, fee_min: int = 0
) -> int:
    """The merchant's fee on ``amount``; a cash-out or BtoB transfer pays at least
    ``fee_min`` (the coin's minimum fee) unless its rate is nothing at all."""
    rate = rate_for(conn, merchant, kind)
    if kind not in ROUNDED_UP:
        return fee_for(amount, rate)
    fee = fee_rounded_up(amount, rate)
    return max(fee, fee_min) if rate > 0 else fee
