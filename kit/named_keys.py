"""Named API keys: one per person or integration, listed, revoked and rotated.

A coin starts with one key per role; a bank gives each clerk and each
integration a key of their own instead, labelled with who holds it, so that
every action on record names a person and a leaver's key is revoked alone.

A key never makes or revokes a key above its own role (an issuer cannot mint
an operator key), and merchants' keys are the merchants' own business
(``/v1/merchant/...``): they are neither made, listed nor revoked here.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.credentials import KEY_ID_PREFIX, ApiKey, Role, issue_named_key
from kit.errors import Code
from kit.problems import Problem
from ledger.records import Column, RecordColumns

# What each role may hand out: its own rank and below.
_RANK = {Role.MUNICIPALITY: 1, Role.ISSUER: 2, Role.OPERATOR: 3}
NAMED_ROLES = tuple(_RANK)
LABEL_CHARS_MAX = 200


@dataclass(frozen=True, slots=True)
class NamedKey:
    """A key as its managers see it: never its secret, nor its hash.

    Attributes:
        public_id: ``key_<prefix>``; the prefix is also in the secret, after the role.
        role: what it may do.
        label: who or what holds it.
        created_at, expires_at, last_used_at, revoked_at: its life (last use to the hour).
        created_by, revoked_by: the public ids of the keys that made or revoked it
            (None at the command line).
    """

    public_id: str
    role: Role
    label: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by: str | None
    revoked_by: str | None


_NAMED = RecordColumns(
    NamedKey,
    public_id=Column(f"'{KEY_ID_PREFIX}' || k.prefix"),
    role=Column("k.role", Role),
    label=Column("k.label"),
    created_at=Column("k.created_at"),
    expires_at=Column("k.expires_at"),
    last_used_at=Column("k.last_used_at"),
    revoked_at=Column("k.revoked_at"),
    created_by=Column(f"'{KEY_ID_PREFIX}' || maker.prefix"),
    revoked_by=Column(f"'{KEY_ID_PREFIX}' || revoker.prefix"),
)

_FROM = (
    "FROM api_keys k"
    " LEFT JOIN api_keys maker ON maker.coin_id = k.coin_id AND maker.id = k.created_by"
    " LEFT JOIN api_keys revoker ON revoker.coin_id = k.coin_id AND revoker.id = k.revoked_by"
    " WHERE k.coin_id = :coin AND k.merchant_id IS NULL"
)


def may_manage(manager: Role, role: Role) -> bool:
    """Whether a key of role ``manager`` may make or revoke keys of ``role``."""
    return manager in _RANK and role in _RANK and _RANK[role] <= _RANK[manager]


def _check_rank(by: ApiKey | None, role: Role) -> None:
    if by is not None and not may_manage(by.role, role):
        raise Problem(Code.KEY_ROLE_NOT_ALLOWED, f"a {by.role} key cannot manage {role} keys")


def create_key(
    conn: Connection,
    *,
    coin_id: int,
    role: Role,
    label: str,
    at: datetime,
    expires_at: datetime | None = None,
    by: ApiKey | None = None,
) -> tuple[NamedKey, str]:
    """Makes a named key; returns it with its secret (shown this once). ``by`` is
    the key asking (None at the command line)."""
    if role not in _RANK:
        raise Problem(Code.KEY_ROLE_NOT_ALLOWED, "merchants' keys are made by the merchant")
    _check_rank(by, role)
    if not label.strip() or len(label) > LABEL_CHARS_MAX:
        raise Problem(Code.KEY_LABEL_INVALID, f"name who holds the key in 1 to {LABEL_CHARS_MAX}")
    if expires_at is not None and expires_at <= at:
        raise Problem(Code.KEY_EXPIRY_INVALID, "expires_at must be in the future")
    public_id, secret = issue_named_key(
        conn,
        coin_id=coin_id,
        role=role,
        at=at,
        label=label.strip(),
        expires_at=expires_at,
        created_by=None if by is None else by.id,
    )
    return get_key(conn, coin_id=coin_id, public_id=public_id), secret


def _prefix(public_id: str) -> str:
    # A string no prefix equals: the lookup then finds nothing, and says so.
    return public_id.removeprefix(KEY_ID_PREFIX) if public_id.startswith(KEY_ID_PREFIX) else ""


def get_key(conn: Connection, *, coin_id: int, public_id: str) -> NamedKey:
    row = conn.execute(
        text(f"SELECT {_NAMED.sql} {_FROM} AND k.prefix = :p"),
        {"coin": coin_id, "p": _prefix(public_id)},
    ).one_or_none()
    if row is None:
        raise Problem(Code.KEY_NOT_FOUND, "no such key in this coin")
    return _NAMED.read(row)


def list_keys(
    conn: Connection, *, coin_id: int, limit: int, starting_after: str | None = None
) -> tuple[list[NamedKey], bool]:
    """The coin's named keys, newest first, a page at a time; and whether more follow."""
    after = ""
    params: dict[str, object] = {"coin": coin_id, "limit": limit + 1}
    if starting_after is not None:
        params["after"] = conn.execute(
            text(f"SELECT k.id {_FROM} AND k.prefix = :p"),
            {"coin": coin_id, "p": _prefix(starting_after)},
        ).scalar_one_or_none()
        if params["after"] is None:
            raise Problem(Code.CURSOR_INVALID, "starting_after names no key of this coin")
        after = " AND k.id < :after"
    rows = conn.execute(
        text(f"SELECT {_NAMED.sql} {_FROM}{after} ORDER BY k.id DESC LIMIT :limit"), params
    ).all()
    return [_NAMED.read(row) for row in rows[:limit]], len(rows) > limit


def find_key_coin(conn: Connection, public_id: str) -> int:
    """The coin a named key belongs to (for the command line, which names no coin)."""
    coin_id: int | None = conn.execute(
        text("SELECT coin_id FROM api_keys WHERE prefix = :p AND merchant_id IS NULL"),
        {"p": _prefix(public_id)},
    ).scalar_one_or_none()
    if coin_id is None:
        raise Problem(Code.KEY_NOT_FOUND, "no such key")
    return coin_id


def revoke(
    conn: Connection, *, coin_id: int, public_id: str, at: datetime, by: ApiKey | None = None
) -> NamedKey:
    """Revokes the key from ``at`` on; a key already revoked stays as it was."""
    key = get_key(conn, coin_id=coin_id, public_id=public_id)
    _check_rank(by, key.role)
    conn.execute(
        text(
            "UPDATE api_keys SET revoked_at = :at, revoked_by = :by"
            " WHERE coin_id = :coin AND prefix = :p AND revoked_at IS NULL"
        ),
        {"at": at, "by": None if by is None else by.id, "coin": coin_id, "p": _prefix(public_id)},
    )
    return get_key(conn, coin_id=coin_id, public_id=public_id)


def rotate(
    conn: Connection, *, coin_id: int, public_id: str, at: datetime, by: ApiKey | None = None
) -> tuple[NamedKey, str]:
    """A new key for the same holder (role, label, expiry) and the old one revoked,
    in one transaction; returns the new key with its secret."""
    old = get_key(conn, coin_id=coin_id, public_id=public_id)
    if old.revoked_at is not None or (old.expires_at is not None and old.expires_at <= at):
        raise Problem(Code.KEY_NOT_LIVE, "a revoked or expired key is not rotated; make a new one")
    new = create_key(
        conn,
        coin_id=coin_id,
        role=old.role,
        label=old.label,
        at=at,
        expires_at=old.expires_at,
        by=by,
    )
    revoke(conn, coin_id=coin_id, public_id=public_id, at=at, by=by)
    return new
