"""The issuer's chart of accounts, opened for every new coin.

Wallets (``wallet:resident:ID``, ``wallet:merchant:ID``) are opened by the
sides that create residents and merchants; these are the coin's own accounts.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection

from ledger.accounts import Account, AccountClass, find_account, open_account


class Standard(StrEnum):
    RESERVE_BANK = "reserve:bank"
    RECEIVABLE_CARD = "receivable:card"
    RECEIVABLE_MUNICIPALITY = "receivable:municipality"
    PAYABLE_PAYOUT = "payable:payout"
    REVENUE_FEES = "revenue:fees"
    REVENUE_BREAKAGE = "revenue:breakage"


@dataclass(frozen=True, slots=True)
class Spec:
    """Attributes:
    account_class: its class.
    allow_negative: may it go below zero?
    balance_slots: rows its balance is split over (hot accounts take many).
    """

    account_class: AccountClass
    allow_negative: bool
    balance_slots: int


CHART: dict[Standard, Spec] = {
    # The issuer's yen. It may dip below zero: a merchant cashing out coin that
    # was paid for by the city (points, premium) is paid before the city settles
    # its receivable.
    Standard.RESERVE_BANK: Spec(AccountClass.ASSET, allow_negative=True, balance_slots=16),
    Standard.RECEIVABLE_CARD: Spec(AccountClass.ASSET, allow_negative=False, balance_slots=8),
    Standard.RECEIVABLE_MUNICIPALITY: Spec(
        AccountClass.ASSET, allow_negative=False, balance_slots=8
    ),
    Standard.PAYABLE_PAYOUT: Spec(AccountClass.LIABILITY, allow_negative=False, balance_slots=1),
    Standard.REVENUE_FEES: Spec(AccountClass.REVENUE, allow_negative=False, balance_slots=16),
    Standard.REVENUE_BREAKAGE: Spec(AccountClass.REVENUE, allow_negative=False, balance_slots=1),
}


def open_chart(conn: Connection, *, coin_id: int, at: datetime) -> dict[Standard, Account]:
    return {
        code: open_account(
            conn,
            coin_id=coin_id,
            code=code.value,
            account_class=spec.account_class,
            allow_negative=spec.allow_negative,
            balance_slots=spec.balance_slots,
            at=at,
        )
        for code, spec in CHART.items()
    }


def standard_account(conn: Connection, *, coin_id: int, code: Standard) -> Account:
    return find_account(conn, coin_id=coin_id, code=code.value)
