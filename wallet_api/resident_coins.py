"""Which coin a resident's request is about: the one named by its code, else the home coin.

One resident may hold wallets in several towns' coins; every balance, limit
and rule stays with the coin, so each call picks its coin first.
"""

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.coins import COIN, Coin, find_coin
from ledger.errors import LedgerError


def coin_by_code(conn: Connection, code: str) -> Coin:
    """The coin with that code, or 404 ``coin_not_found``."""
    try:
        return find_coin(conn, code)
    except LedgerError as error:
        raise Problem(Code.COIN_NOT_FOUND, error.detail) from error


def resident_coin(conn: Connection, *, resident_id: int, code: str | None) -> Coin:
    """The coin named by ``code``; None means the coin the resident signed up in."""
    if code is not None:
        return coin_by_code(conn, code)
    row = conn.execute(
        text(
            f"SELECT {COIN.select('c')} FROM residents r"
            " JOIN coins c ON c.id = r.home_coin_id WHERE r.id = :id"
        ),
        {"id": resident_id},
    ).one()
    return COIN.read(row)


def home_coin_id(conn: Connection, *, resident_public_id: str) -> int | None:
    """The id of the coin the resident signed up in; None if no resident has the id."""
    coin_id: int | None = conn.execute(
        text("SELECT home_coin_id FROM residents WHERE public_id = :p"),
        {"p": resident_public_id},
    ).scalar_one_or_none()
    return coin_id
