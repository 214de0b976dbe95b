"""API keys: random secrets shown once, stored only as SHA-256, scoped to one coin and role.

A key reads ``lc_<role>_<prefix>_<secret>``. The prefix finds the row; the
whole key is compared by hash in constant time. The secret carries 256 bits
of randomness, so a fast hash is enough (there is nothing to brute-force).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, text

from ledger.records import RecordColumns


class Role(StrEnum):
    OPERATOR = "operator"
    ISSUER = "issuer"
    MUNICIPALITY = "municipality"
    MERCHANT = "merchant"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """Attributes:
    coin_id: the coin the key may act on, and no other.
    id: the key's id.
    role: what the key may do.
    label: the operator's note on what the key is for.
    merchant_id: for a merchant key, the merchant it acts for (None otherwise).
    terminal_id: for a terminal's key, the terminal (None for the merchant's own keys).
    """

    coin_id: int
    id: int
    role: Role
    label: str
    merchant_id: int | None = None
    terminal_id: int | None = None


_API_KEY = RecordColumns(ApiKey, role=Role)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def issue_key(
    conn: Connection,
    *,
    coin_id: int,
    role: Role,
    at: datetime,
    label: str = "",
    merchant_id: int | None = None,
    terminal_id: int | None = None,
) -> str:
    """Creates a key and returns its secret, which is never stored or shown again.

    A merchant key names its merchant, and a terminal's key its terminal too
    (the database refuses a merchant key without a merchant).
    """
    prefix = secrets.token_hex(6)
    key = f"lc_{role.value}_{prefix}_{secrets.token_urlsafe(32)}"
    conn.execute(
        text(
            "INSERT INTO api_keys (coin_id, role, prefix, secret_hash, label, created_at,"
            " merchant_id, terminal_id)"
            " VALUES (:coin, :role, :prefix, :hash, :label, :at, :merchant, :terminal)"
        ),
        {
            "coin": coin_id,
            "role": role.value,
            "prefix": prefix,
            "hash": _digest(key),
            "label": label,
            "at": at,
            "merchant": merchant_id,
            "terminal": terminal_id,
        },
    )
    return key


def authenticate(conn: Connection, key: str) -> ApiKey | None:
    """The live key behind a presented secret, or None."""
    parts = key.split("_")
    if len(parts) < 4 or parts[0] != "lc":
        return None
    row = conn.execute(
        text(
            f"SELECT {_API_KEY.sql}, secret_hash FROM api_keys"
            " WHERE prefix = :prefix AND revoked_at IS NULL"
        ),
        {"prefix": parts[2]},
    ).one_or_none()
    if row is None or not hmac.compare_digest(bytes(row.secret_hash), _digest(key)):
        return None
    return _API_KEY.read(row)


def revoke_key(conn: Connection, *, coin_id: int, key_id: int, at: datetime) -> bool:
    updated = conn.execute(
        text(
            "UPDATE api_keys SET revoked_at = :at"
            " WHERE coin_id = :coin AND id = :id AND revoked_at IS NULL"
        ),
        {"at": at, "coin": coin_id, "id": key_id},
    ).rowcount
    return bool(updated)


def revoke_labelled(
    conn: Connection, *, coin_id: int, labels: tuple[str, ...], at: datetime
) -> int:
    """Revokes the coin's live keys carrying any of these labels, terminals' keys
    excepted; returns how many."""
    revoked: int = conn.execute(
        text(
            "UPDATE api_keys SET revoked_at = :at WHERE coin_id = :coin AND revoked_at IS NULL"
            " AND terminal_id IS NULL AND label = ANY(:labels)"
        ),
        {"at": at, "coin": coin_id, "labels": list(labels)},
    ).rowcount
    return revoked
