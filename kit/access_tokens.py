"""Residents' access tokens: random, short-lived, stored only as SHA-256, revocable.

A token reads ``lcr_<resident public id>_<secret>``: the resident part tells a
person reading logs whose token it was (it proves nothing: only the stored
hash does), the secret carries 256 bits of randomness.

A log-in names the device it comes from (a random id the wallet keeps) when it
can: a new token for a device ends that device's older ones. Whatever the
devices, a resident holds at most ``LIVE_TOKENS_MAX`` live tokens; a log-in past
it ends the oldest, so tokens left on forgotten or stolen phones do not pile up.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, text

PREFIX = "lcr_"
LIVE_TOKENS_MAX = 10


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
    conn: Connection,
    *,
    resident_id: int,
    resident_public_id: str,
    at: datetime,
    ttl: timedelta,
    device: str | None = None,
) -> IssuedAccessToken:
    """A new token; the device's older tokens, and the resident's oldest past the cap, end."""
    token = f"{PREFIX}{resident_public_id}_{secrets.token_urlsafe(32)}"
    expires_at = at + ttl
    if device is not None:
        conn.execute(
            text(
                "UPDATE access_tokens SET revoked_at = :at WHERE resident_id = :resident"
                " AND device = :device AND revoked_at IS NULL"
            ),
            {"resident": resident_id, "device": device, "at": at},
        )
    conn.execute(
        text(
            "UPDATE access_tokens SET revoked_at = :at WHERE token_hash IN ("
            " SELECT token_hash FROM access_tokens WHERE resident_id = :resident"
            " AND revoked_at IS NULL AND expires_at > :at"
            " ORDER BY issued DESC OFFSET :keep)"
        ),
        {"resident": resident_id, "at": at, "keep": LIVE_TOKENS_MAX - 1},
    )
    conn.execute(
        text(
            "INSERT INTO access_tokens (token_hash, resident_id, created_at, expires_at, device)"
            " VALUES (:hash, :resident, :at, :expires, :device)"
        ),
        {
            "hash": _digest(token),
            "resident": resident_id,
            "at": at,
            "expires": expires_at,
            "device": device,
        },
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


def revoke_token(conn: Connection, token: str, *, at: datetime) -> bool:
    """Ends one token (a log-out); True if it was live."""
    revoked = conn.execute(
        text(
            "UPDATE access_tokens SET revoked_at = :at"
            " WHERE token_hash = :hash AND revoked_at IS NULL"
        ),
        {"hash": _digest(token), "at": at},
    ).rowcount
    return bool(revoked)


def revoke_resident_tokens(
    conn: Connection, *, resident_id: int, at: datetime, keep: str | None = None
) -> int:
    """Ends every live token of the resident but ``keep`` (a PIN changed or reset)."""
    revoked: int = conn.execute(
        text(
            "UPDATE access_tokens SET revoked_at = :at"
            " WHERE resident_id = :resident AND revoked_at IS NULL AND expires_at > :at"
            " AND token_hash IS DISTINCT FROM :keep"
        ),
        {"resident": resident_id, "at": at, "keep": _digest(keep) if keep else None},
    ).rowcount
    return revoked
