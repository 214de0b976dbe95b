"""Setting a coin's fee plans and a merchant's own rates.

A plan is per member group ('' is the coin's standard plan) and is created or
replaced whole: three rates in basis points. A merchant's override is per
kind: a rate sets it, None clears it (back to its group's plan), a kind not
mentioned stays as it was. ``merchant.accounts.fees.rate_for`` reads them in the order
override > group > standard; fees already charged keep the rate they were
charged at (each fee is fixed when its transaction is posted).

Refusal codes: member_group_invalid (422). The database refuses rates
outside 0..10,000 as well; the API checks them first.
"""

import re

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from merchant.accounts.fees import FEE_PLAN, FeeKind, FeePlan
from merchant.accounts.merchants import Merchant, get_merchant

MEMBER_GROUP_PATTERN = re.compile(r"[a-z0-9_]{0,40}")


def list_fee_plans(conn: Connection, *, coin_id: int) -> list[FeePlan]:
    rows = conn.execute(
        text(f"SELECT {FEE_PLAN.sql} FROM fee_plans WHERE coin_id = :coin ORDER BY member_group"),
        {"coin": coin_id},
    ).all()
    return [FEE_PLAN.read(row) for row in rows]


def put_fee_plan(
    conn: Connection,
    *,
    coin_id: int,
    member_group: str,
    payment_bp: int,
    cashout_bp: int,
    btob_bp: int,
) -> tuple[FeePlan, bool]:
    """Creates or replaces a group's plan; returns it and whether it was created."""
    if not MEMBER_GROUP_PATTERN.fullmatch(member_group):
        raise Problem(
            Code.MEMBER_GROUP_INVALID,
            "member_group: up to 40 of a-z, 0-9 and _ ('' is the standard plan)",
        )
    row = conn.execute(
        text(
            "INSERT INTO fee_plans (coin_id, member_group, payment_bp, cashout_bp, btob_bp)"
            " VALUES (:coin, :group, :payment, :cashout, :btob)"
            " ON CONFLICT (coin_id, member_group) DO UPDATE SET payment_bp = EXCLUDED.payment_bp,"
            " cashout_bp = EXCLUDED.cashout_bp, btob_bp = EXCLUDED.btob_bp"
            f" RETURNING {FEE_PLAN.sql}, xmax = 0 AS created"
        ),
        {
            "coin": coin_id,
            "group": member_group,
            "payment": payment_bp,
            "cashout": cashout_bp,
            "btob": btob_bp,
        },
    ).one()
    return FEE_PLAN.read(row), bool(row.created)


def set_fee_overrides(
    conn: Connection, *, merchant: Merchant, overrides: dict[FeeKind, int | None]
) -> Merchant:
    """Sets (an int) or clears (None) the merchant's own rate for each kind given."""
    columns = {
        FeeKind.PAYMENT: "payment_bp",
        FeeKind.CASHOUT: "cashout_bp",
        FeeKind.BTOB: "btob_bp",
    }
    if overrides:
        assignments = ", ".join(f"{columns[kind]} = :{kind.value}" for kind in overrides)
        conn.execute(
            text(f"UPDATE merchants SET {assignments} WHERE coin_id = :coin AND id = :id"),
            {"coin": merchant.coin_id, "id": merchant.id}
            | {kind.value: bp for kind, bp in overrides.items()},
        )
    return get_merchant(conn, coin_id=merchant.coin_id, merchant_id=merchant.id)
