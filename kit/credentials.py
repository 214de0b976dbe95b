"""API keys: random secrets shown once, stored only as SHA-256, scoped to one coin and role.

A key reads ``lc_<role>_<prefix>_<secret>``. The prefix finds the row; the
whole key is compared by hash in constant time. The secret carries 256 bits
of randomness, so a fast hash is enough (there is nothing to brute-force).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection, text

from ledger.records import RecordColumns

# How stale ``last_used_at`` may get: refreshing it on every request would be a
# write (and a row lock) on the busiest path; once an hour tells dormant keys apart.
LAST_USE_RESOLUTION = timedelta(hours=1)


# A key's public id is this and its prefix: the prefix is in the secret too, so the
# holder can tell which id is theirs, and it says nothing that helps forge one.
KEY_ID_PREFIX = "key_"


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
    expires_at: datetime | None = None,
    created_by: int | None = None,
) -> str:
    """Creates a key and returns its secret, which is never stored or shown again.

    A merchant key names its merchant, and a terminal's key its terminal too
    (the database refuses a merchant key without a merchant).
    """
    return issue_named_key(
        conn,
        coin_id=coin_id,
        role=role,
        at=at,
        label=label,
        merchant_id=merchant_id,
        terminal_id=terminal_id,
        expires_at=expires_at,
        created_by=created_by,
    )[1]


def issue_named_key(
    conn: Connection,
    *,
    coin_id: int,
    role: Role,
    at: datetime,
    label: str,
    merchant_id: int | None = None,
    terminal_id: int | None = None,
    expires_at: datetime | None = None,
    created_by: int | None = None,
) -> tuple[str, str]:
    """Like `issue_key`; returns the key's public id (``key_<prefix>``) with its secret."""
    prefix = secrets.token_hex(6)
    key = f"lc_{role.value}_{prefix}_{secrets.token_urlsafe(32)}"
    conn.execute(
        text(
            "INSERT INTO api_keys (coin_id, role, prefix, secret_hash, label, created_at,"
            " merchant_id, terminal_id, expires_at, created_by)"
            " VALUES (:coin, :role, :prefix, :hash, :label, :at, :merchant, :terminal,"
            " :expires_at, :created_by)"
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
            "expires_at": expires_at,
            "created_by": created_by,
        },
    )
    return KEY_ID_PREFIX + prefix, key


def authenticate(conn: Connection, key: str, *, at: datetime) -> ApiKey | None:
    """The live key behind a presented secret, or None (unknown, altered, revoked
    or expired). Notes the key's use when the last note is over an hour old."""
    parts = key.split("_")
    if len(parts) < 4 or parts[0] != "lc":
        return None
    row = conn.execute(
        text(
            f"SELECT {_API_KEY.sql}, secret_hash, last_used_at FROM api_keys"
            " WHERE prefix = :prefix AND revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > :at)"
        ),
        {"prefix": parts[2], "at": at},
    ).one_or_none()
    if row is None or not hmac.compare_digest(bytes(row.secret_hash), _digest(key)):
        return None
    if row.last_used_at is None or row.last_used_at <= at - LAST_USE_RESOLUTION:
        # SKIP LOCKED: the note is held until this request commits, and another
        # request of the key must not wait for it; one of them noting it is enough.
        conn.execute(
            text(
                "UPDATE api_keys SET last_used_at = :at WHERE (coin_id, id) IN ("
                " SELECT coin_id, id FROM api_keys WHERE coin_id = :coin AND id = :id"
                " AND (last_used_at IS NULL OR last_used_at <= :stale)"
                " FOR NO KEY UPDATE SKIP LOCKED)"
            ),
            {"at": at, "coin": row.coin_id, "id": row.id, "stale": at - LAST_USE_RESOLUTION},
        )
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
