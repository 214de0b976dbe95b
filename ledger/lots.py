"""Lots: the parts of a wallet's balance by kind and expiry.

A wallet that tracks lots holds money (bought with yen), premium (the bonus
part of a premium voucher) and points (free, from the city or as a top-up
bonus). A credit adds to the lot of its kind and expiry; a debit spends the
earliest-expiring lot first and, at equal expiry, points before premium before
money. The database keeps the lots in the same statement as the postings, so
the sum of a wallet's lots always equals its balance.

Expiry takes effect when the sweep runs (``expire_lots``): it moves what is
left of each lot past its date to breakage, except what active holds need.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, text

from ledger.records import RecordColumns


class LotKind(StrEnum):
    """What a lot of coin is, which fixes who paid for it and what it may do.

    money: bought with yen; transferable; reported as issued for value.
    premium: the bonus of a premium voucher, funded by the municipality.
    points: free points (行政ポイント, top-up bonus); never move between people.
    """

    MONEY = "money"
    PREMIUM = "premium"
    POINTS = "points"


@dataclass(frozen=True, slots=True)
class Lot:
    """Attributes:
    id: the lot's id in its coin.
    account_id: the wallet that holds it.
    kind: money, premium or points.
    expires_at: when what is left of it expires; None for never.
    remaining: what is left of it, in coin.
    """

    id: int
    account_id: int
    kind: LotKind
    expires_at: datetime | None
    remaining: int


_LOT = RecordColumns(Lot, kind=LotKind)


def open_lots(conn: Connection, *, coin_id: int, account_id: int) -> list[Lot]:
    """A wallet's lots with something left, in the order a debit spends them."""
    rows = conn.execute(
        text(
            f"SELECT {_LOT.sql} FROM lots"
            " WHERE coin_id = :coin AND account_id = :acc AND remaining > 0"
            " ORDER BY expires_at ASC NULLS LAST,"
            " CASE kind WHEN 'points' THEN 0 WHEN 'premium' THEN 1 ELSE 2 END, id"
        ),
        {"coin": coin_id, "acc": account_id},
    ).all()
    return [_LOT.read(row) for row in rows]


def totals_by_kind(lots: Sequence[Lot]) -> dict[LotKind, int]:
    totals = dict.fromkeys(LotKind, 0)
    for lot in lots:
        totals[lot.kind] += lot.remaining
    return totals


def kind_totals_as_of(conn: Connection, *, coin_id: int, at: datetime) -> dict[LotKind, int]:
    """What all lot-tracked wallets of a coin held by kind just before ``at``.

    Computed from the append-only lot movements, so later activity does not
    change it: the statutory unused-balance report rests on this.
    """
    rows = conn.execute(
        text(
            "SELECT l.kind, coalesce(sum(m.amount), 0)::bigint FROM lot_movements m"
            " JOIN lots l ON l.coin_id = m.coin_id AND l.id = m.lot_id"
            " WHERE m.coin_id = :coin AND m.posted_at < :at GROUP BY l.kind"
        ),
        {"coin": coin_id, "at": at},
    ).all()
    totals = dict.fromkeys(LotKind, 0)
    for kind, amount in rows:
        totals[LotKind(kind)] = amount
    return totals


@dataclass(frozen=True, slots=True)
class ExpiredLot:
    """Attributes:
    lot_id: the lot that expired.
    account_id: its wallet.
    amount: what moved to breakage.
    entry_id: the entry that moved it.
    """

    lot_id: int
    account_id: int
    amount: int
    entry_id: int
