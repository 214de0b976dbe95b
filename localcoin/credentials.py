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
    """

    coin_id: int
    id: int
    role: Role
    label: str


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def issue_key(conn: Connection, *, coin_id: int, role: Role, at: datetime, label: str = "") -> str:
    """Creates a key and returns its secret, which is never stored or shown again."""
    prefix = secrets.token_hex(6)
    key = f"lc_{role.value}_{prefix}_{secrets.token_urlsafe(32)}"
    conn.execute(
        text(
            "INSERT INTO api_keys (coin_id, role, prefix, secret_hash, label, created_at)"
            " VALUES (:coin, :role, :prefix, :hash, :label, :at)"
        ),
        {
            "coin": coin_id,
            "role": role.value,
            "prefix": prefix,
            "hash": _digest(key),
            "label": label,
            "at": at,
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
            "SELECT coin_id, id, role, label, secret_hash FROM api_keys"
            " WHERE prefix = :prefix AND revoked_at IS NULL"
        ),
        {"prefix": parts[2]},
    ).one_or_none()
    if row is None or not hmac.compare_digest(bytes(row[4]), _digest(key)):
        return None
    return ApiKey(row[0], row[1], Role(row[2]), row[3])


def revoke_key(conn: Connection, *, coin_id: int, key_id: int, at: datetime) -> bool:
    updated = conn.execute(
        text(
            "UPDATE api_keys SET revoked_at = :at"
            " WHERE coin_id = :coin AND id = :id AND revoked_at IS NULL"
        ),
        {"at": at, "coin": coin_id, "id": key_id},
    ).rowcount
    return bool(updated)
