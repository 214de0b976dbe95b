"""The fee revenue statement (手数料収入) of a month, and how it is shared.

Read from the ledger, not from the charges or payouts tables: every posting
to revenue:fees made in the month (Asia/Tokyo dates) counts, credits as
revenue and debits (a fee given back with a refund, a returned cash-out) as
negatives, so the statement is net of fee refunds and equals the movement of
revenue:fees over the month to the yen.

The kind of fee follows the entry that posted it: ``payment`` and ``refund``
entries are payment fees (MDR), ``payout.*`` entries cash-out fees,
``btob*`` entries BtoB fees; anything else is ``other`` (so nothing is
hidden). The merchant is the entry's ``metadata.merchant`` (for BtoB, the
sender, who pays the fee).

The total is shared by the coin's rule (fee_sharing.py), adding up to the yen.

Refusals: ``month_invalid`` (422) for a month that is not ``YYYY-MM``.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.chart import Standard, standard_account
from ledger.clock import end_of_business_date
from settlement.fee_sharing import allocate, get_rule


class StatementKind(StrEnum):
    PAYMENT = "payment"
    CASHOUT = "cashout"
    BTOB = "btob"
    OTHER = "other"


def statement_kind(entry_kind: str) -> StatementKind:
    if entry_kind in ("payment", "refund") or entry_kind.startswith(("payment.", "refund.")):
        return StatementKind.PAYMENT
    if entry_kind.startswith("payout."):
        return StatementKind.CASHOUT
    if entry_kind == "btob" or entry_kind.startswith("btob."):
        return StatementKind.BTOB
    return StatementKind.OTHER


def parse_month(month: str) -> date:
    """The first day of a ``YYYY-MM`` month."""
    try:
        year, number = month.split("-")
        if len(year) != 4 or len(number) != 2:
            raise ValueError(month)
        return date(int(year), int(number), 1)
    except ValueError as error:
        raise Problem(Code.MONTH_INVALID, f"{month!r} is not a YYYY-MM month") from error


def month_bounds(first: date) -> tuple[datetime, datetime]:
    """The month's first and last instants as a half-open UTC range."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    start = end_of_business_date(first - timedelta(days=1))
    end = end_of_business_date(following - timedelta(days=1))
    return start, end


@dataclass(frozen=True, slots=True, kw_only=True)
class MerchantFees:
    """Attributes:
    merchant_id: the merchant's public id; None for fees no merchant paid.
    name: its name, when it is a merchant of the coin.
    by_kind: net fees in yen by statement kind.
    """

    merchant_id: str | None
    name: str | None
    by_kind: dict[StatementKind, int]

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyShare:
    """Attributes:
    party: an institution's bank code, or ``operator``.
    name: the institution's name (the operator's is ``operator``).
    share_bp: its share in basis points.
    amount: its yen of the month's total.
    """

    party: str
    name: str
    share_bp: int
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FeeStatement:
    """Attributes:
    month: the first day of the month.
    total: net fee revenue of the month, in yen.
    by_kind: the total by statement kind.
    merchants: fees by merchant, by public id.
    shares: the total shared by the rule; empty when the coin has no rule.
    """

    month: date
    total: int
    by_kind: dict[StatementKind, int]
    merchants: list[MerchantFees]
    shares: list[PartyShare]


def fee_statement(conn: Connection, *, coin_id: int, month: date) -> FeeStatement:
    start, end = month_bounds(month)
    fees = standard_account(conn, coin_id=coin_id, code=Standard.REVENUE_FEES)
    rows = conn.execute(
        text(
            "SELECT e.kind, e.metadata->>'merchant', m.name, -sum(p.amount)::bigint"
            " FROM postings p JOIN entries e ON e.coin_id = p.coin_id AND e.id = p.entry_id"
            " LEFT JOIN merchants m ON m.coin_id = e.coin_id"
            "  AND m.public_id = e.metadata->>'merchant'"
            " WHERE p.coin_id = :coin AND p.account_id = :fees"
            "   AND p.posted_at >= :start AND p.posted_at < :end"
            " GROUP BY 1, 2, 3"
        ),
        {"coin": coin_id, "fees": fees.id, "start": start, "end": end},
    ).all()
    by_merchant: dict[str | None, MerchantFees] = {}
    by_kind = dict.fromkeys(StatementKind, 0)
    for entry_kind, merchant, name, amount in rows:
        kind = statement_kind(entry_kind)
        line = by_merchant.setdefault(
            merchant,
            MerchantFees(merchant_id=merchant, name=name, by_kind=dict.fromkeys(StatementKind, 0)),
        )
        line.by_kind[kind] += amount
        by_kind[kind] += amount
    total = sum(by_kind.values())
    merchants = sorted(
        by_merchant.values(), key=lambda m: (m.merchant_id is None, m.merchant_id or "")
    )
    return FeeStatement(
        month=month,
        total=total,
        by_kind=by_kind,
        merchants=merchants,
        shares=_shares(conn, coin_id=coin_id, total=total),
    )


def _shares(conn: Connection, *, coin_id: int, total: int) -> list[PartyShare]:
    rule = get_rule(conn, coin_id=coin_id)
    if not rule:
        return []
    names: dict[str, str] = dict(
        conn.execute(
            text("SELECT bank_code, name FROM institutions WHERE coin_id = :coin"),
            {"coin": coin_id},
        ).all()
    )
    parts = allocate(total, rule)
    return [
        PartyShare(
            party=share.party,
            name=names.get(share.party, share.party),
            share_bp=share.share_bp,
            amount=parts[share.party],
        )
        for share in rule
    ]
