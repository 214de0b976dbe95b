"""What a resident sees of a wallet: the balance split by kind, with expiry dates."""

from dataclasses import dataclass

from sqlalchemy import Connection

from ledger.accounts import get_balance
from ledger.lots import Lot, LotKind, open_lots, totals_by_kind


@dataclass(frozen=True, slots=True)
class WalletBalance:
    """Attributes:
    total: everything in the wallet (posted).
    held: reserved by holds (deposits awaiting capture).
    available: what a payment may take now (total less held).
    money, premium, points: the total by kind.
    lots: each part with its kind and expiry, in the order payments spend them.
    """

    total: int
    held: int
    available: int
    money: int
    premium: int
    points: int
    lots: tuple[Lot, ...]

    def expiring(self) -> list[dict[str, object]]:
        return [
            {
                "kind": lot.kind.value,
                "amount": lot.remaining,
                "expires_at": lot.expires_at.isoformat() if lot.expires_at else None,
            }
            for lot in self.lots
        ]


def wallet_balance(conn: Connection, *, coin_id: int, account_id: int) -> WalletBalance:
    balance = get_balance(conn, coin_id=coin_id, account_id=account_id)
    lots = tuple(open_lots(conn, coin_id=coin_id, account_id=account_id))
    kinds = totals_by_kind(lots)
    return WalletBalance(
        total=balance.posted,
        held=balance.held,
        available=balance.available,
        money=kinds[LotKind.MONEY],
        premium=kinds[LotKind.PREMIUM],
        points=kinds[LotKind.POINTS],
        lots=lots,
    )
