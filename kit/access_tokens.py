"""Residents' access tokens: random, short-lived, stored only as SHA-256, revocable.

A token reads ``lcr_<resident public id>_<secret>``: the resident part lets the
API scope idempotency keys to the person without a lookup, the secret carries
256 bits of randomness.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, text

PREFIX = "lcr_"


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    """Attributes:
    token: the secret, shown once.
    expires_at: when it stops working (UTC).
    """

    token: str
    expires_at: datetime


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def issue_access_token(
    conn: Connection, *, resident_id: int, resident_public_id: str, at: datetime, ttl: timedelta
) -> IssuedAccessToken:
    token = f"{PREFIX}{resident_public_id}_{secrets.token_urlsafe(32)}"
    expires_at = at + ttl
    conn.execute(
        text(
            "INSERT INTO access_tokens (token_hash, resident_id, created_at, expires_at)"
            " VALUES (:hash, :resident, :at, :expires)"
        ),
        {"hash": _digest(token), "resident": resident_id, "at": at, "expires": expires_at},
    )
    return IssuedAccessToken(token, expires_at)


def resident_of(conn: Connection, token: str, *, at: datetime) -> int | None:
    """The resident a live token belongs to, or None."""
    if not token.startswith(PREFIX):
        return None
    resident_id: int | None = conn.execute(
        text(
            "SELECT resident_id FROM access_tokens WHERE token_hash = :hash"
            " AND revoked_at IS NULL AND expires_at > :at"
        ),
        {"hash": _digest(token), "at": at},
    ).scalar_one_or_none()
    return resident_id


_NAMED = re.compile(r"^lcr_(res_[A-Za-z0-9]{16,32})_")


def public_id_in(token: str) -> str | None:
    """The resident public id a token names (unverified: for scoping only)."""
    named = _NAMED.match(token)
    return named.group(1) if named else None
