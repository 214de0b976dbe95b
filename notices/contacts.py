"""Adding a contact: a one-time code sent to prove it, then checked.

An e-mail address gets its code by e-mail: reading it proves the mailbox. A
phone number gets its code through the resident's linked LINE (we send no
SMS): it proves the resident behind the wallet typed it, which is what a login
id needs, and it is one resident's login only once verified.

The code: six digits, alive CODE_TTL, ATTEMPTS_MAX wrong tries, and only its
HMAC under the server's key is stored (a plain hash of six digits is undone
in a second). A new code replaces the old; a verified contact stays until it
is replaced or removed.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from wallet_api.contact_logins import ContactKind, normalised

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
ATTEMPTS_MAX = 5


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(key: bytes, *, resident_id: int, kind: ContactKind, code: str) -> bytes:
    """Keyed to the resident and the kind too, so a code proves only what it was sent for."""
    message = f"{resident_id}|{kind.value}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class PendingContact:
    """Attributes:
    address: the normalised address the code proves.
    send_to: where the code goes: ``email`` to the address itself, ``line`` to
        the resident's linked LINE user (``line_user_id``).
    code: the code in clear, to be sent now and never stored.
    """

    kind: ContactKind
    address: str
    send_to: str
    line_user_id: str | None
    code: str
    expires_at: datetime


def start(
    conn: Connection, *, resident_id: int, kind: ContactKind, written: str, key: bytes, at: datetime
) -> PendingContact:
    """Stores the contact as unverified with a fresh code's HMAC; raises a Problem
    for an address that is not one, taken by someone else, or a phone without LINE."""
    address = normalised(kind, written)
    if address is None:
        raise Problem(Code.CONTACT_INVALID, f"not a {kind.value} this service can use")
    if _taken(conn, kind=kind, address=address, resident_id=resident_id):
        raise Problem(Code.CONTACT_TAKEN, f"another resident logs in with this {kind.value}")
    line_user_id = None
    if kind is ContactKind.PHONE:
        line_user_id = linked_line_user(conn, resident_id=resident_id)
        if line_user_id is None:
            raise Problem(Code.LINE_NOT_LINKED, "the code for a phone is sent through LINE")
    code = new_code()
    expires_at = at + CODE_TTL
    conn.execute(
        text(
            """
            INSERT INTO resident_contacts (resident_id, kind, address, verified_at, code_hash,
                                           code_expires_at, code_attempts, created_at)
            VALUES (:resident, :kind, :address, NULL, :hash, :expires, 0, :at)
            ON CONFLICT (resident_id, kind) DO UPDATE SET address = excluded.address,
                verified_at = NULL, code_hash = excluded.code_hash,
                code_expires_at = excluded.code_expires_at, code_attempts = 0,
                created_at = excluded.created_at
            """
        ),
        {
            "resident": resident_id,
            "kind": kind.value,
            "address": address,
            "hash": code_hash(key, resident_id=resident_id, kind=kind, code=code),
            "expires": expires_at,
            "at": at,
        },
    )
    send_to = "line" if kind is ContactKind.PHONE else "email"
    return PendingContact(kind, address, send_to, line_user_id, code, expires_at)


def verify(
    conn: Connection, *, resident_id: int, kind: ContactKind, code: str, key: bytes, at: datetime
) -> Problem | str:
    """The verified address, or the refusal: *returned*, because the count of wrong
    codes it updates must commit with it."""
    row = conn.execute(
        text(
            "SELECT address, code_hash, code_expires_at, code_attempts FROM resident_contacts"
            " WHERE resident_id = :resident AND kind = :kind AND verified_at IS NULL"
            " FOR NO KEY UPDATE"
        ),
        {"resident": resident_id, "kind": kind.value},
    ).one_or_none()
    if row is None or row.code_hash is None:
        return Problem(Code.CONTACT_NOT_FOUND, f"no {kind.value} is waiting for its code")
    if row.code_expires_at <= at or row.code_attempts >= ATTEMPTS_MAX:
        return Problem(Code.CODE_EXPIRED, "the code is no longer valid: ask for a new one")
    expected = code_hash(key, resident_id=resident_id, kind=kind, code=code)
    if not hmac.compare_digest(expected, bytes(row.code_hash)):
        conn.execute(
            text(
                "UPDATE resident_contacts SET code_attempts = code_attempts + 1"
                " WHERE resident_id = :resident AND kind = :kind"
            ),
            {"resident": resident_id, "kind": kind.value},
        )
        return Problem(Code.CODE_INCORRECT, "the code does not match")
    if _taken(conn, kind=kind, address=row.address, resident_id=resident_id):
        return Problem(Code.CONTACT_TAKEN, f"another resident verified this {kind.value} first")
    conn.execute(
        text(
            "UPDATE resident_contacts SET verified_at = :at, code_hash = NULL,"
            " code_expires_at = NULL, code_attempts = 0"
            " WHERE resident_id = :resident AND kind = :kind"
        ),
        {"at": at, "resident": resident_id, "kind": kind.value},
    )
    return str(row.address)


def remove(conn: Connection, *, resident_id: int, kind: ContactKind) -> bool:
    removed = conn.execute(
        text("DELETE FROM resident_contacts WHERE resident_id = :resident AND kind = :kind"),
        {"resident": resident_id, "kind": kind.value},
    ).rowcount
    return bool(removed)


def linked_line_user(conn: Connection, *, resident_id: int) -> str | None:
    found: str | None = conn.execute(
        text(
            "SELECT address FROM resident_contacts WHERE resident_id = :resident AND kind = 'line'"
        ),
        {"resident": resident_id},
    ).scalar_one_or_none()
    return found


def _taken(conn: Connection, *, kind: ContactKind, address: str, resident_id: int) -> bool:
    return bool(
        conn.execute(
            text(
                "SELECT 1 FROM resident_contacts WHERE kind = :kind AND address = :address"
                " AND verified_at IS NOT NULL AND resident_id <> :resident"
            ),
            {"kind": kind.value, "address": address, "resident": resident_id},
        ).first()
    )
