"""LINE's account-linking flow: a LINE user ties itself to a resident's wallet.

1. The user writes to (or follows) the city's official account; our webhook
   asks LINE for a link token for that user and replies with a link to the
   wallet carrying it (``/?line_link=<token>``).
2. In the wallet, logged in, the resident opens the link: we make a nonce
   (only its SHA-256 kept, alive NONCE_TTL) and send the browser to LINE's
   dialog with the token and the nonce.
3. LINE sends us an ``accountLink`` event with the user id and the nonce;
   the nonce names the resident, is used once, and the LINE user id becomes
   the resident's ``line`` contact. A LINE user is linked to one wallet: a
   newer link moves it.

We never learn the resident's LINE profile, and LINE never learns who the
resident is: it only sees a nonce.
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem

NONCE_TTL = timedelta(minutes=10)
# LINE's link tokens are short URL-safe strings; anything else is not one.
_LINK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_LINE_USER_ID = re.compile(r"^U[0-9a-f]{32}$")


def is_line_user_id(value: str) -> bool:
    return _LINE_USER_ID.fullmatch(value) is not None


def start_link(
    conn: Connection, *, resident_id: int, link_token: str, access_base: str, at: datetime
) -> str:
    """The address of LINE's linking dialog for this resident."""
    if not _LINK_TOKEN.fullmatch(link_token):
        raise Problem(Code.LINK_TOKEN_INVALID, "not a LINE link token")
    nonce = secrets.token_urlsafe(24)
    conn.execute(text("DELETE FROM line_link_nonces WHERE expires_at <= :at"), {"at": at})
    conn.execute(
        text(
            "INSERT INTO line_link_nonces (nonce_hash, resident_id, expires_at)"
            " VALUES (:hash, :resident, :expires)"
        ),
        {"hash": _hash(nonce), "resident": resident_id, "expires": at + NONCE_TTL},
    )
    query = urlencode({"linkToken": link_token, "nonce": nonce})
    return f"{access_base.rstrip('/')}/dialog/bot/accountLink?{query}"


def complete_link(conn: Connection, *, line_user_id: str, nonce: str, at: datetime) -> int | None:
    """Links the LINE user to the resident the nonce names; None for an unknown,
    used or expired nonce (or a user id that is not LINE's)."""
    if not is_line_user_id(line_user_id):
        return None
    resident_id: int | None = conn.execute(
        text(
            "DELETE FROM line_link_nonces WHERE nonce_hash = :hash AND expires_at > :at"
            " RETURNING resident_id"
        ),
        {"hash": _hash(nonce), "at": at},
    ).scalar_one_or_none()
    if resident_id is None:
        return None
    conn.execute(
        text(
            "DELETE FROM resident_contacts WHERE kind = 'line' AND address = :user"
            " AND resident_id <> :resident"
        ),
        {"user": line_user_id, "resident": resident_id},
    )
    conn.execute(
        text(
            """
            INSERT INTO resident_contacts (resident_id, kind, address, verified_at, created_at)
            VALUES (:resident, 'line', :user, :at, :at)
            ON CONFLICT (resident_id, kind) DO UPDATE SET address = excluded.address,
                verified_at = excluded.verified_at
            """
        ),
        {"resident": resident_id, "user": line_user_id, "at": at},
    )
    return resident_id


def unlink_user(conn: Connection, *, line_user_id: str) -> None:
    """The user blocked the account: nothing we push reaches them any more."""
    conn.execute(
        text("DELETE FROM resident_contacts WHERE kind = 'line' AND address = :user"),
        {"user": line_user_id},
    )


def is_linked(conn: Connection, *, line_user_id: str) -> bool:
    return bool(
        conn.execute(
            text("SELECT 1 FROM resident_contacts WHERE kind = 'line' AND address = :user"),
            {"user": line_user_id},
        ).first()
    )


def _hash(nonce: str) -> bytes:
    return hashlib.sha256(nonce.encode()).digest()
