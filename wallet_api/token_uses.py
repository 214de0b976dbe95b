"""Single use of payment tokens: the database refuses a second use.

A verified token is only half the check: whoever charges it records its use
here, in the same transaction as the charge. The use is the primary key
(coin_id, token_id) of ``payment_token_uses``, so of two terminals presenting
the same token at the same instant the second waits on the first's row and
then is refused (``token_used``); if the first rolls back, the second goes
through. Nothing in Python can race it.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from wallet_api.payment_tokens import TOKEN_ID_BYTES, Claims

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def record_token_use(
    conn: Connection,
    coin_id: int,
    token_id: bytes,
    *,
    wallet_id: int,
    expires_at: datetime,
    at: datetime,
) -> None:
    """Marks a token used, or raises 409 ``token_used`` if it was used before.

    ``expires_at`` is kept so that uses can be forgotten once the token could
    no longer verify anyway.
    """
    assert len(token_id) == TOKEN_ID_BYTES, "a token id is 16 bytes"
    inserted = conn.execute(
        text(
            "INSERT INTO payment_token_uses (coin_id, token_id, wallet_id, expires_at, used_at)"
            " VALUES (:coin, :token, :wallet, :expires, :at)"
            " ON CONFLICT (coin_id, token_id) DO NOTHING RETURNING 1"
        ),
        {"coin": coin_id, "token": token_id, "wallet": wallet_id, "expires": expires_at, "at": at},
    ).one_or_none()
    if inserted is None:
        raise Problem(Code.TOKEN_USED, "this payment token was used")


def record_claims_use(conn: Connection, claims: Claims, *, at: datetime) -> None:
    """``record_token_use`` for the claims of a verified token."""
    record_token_use(
        conn,
        claims.coin_id,
        claims.token_id,
        wallet_id=claims.wallet_id,
        expires_at=expires_at_of(claims),
        at=at,
    )


def expires_at_of(claims: Claims) -> datetime:
    """When a token stops verifying, as a UTC instant (integer seconds, no floats)."""
    return _EPOCH + timedelta(seconds=claims.expires_at)
