"""A merchant's API keys: its own (for the back office) and its terminals'.

A key is named in the API by ``key_`` and its prefix, the part of the secret
that finds its row and is no secret itself; the secret is shown once, when
the key is made, and never again.

A merchant may revoke any of its keys, its terminals' included, except the
one making the call: a merchant that wants to retire the key it is using
makes a new one first and revokes the old one with the new, so a slip never
locks it out of its own back office. Revoking a revoked key changes nothing.

Refusal codes: api_key_not_found (404); api_key_in_use (409).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.credentials import KEY_ID_PREFIX, ApiKey, Role, issue_key
from kit.errors import Code
from kit.problems import Problem
from ledger.records import Column, RecordColumns
from merchant.accounts.merchants import Merchant


@dataclass(frozen=True, slots=True)
class MerchantKeyInfo:
    """A key as the merchant sees it, without its secret.

    Attributes:
        id: the key's internal id.
        prefix: the non-secret part of the key that names it.
        label: the merchant's note on what it is for.
        terminal_public_id: the terminal the key belongs to, or None for the merchant's own.
        created_at: when it was made.
        revoked_at: when it was revoked, or None while it works.
    """

    id: int
    prefix: str
    label: str
    terminal_public_id: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def public_id(self) -> str:
        return KEY_ID_PREFIX + self.prefix


# A key (k) with its terminal's (t) public id.
_KEY = RecordColumns(MerchantKeyInfo, terminal_public_id=Column("t.public_id"))
_COLUMNS = _KEY.select("k")
_FROM = (
    "api_keys k LEFT JOIN terminals t ON t.coin_id = k.coin_id AND t.id = k.terminal_id"
    " WHERE k.coin_id = :coin AND k.merchant_id = :merchant"
)


def issue_merchant_key(conn: Connection, *, merchant: Merchant, label: str, at: datetime) -> str:
    """A new key of the merchant itself (not a terminal's); returns the secret."""
    return issue_key(
        conn,
        coin_id=merchant.coin_id,
        role=Role.MERCHANT,
        at=at,
        label=label,
        merchant_id=merchant.id,
    )


def key_prefix(secret: str) -> str:
    """The prefix of a key's secret (``lc_merchant_<prefix>_<secret>``)."""
    return secret.split("_")[2]


def find_merchant_key(
    conn: Connection, *, merchant: Merchant, key_public_id: str
) -> MerchantKeyInfo:
    prefix = key_public_id.removeprefix(KEY_ID_PREFIX)
    row = conn.execute(
        text(f"SELECT {_COLUMNS} FROM {_FROM} AND k.prefix = :prefix"),
        {"coin": merchant.coin_id, "merchant": merchant.id, "prefix": prefix},
    ).one_or_none()
    if row is None or not key_public_id.startswith(KEY_ID_PREFIX):
        raise Problem(Code.API_KEY_NOT_FOUND, "no such key of this merchant")
    return _KEY.read(row)


def list_merchant_keys(
    conn: Connection, *, merchant: Merchant, limit: int, starting_after: str | None
) -> tuple[list[MerchantKeyInfo], bool]:
    """A page of the merchant's keys, revoked ones included, newest first."""
    after = None
    if starting_after is not None:
        after = find_merchant_key(conn, merchant=merchant, key_public_id=starting_after).id
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM {_FROM}"
            " AND (CAST(:after AS bigint) IS NULL OR k.id < :after) ORDER BY k.id DESC"
            " LIMIT :limit"
        ),
        {"coin": merchant.coin_id, "merchant": merchant.id, "after": after, "limit": limit + 1},
    ).all()
    return [_KEY.read(row) for row in rows[:limit]], len(rows) > limit


def revoke_merchant_key(
    conn: Connection, *, merchant: Merchant, key_public_id: str, caller: ApiKey, at: datetime
) -> MerchantKeyInfo:
    """Revokes one of the merchant's keys, never the caller's own."""
    key = find_merchant_key(conn, merchant=merchant, key_public_id=key_public_id)
    if key.id == caller.id:
        raise Problem(
            Code.API_KEY_IN_USE,
            "a key cannot revoke itself; make a new key and revoke this one with it",
        )
    conn.execute(
        text(
            "UPDATE api_keys SET revoked_at = :at"
            " WHERE coin_id = :coin AND id = :id AND revoked_at IS NULL"
        ),
        {"at": at, "coin": merchant.coin_id, "id": key.id},
    )
    return find_merchant_key(conn, merchant=merchant, key_public_id=key_public_id)
