"""A resident's sessions: logging out, changing the PIN, and the counter's PIN reset.

- Log-out ends the token it is called with.
- Changing the PIN needs the current one (a wrong one counts toward the
  lockout, as at log-in); every other session ends, so a phone left logged in
  somewhere stops working.
- At the counter, after checking the resident's identity (a My Number card, a
  driving licence: the method is recorded, the document's number is not), the
  issuer sets a new PIN: the resident keeps wallet and balance, the lockout is
  lifted, every session ends.
"""

from datetime import datetime

from sqlalchemy import Connection, text

from kit.access_tokens import revoke_resident_tokens
from kit.errors import Code
from kit.problems import Problem
from wallet_api.pins import PinHasher
from wallet_api.residents import check_pin, find_resident, locked_problem


def change_pin(
    conn: Connection,
    *,
    resident_id: int,
    current_pin: str,
    new_pin: str,
    hasher: PinHasher,
    token: str,
    at: datetime,
) -> Problem | None:
    """None once changed; otherwise the refusal (returned: the failure count commits)."""
    refusal = check_pin(
        conn, resident_id=resident_id, pin=current_pin, hasher=hasher, at=at, via="pin_change"
    )
    if refusal is not None:
        if refusal.locked_until is not None:
            return locked_problem(refusal.locked_until)
        return Problem(Code.PIN_INCORRECT, "the current PIN does not match")
    _set_pin(conn, resident_id=resident_id, pin=new_pin, hasher=hasher)
    revoke_resident_tokens(conn, resident_id=resident_id, at=at, keep=token)
    return None


def reset_pin(
    conn: Connection,
    *,
    coin_id: int,
    resident_public_id: str,
    new_pin: str,
    checked_with: str,
    hasher: PinHasher,
    at: datetime,
) -> int:
    """The counter's reset after an identity check; returns how many sessions ended."""
    resident = find_resident(conn, resident_public_id)
    if resident.home_coin_id != coin_id:
        raise Problem(Code.RESIDENT_NOT_FOUND, "no such resident")
    _set_pin(conn, resident_id=resident.id, pin=new_pin, hasher=hasher)
    conn.execute(
        text(
            "INSERT INTO pin_resets (resident_id, coin_id, checked_with, reset_at)"
            " VALUES (:resident, :coin, :checked, :at)"
        ),
        {"resident": resident.id, "coin": coin_id, "checked": checked_with, "at": at},
    )
    return revoke_resident_tokens(conn, resident_id=resident.id, at=at)


def _set_pin(conn: Connection, *, resident_id: int, pin: str, hasher: PinHasher) -> None:
    conn.execute(
        text(
            "UPDATE residents SET pin_hash = :hash, failed_pin_count = 0, locked_until = NULL,"
            " till_failed_pin_count = 0, till_locked_until = NULL"
            " WHERE id = :id"
        ),
        {"hash": hasher.hash(pin), "id": resident_id},
    )
