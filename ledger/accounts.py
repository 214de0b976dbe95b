"""Accounts of a coin's books and their balances."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from ledger.errors import Code, LedgerError
from ledger.records import Column, RecordColumns


class AccountClass(StrEnum):
    """The class of an account; it fixes the account's normal side.

    Assets and expenses grow with debits; liabilities, equity and revenue grow
    with credits. Balances are always reported on the normal side, so a wallet
    holding 500 coin shows 500, not -500.
    """

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    REVENUE = "revenue"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        return self in (AccountClass.ASSET, AccountClass.EXPENSE)


@dataclass(frozen=True, slots=True)
class Account:
    """One account of one coin.

    Attributes:
        coin_id: the coin whose books hold it.
        id: unique in the deployment; keys are (coin_id, id).
        code: the account's name in the chart (``wallet:resident:42``).
        account_class: asset, liability, equity, revenue or expense.
        allow_negative: may its balance go below zero? False for every wallet.
        tracks_lots: is its balance kept as lots of money, premium and points?
        balance_slots: rows its cached balance is split over (1 for most
            accounts; more for hot accounts that take many concurrent credits).
    """

    coin_id: int
    id: int
    code: str
    account_class: AccountClass
    allow_negative: bool
    tracks_lots: bool
    balance_slots: int


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's balance on its normal side, in coin.

    Attributes:
        posted: the sum of its postings.
        held: reserved by active holds, not yet captured or released.
        available: posted less held: what a debit may take now.
    """

    posted: int
    held: int

    @property
    def available(self) -> int:
        return self.posted - self.held


_ACCOUNT = RecordColumns(Account, account_class=Column("class", AccountClass))


def open_account(
    conn: Connection,
    *,
    coin_id: int,
    code: str,
    account_class: AccountClass,
    at: datetime,
    allow_negative: bool = False,
    tracks_lots: bool = False,
    balance_slots: int = 1,
) -> Account:
    """Opens an account; its balance rows are created with it, at zero."""
    assert 1 <= balance_slots <= 64, "balance_slots is 1..64"
    try:
        with conn.begin_nested():
            row = conn.execute(
                text(
                    "INSERT INTO accounts (coin_id, code, class, allow_negative, tracks_lots,"
                    " balance_slots, created_at) VALUES (:coin, :code, :cls, :neg, :lots,"
                    f" :slots, :at) RETURNING {_ACCOUNT.sql}"
                ),
                {
                    "coin": coin_id,
                    "code": code,
                    "cls": account_class.value,
                    "neg": allow_negative,
                    "lots": tracks_lots,
                    "slots": balance_slots,
                    "at": at,
                },
            ).one()
    except IntegrityError as error:
        name = getattr(error.orig, "diag", None)
        constraint = name.constraint_name if name is not None else None
        if constraint == "accounts_coin_id_code_key":
            raise LedgerError(Code.ACCOUNT_EXISTS, f"account {code!r} exists") from error
        if constraint == "accounts_coin_id_fkey":
            raise LedgerError(Code.COIN_NOT_FOUND, f"no coin {coin_id}") from error
        raise LedgerError(Code.KIND_INVALID, f"account {code!r} refused: {error.orig}") from error
    return _ACCOUNT.read(row)


def open_accounts(
    conn: Connection,
    *,
    coin_id: int,
    codes: list[str],
    account_class: AccountClass,
    at: datetime,
    tracks_lots: bool = False,
) -> list[int]:
    """Opens many accounts of one class in one statement (an import of many wallets);
    returns their ids in the order of ``codes``. A code taken already refuses them all."""
    try:
        with conn.begin_nested():
            rows = conn.execute(
                text(
                    "INSERT INTO accounts (coin_id, code, class, allow_negative, tracks_lots,"
                    " balance_slots, created_at) SELECT :coin, code, :cls, false, :lots, 1, :at"
                    " FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY AS c(code, n)"
                    " ORDER BY n RETURNING id, code"
                ),
                {
                    "coin": coin_id,
                    "codes": codes,
                    "cls": account_class.value,
                    "lots": tracks_lots,
                    "at": at,
                },
            ).all()
    except IntegrityError as error:
        raise LedgerError(Code.ACCOUNT_EXISTS, "an account of these codes exists") from error
    ids = {row.code: row.id for row in rows}
    return [ids[code] for code in codes]


def get_account(conn: Connection, *, coin_id: int, account_id: int) -> Account:
    row = conn.execute(
        text(f"SELECT {_ACCOUNT.sql} FROM accounts WHERE coin_id = :coin AND id = :id"),
        {"coin": coin_id, "id": account_id},
    ).one_or_none()
    if row is None:
        raise LedgerError(Code.ACCOUNT_NOT_FOUND, f"no account {account_id} in coin {coin_id}")
    return _ACCOUNT.read(row)


def find_account(conn: Connection, *, coin_id: int, code: str) -> Account:
    row = conn.execute(
        text(f"SELECT {_ACCOUNT.sql} FROM accounts WHERE coin_id = :coin AND code = :code"),
        {"coin": coin_id, "code": code},
    ).one_or_none()
    if row is None:
        raise LedgerError(Code.ACCOUNT_NOT_FOUND, f"no account {code!r} in coin {coin_id}")
    return _ACCOUNT.read(row)


def get_balance(conn: Connection, *, coin_id: int, account_id: int) -> Balance:
    row = conn.execute(
        text(
            "SELECT sum(posted)::bigint, sum(held)::bigint FROM account_balances"
            " WHERE coin_id = :coin AND account_id = :id"
        ),
        {"coin": coin_id, "id": account_id},
    ).one()
    if row[0] is None:
        raise LedgerError(Code.ACCOUNT_NOT_FOUND, f"no account {account_id} in coin {coin_id}")
    return Balance(posted=row[0], held=row[1])


def get_balances(conn: Connection, *, coin_id: int, account_ids: list[int]) -> dict[int, Balance]:
    rows = conn.execute(
        text(
            "SELECT account_id, sum(posted)::bigint, sum(held)::bigint FROM account_balances"
            " WHERE coin_id = :coin AND account_id = ANY(:ids) GROUP BY account_id"
        ),
        {"coin": coin_id, "ids": account_ids},
    ).all()
    return {row[0]: Balance(posted=row[1], held=row[2]) for row in rows}


def sum_balances(conn: Connection, *, coin_id: int, code_prefix: str) -> int:
    """The summed posted balance of every account whose code starts with the prefix."""
    assert code_prefix and "%" not in code_prefix and "_" not in code_prefix.replace(":", "")
    total: int = conn.execute(
        text(
            "SELECT coalesce(sum(b.posted), 0)::bigint FROM accounts a JOIN account_balances b"
            " ON b.coin_id = a.coin_id AND b.account_id = a.id"
            " WHERE a.coin_id = :coin AND starts_with(a.code, :prefix)"
        ),
        {"coin": coin_id, "prefix": code_prefix},
    ).scalar_one()
    return total
