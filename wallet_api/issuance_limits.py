"""What bounds money creation beyond one wallet's caps: the municipality's points
budget and each key's daily issuance ceiling.

A leaked issuer key, or a colluding clerk, could otherwise mint without limit
through many small top-ups, each under every wallet's cap. The budget is a
ceiling on all points ever granted in the coin; the ceiling is per key and
Tokyo business day, over top-ups recorded and points granted by that key
(approved issuance counts to the key that asked for it).

Both are checked with a row lock held to the end of the transaction (the
coin's rules for the budget, the key for its ceiling), so concurrent grants or
top-ups take turns instead of both slipping under the line.
"""

from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.clock import business_date, end_of_business_date
from wallet_api.rules import CoinRules


def points_granted(conn: Connection, *, coin_id: int) -> int:
    """Points granted in the coin so far (all grants, expired or spent included)."""
    total: int = conn.execute(
        text("SELECT coalesce(sum(total), 0) FROM points_grants WHERE coin_id = :coin"),
        {"coin": coin_id},
    ).scalar_one()
    return total


def check_points_budget(conn: Connection, *, rules: CoinRules, total: int) -> None:
    """Refuses (422 ``points_budget_exceeded``) a grant of ``total`` that passes the budget."""
    budget = conn.execute(
        text("SELECT points_budget FROM coin_rules WHERE coin_id = :coin FOR UPDATE"),
        {"coin": rules.coin_id},
    ).scalar_one()
    if budget is None:
        return
    granted = points_granted(conn, coin_id=rules.coin_id)
    if granted + total > budget:
        raise Problem(
            Code.POINTS_BUDGET_EXCEEDED,
            f"the coin's points budget is {budget}; {granted} are granted, {total} more would"
            " pass it",
        )


def issued_today(conn: Connection, *, coin_id: int, key_id: int, at: datetime) -> int:
    """What the key issued on ``at``'s Tokyo business day: top-ups and points granted."""
    day = business_date(at)
    issued: int = conn.execute(
        text(
            "SELECT (SELECT coalesce(sum(amount), 0) FROM topups WHERE coin_id = :coin"
            "        AND recorded_by = :key AND business_date = :day)"
            "     + (SELECT coalesce(sum(total), 0) FROM points_grants WHERE coin_id = :coin"
            "        AND api_key_id = :key AND created_at >= :start AND created_at < :end)"
        ),
        {
            "coin": coin_id,
            "key": key_id,
            "day": day,
            "start": end_of_business_date(day - timedelta(days=1)),
            "end": end_of_business_date(day),
        },
    ).scalar_one()
    return issued


def check_daily_ceiling(
    conn: Connection, *, rules: CoinRules, key_id: int, amount: int, at: datetime
) -> None:
    """Refuses (422 ``issuance_ceiling_exceeded``) issuing ``amount`` more by the key today."""
    conn.execute(
        text("SELECT 1 FROM api_keys WHERE coin_id = :coin AND id = :key FOR NO KEY UPDATE"),
        {"coin": rules.coin_id, "key": key_id},
    )
    issued = issued_today(conn, coin_id=rules.coin_id, key_id=key_id, at=at)
    if issued + amount > rules.daily_issuance_max_per_key:
        raise Problem(
            Code.ISSUANCE_CEILING_EXCEEDED,
            f"a key issues at most {rules.daily_issuance_max_per_key} a day; this key issued"
            f" {issued} today",
        )
