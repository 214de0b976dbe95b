"""A merchant's stores and the terminals (tills, tablets, kiosks) in them.

Each terminal has its own API key, so a lost tablet is cut off alone: rotating
a terminal's key revokes every live key of the terminal and issues one new
key; disabling a terminal revokes its keys for good and no key is issued to it
again. The terminal's row is locked first, so two rotations at once leave one
live key, not two.

A store or terminal of another merchant (or coin) is not found, so nobody
learns it exists.

What a till's key may refund on its own is the merchant's to set
(``set_till_limits``): charges of the last ``till_refund_days`` days, at most
``till_refund_max`` at once; the database bounds both.

Refusal codes: store_not_found, terminal_not_found (404); terminal_disabled (409).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.credentials import Role, issue_key
from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.records import Column, RecordColumns
from merchant.accounts.merchants import Merchant


@dataclass(frozen=True, slots=True)
class Store:
    id: int
    public_id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Terminal:
    """Attributes:
    id: its id in the coin.
    public_id: its id in the API (``ter_…``).
    store_public_id: the store it stands in.
    name: what the merchant calls it ("レジ1").
    created_at: when it was added.
    disabled_at: when it was disabled, or None while it works.
    """

    id: int
    public_id: str
    store_public_id: str
    name: str
    created_at: datetime
    disabled_at: datetime | None


_STORE = RecordColumns(Store)


def open_store(conn: Connection, *, merchant: Merchant, name: str, at: datetime) -> Store:
    row = conn.execute(
        text(
            "INSERT INTO stores (coin_id, public_id, merchant_id, name, created_at)"
            f" VALUES (:coin, :pid, :merchant, :name, :at) RETURNING {_STORE.sql}"
        ),
        {
            "coin": merchant.coin_id,
            "pid": public_id("sto_"),
            "merchant": merchant.id,
            "name": name,
            "at": at,
        },
    ).one()
    return _STORE.read(row)


def find_store(conn: Connection, *, merchant: Merchant, store_public_id: str) -> Store:
    row = conn.execute(
        text(
            f"SELECT {_STORE.sql} FROM stores"
            " WHERE coin_id = :coin AND merchant_id = :merchant AND public_id = :pid"
        ),
        {"coin": merchant.coin_id, "merchant": merchant.id, "pid": store_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.STORE_NOT_FOUND, "no such store of this merchant")
    return _STORE.read(row)


def list_stores(
    conn: Connection, *, merchant: Merchant, limit: int, starting_after: str | None
) -> tuple[list[Store], bool]:
    """A page of the merchant's stores, newest first, and whether older ones follow."""
    after = None
    if starting_after is not None:
        after = find_store(conn, merchant=merchant, store_public_id=starting_after).id
    rows = conn.execute(
        text(
            f"SELECT {_STORE.sql} FROM stores"
            " WHERE coin_id = :coin AND merchant_id = :merchant"
            " AND (CAST(:after AS bigint) IS NULL OR id < :after) ORDER BY id DESC LIMIT :limit"
        ),
        {"coin": merchant.coin_id, "merchant": merchant.id, "after": after, "limit": limit + 1},
    ).all()
    return [_STORE.read(row) for row in rows[:limit]], len(rows) > limit


# A terminal (t) with its store's (s) public id; a new one is returned with the store's
# public id it was given.
_TERMINAL = RecordColumns(Terminal, store_public_id=Column("s.public_id"))
_NEW_TERMINAL = RecordColumns(Terminal, store_public_id=Column("CAST(:store_pid AS text)"))
_TERMINAL_COLUMNS = _TERMINAL.select("t")
_TERMINAL_FROM = (
    "terminals t JOIN stores s ON s.coin_id = t.coin_id AND s.id = t.store_id"
    " WHERE t.coin_id = :coin AND t.merchant_id = :merchant"
)


def open_terminal(
    conn: Connection, *, merchant: Merchant, store_public_id: str, name: str, at: datetime
) -> tuple[Terminal, str]:
    """A new terminal in one of the merchant's stores, and its key's secret (shown once)."""
    store = find_store(conn, merchant=merchant, store_public_id=store_public_id)
    row = conn.execute(
        text(
            "INSERT INTO terminals (coin_id, public_id, merchant_id, store_id, name, created_at)"
            " VALUES (:coin, :pid, :merchant, :store, :name, :at)"
            f" RETURNING {_NEW_TERMINAL.sql}"
        ),
        {
            "coin": merchant.coin_id,
            "pid": public_id("ter_"),
            "merchant": merchant.id,
            "store": store.id,
            "store_pid": store.public_id,
            "name": name,
            "at": at,
        },
    ).one()
    terminal = _NEW_TERMINAL.read(row)
    return terminal, _issue_terminal_key(conn, merchant=merchant, terminal=terminal, at=at)


def _issue_terminal_key(
    conn: Connection, *, merchant: Merchant, terminal: Terminal, at: datetime
) -> str:
    return issue_key(
        conn,
        coin_id=merchant.coin_id,
        role=Role.MERCHANT,
        at=at,
        label=f"terminal {terminal.public_id}",
        merchant_id=merchant.id,
        terminal_id=terminal.id,
    )


def find_terminal(
    conn: Connection, *, merchant: Merchant, terminal_public_id: str, lock: bool = False
) -> Terminal:
    row = conn.execute(
        text(
            f"SELECT {_TERMINAL_COLUMNS} FROM {_TERMINAL_FROM} AND t.public_id = :pid"
            + (" FOR UPDATE OF t" if lock else "")
        ),
        {"coin": merchant.coin_id, "merchant": merchant.id, "pid": terminal_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.TERMINAL_NOT_FOUND, "no such terminal of this merchant")
    return _TERMINAL.read(row)


def list_terminals(
    conn: Connection, *, merchant: Merchant, limit: int, starting_after: str | None
) -> tuple[list[Terminal], bool]:
    """A page of the merchant's terminals, newest first, and whether older ones follow."""
    after = None
    if starting_after is not None:
        after = find_terminal(conn, merchant=merchant, terminal_public_id=starting_after).id
    rows = conn.execute(
        text(
            f"SELECT {_TERMINAL_COLUMNS} FROM {_TERMINAL_FROM}"
            " AND (CAST(:after AS bigint) IS NULL OR t.id < :after) ORDER BY t.id DESC"
            " LIMIT :limit"
        ),
        {"coin": merchant.coin_id, "merchant": merchant.id, "after": after, "limit": limit + 1},
    ).all()
    return [_TERMINAL.read(row) for row in rows[:limit]], len(rows) > limit


def _revoke_terminal_keys(
    conn: Connection, *, merchant: Merchant, terminal_id: int, at: datetime
) -> None:
    conn.execute(
        text(
            "UPDATE api_keys SET revoked_at = :at WHERE coin_id = :coin AND merchant_id = :merchant"
            " AND terminal_id = :terminal AND revoked_at IS NULL"
        ),
        {"at": at, "coin": merchant.coin_id, "merchant": merchant.id, "terminal": terminal_id},
    )


def rotate_terminal_key(
    conn: Connection, *, merchant: Merchant, terminal_public_id: str, at: datetime
) -> tuple[Terminal, str]:
    """Revokes the terminal's live keys and returns it with one new key's secret."""
    terminal = find_terminal(
        conn, merchant=merchant, terminal_public_id=terminal_public_id, lock=True
    )
    if terminal.disabled_at is not None:
        raise Problem(Code.TERMINAL_DISABLED, "a disabled terminal gets no new key")
    _revoke_terminal_keys(conn, merchant=merchant, terminal_id=terminal.id, at=at)
    return terminal, _issue_terminal_key(conn, merchant=merchant, terminal=terminal, at=at)


def disable_terminal(
    conn: Connection, *, merchant: Merchant, terminal_public_id: str, at: datetime
) -> Terminal:
    """Disables the terminal and revokes its keys; a disabled terminal stays as it was."""
    terminal = find_terminal(
        conn, merchant=merchant, terminal_public_id=terminal_public_id, lock=True
    )
    if terminal.disabled_at is not None:
        return terminal
    conn.execute(
        text("UPDATE terminals SET disabled_at = :at WHERE coin_id = :coin AND id = :id"),
        {"at": at, "coin": merchant.coin_id, "id": terminal.id},
    )
    _revoke_terminal_keys(conn, merchant=merchant, terminal_id=terminal.id, at=at)
    return find_terminal(conn, merchant=merchant, terminal_public_id=terminal_public_id)


def set_till_limits(
    conn: Connection, *, merchant: Merchant, days: int | None, max_amount: int | None
) -> tuple[int, int]:
    """Sets what the merchant's tills may refund (None leaves a limit as it is);
    returns (days, max_amount) as they now stand."""
    row = conn.execute(
        text(
            "UPDATE merchants SET till_refund_days = coalesce(:days, till_refund_days),"
            " till_refund_max = coalesce(:max, till_refund_max)"
            " WHERE coin_id = :coin AND id = :id RETURNING till_refund_days, till_refund_max"
        ),
        {"days": days, "max": max_amount, "coin": merchant.coin_id, "id": merchant.id},
    ).one()
    return row.till_refund_days, row.till_refund_max
