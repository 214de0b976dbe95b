"""Coins: one regional currency each, a closed loop with its own books."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from ledger.errors import Code, LedgerError
from ledger.records import RecordColumns


@dataclass(frozen=True, slots=True)
class Coin:
    """A regional currency.

    Attributes:
        id: the coin's id; every key of the books starts with it.
        code: short upper-case code (``SARUBOBO``), unique in the deployment.
        name: the name residents see (さるぼぼコイン).
        issuer_name: the financial institution that issues it.
        created_at: when it was created (UTC).
    """

    id: int
    code: str
    name: str
    issuer_name: str
    created_at: datetime


COIN = RecordColumns(Coin)


def create_coin(conn: Connection, *, code: str, name: str, issuer_name: str, at: datetime) -> Coin:
    try:
        with conn.begin_nested():
            row = conn.execute(
                text(
                    "INSERT INTO coins (code, name, issuer_name, created_at)"
                    " VALUES (:code, :name, :issuer, :at)"
                    f" RETURNING {COIN.sql}"
                ),
                {"code": code, "name": name, "issuer": issuer_name, "at": at},
            ).one()
    except IntegrityError as error:
        if "coins_code_key" in str(error.orig):
            raise LedgerError(Code.COIN_EXISTS, f"a coin with code {code!r} exists") from error
        raise LedgerError(Code.KIND_INVALID, f"coin code or name invalid: {code!r}") from error
    return COIN.read(row)


def find_coin(conn: Connection, code: str) -> Coin:
    row = conn.execute(
        text(f"SELECT {COIN.sql} FROM coins WHERE code = :code"), {"code": code}
    ).one_or_none()
    if row is None:
        raise LedgerError(Code.COIN_NOT_FOUND, f"no coin with code {code!r}")
    return COIN.read(row)


def get_coin(conn: Connection, coin_id: int) -> Coin:
    """The coin with this id, which the caller knows exists (a key or a row names it)."""
    row = conn.execute(text(f"SELECT {COIN.sql} FROM coins WHERE id = :id"), {"id": coin_id}).one()
    return COIN.read(row)


def list_coins(conn: Connection) -> list[Coin]:
    rows = conn.execute(text(f"SELECT {COIN.sql} FROM coins ORDER BY id")).all()
    return [COIN.read(row) for row in rows]
