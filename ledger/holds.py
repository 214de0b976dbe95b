"""Holds: two-phase payments (a booking deposit, a payment intent awaiting capture).

Placing a hold reserves coin on an account: its available balance falls, its
posted balance does not. The hold is then captured (all or part, in one
entry; the rest is released), voided, or expires by itself at its deadline.
The database refuses a hold larger than the available balance: a hold raises
``held`` on the account's slot 0 after ``ledger_gather_slots`` (in
ledger/sql/balance_triggers/) has gathered a split account there, and the
balance row's CHECK does the rest.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from ledger.entries import (
    EntryRequest,
    Leg,
    PostedEntry,
    credit,
    debit,
    lock_balances,
    post_entry,
)
from ledger.errors import Code, LedgerError, translate_db_error
from ledger.idempotency import check_key, request_hash
from ledger.limits import AMOUNT_MAX, HOLD_TTL_S_MAX
from ledger.records import GIVEN, RecordColumns


class HoldStatus(StrEnum):
    ACTIVE = "active"
    CAPTURED = "captured"
    VOIDED = "voided"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Hold:
    """Attributes:
    coin_id, id: its key.
    account_id: the account whose coin it reserves.
    amount: what it reserves, in coin.
    status: active, captured, voided or expired.
    created_at: when it was placed (UTC).
    expires_at: when an active hold releases itself.
    closed_at: when it stopped being active; None while active.
    captured_amount: what the capture took; None unless captured.
    capture_entry_id: the entry of the capture; None unless captured.
    replayed: True when this answer repeats an earlier call with the same key.
    """

    coin_id: int
    id: int
    account_id: int
    amount: int
    status: HoldStatus
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    captured_amount: int | None
    capture_entry_id: int | None
    replayed: bool = False


_HOLD = RecordColumns(Hold, status=HoldStatus, replayed=GIVEN)


def get_hold(conn: Connection, *, coin_id: int, hold_id: int, for_update: bool = False) -> Hold:
    lock = " FOR NO KEY UPDATE" if for_update else ""
    row = conn.execute(
        text(f"SELECT {_HOLD.sql} FROM holds WHERE coin_id = :coin AND id = :id{lock}"),
        {"coin": coin_id, "id": hold_id},
    ).one_or_none()
    if row is None:
        raise LedgerError(Code.HOLD_NOT_FOUND, f"no hold {hold_id} in coin {coin_id}")
    return _HOLD.read(row)


def place_hold(
    conn: Connection,
    *,
    coin_id: int,
    account_id: int,
    amount: int,
    at: datetime,
    ttl: timedelta,
    idempotency_key: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Hold:
    """Reserves ``amount`` of the account's available balance until ``at + ttl``."""
    if type(amount) is not int or amount <= 0:
        raise LedgerError(Code.AMOUNT_MUST_BE_POSITIVE, "a hold reserves a positive integer")
    if amount > AMOUNT_MAX:
        raise LedgerError(Code.AMOUNT_EXCEEDS_MAX, f"a hold reserves at most {AMOUNT_MAX}")
    if not (timedelta(0) < ttl <= timedelta(seconds=HOLD_TTL_S_MAX)):
        raise LedgerError(Code.HOLD_TTL_INVALID, f"a hold lasts up to {HOLD_TTL_S_MAX} s")
    check_key(idempotency_key)
    fingerprint = (
        request_hash({"account_id": account_id, "amount": amount, "ttl_s": ttl.total_seconds()})
        if idempotency_key is not None
        else None
    )
    row = conn.execute(
        text(
            "INSERT INTO holds (coin_id, account_id, amount, status, created_at, expires_at,"
            " idempotency_key, request_hash, metadata) VALUES (:coin, :acc, :amount, 'active',"
            " :at, :expires, :key, :hash, CAST(:meta AS jsonb))"
            " ON CONFLICT (coin_id, idempotency_key) WHERE idempotency_key IS NOT NULL"
            f" DO NOTHING RETURNING {_HOLD.sql}"
        ),
        {
            "coin": coin_id,
            "acc": account_id,
            "amount": amount,
            "at": at,
            "expires": at + ttl,
            "key": idempotency_key,
            "hash": fingerprint,
            "meta": _json(metadata),
        },
    ).one_or_none()
    if row is None:
        return _replayed_hold(conn, coin_id, idempotency_key, fingerprint)
    hold = _HOLD.read(row)
    _change_held(conn, coin_id=coin_id, account_id=account_id, delta=amount)
    return hold


def _replayed_hold(
    conn: Connection, coin_id: int, key: str | None, fingerprint: bytes | None
) -> Hold:
    row = conn.execute(
        text(
            f"SELECT {_HOLD.sql}, request_hash FROM holds"
            " WHERE coin_id = :coin AND idempotency_key = :key"
        ),
        {"coin": coin_id, "key": key},
    ).one()
    if bytes(row.request_hash) != fingerprint:
        raise LedgerError(
            Code.IDEMPOTENCY_KEY_REUSED, f"idempotency key {key!r} was used for another hold"
        )
    return _HOLD.read(row, replayed=True)


def _change_held(conn: Connection, *, coin_id: int, account_id: int, delta: int) -> None:
    try:
        conn.execute(
            text(
                "SELECT ledger_gather_slots(:coin, :acc) FROM accounts"
                " WHERE coin_id = :coin AND id = :acc AND balance_slots > 1"
            ),
            {"coin": coin_id, "acc": account_id},
        )
        updated = conn.execute(
            text(
                "UPDATE account_balances SET held = held + :delta"
                " WHERE coin_id = :coin AND account_id = :acc AND slot = 0"
            ),
            {"coin": coin_id, "acc": account_id, "delta": delta},
        ).rowcount
    except DBAPIError as error:
        translated = translate_db_error(error)
        raise (translated or error) from error
    if updated != 1:
        raise LedgerError(Code.ACCOUNT_NOT_FOUND, f"no account {account_id} in coin {coin_id}")


def _close(conn: Connection, hold: Hold, status: HoldStatus, at: datetime) -> Hold:
    _change_held(conn, coin_id=hold.coin_id, account_id=hold.account_id, delta=-hold.amount)
    row = conn.execute(
        text(
            "UPDATE holds SET status = :status, closed_at = :at"
            f" WHERE coin_id = :coin AND id = :id RETURNING {_HOLD.sql}"
        ),
        {"status": status.value, "at": at, "coin": hold.coin_id, "id": hold.id},
    ).one()
    return _HOLD.read(row)


def _active(conn: Connection, coin_id: int, hold_id: int, at: datetime) -> Hold:
    hold = get_hold(conn, coin_id=coin_id, hold_id=hold_id, for_update=True)
    if hold.status is not HoldStatus.ACTIVE:
        raise LedgerError(Code.HOLD_NOT_ACTIVE, f"hold {hold_id} is {hold.status}")
    if hold.expires_at <= at:
        raise LedgerError(Code.HOLD_EXPIRED, f"hold {hold_id} expired at {hold.expires_at}")
    return hold


def capture_hold(
    conn: Connection,
    *,
    coin_id: int,
    hold_id: int,
    to_account_id: int,
    at: datetime,
    amount: int | None = None,
    kind: str = "hold.capture",
    extra_legs: tuple[Leg, ...] = (),
    metadata: Mapping[str, Any] | None = None,
) -> tuple[Hold, PostedEntry]:
    """Takes ``amount`` (default: all) of an active hold into ``to_account_id``.

    One entry moves the captured coin; whatever the capture leaves is released.
    ``extra_legs`` let the caller split the credit (a fee to revenue): they are
    added to the entry, which must still balance.
    """
    hold = _active(conn, coin_id, hold_id, at)
    take = hold.amount if amount is None else amount
    if type(take) is not int or take <= 0:
        raise LedgerError(Code.AMOUNT_MUST_BE_POSITIVE, "a capture takes a positive integer")
    if take > hold.amount:
        raise LedgerError(
            Code.CAPTURE_EXCEEDS_HOLD, f"hold {hold_id} reserves {hold.amount}, not {take}"
        )
    legs = (debit(hold.account_id, take), credit(to_account_id, take), *extra_legs)
    lock_balances(conn, coin_id=coin_id, legs=legs)
    # Released first so that the capture's debit sees the coin as available.
    _change_held(conn, coin_id=coin_id, account_id=hold.account_id, delta=-hold.amount)
    posted = post_entry(
        conn,
        coin_id=coin_id,
        request=EntryRequest(
            kind=kind, legs=legs, metadata=dict(metadata or {}) | {"hold_id": hold_id}
        ),
        posted_at=at,
    )
    row = conn.execute(
        text(
            "UPDATE holds SET status = 'captured', closed_at = :at, captured_amount = :take,"
            " capture_entry_id = :entry WHERE coin_id = :coin AND id = :id"
            f" RETURNING {_HOLD.sql}"
        ),
        {"at": at, "take": take, "entry": posted.entry_id, "coin": coin_id, "id": hold_id},
    ).one()
    return _HOLD.read(row), posted


def void_hold(conn: Connection, *, coin_id: int, hold_id: int, at: datetime) -> Hold:
    """Releases an active hold in full; nothing is posted."""
    return _close(conn, _active(conn, coin_id, hold_id, at), HoldStatus.VOIDED, at)


def expire_holds(conn: Connection, *, coin_id: int, at: datetime, limit: int = 1_000) -> int:
    """Releases active holds whose deadline has passed; returns how many."""
    rows = conn.execute(
        text(
            f"SELECT {_HOLD.sql} FROM holds WHERE coin_id = :coin AND status = 'active'"
            " AND expires_at <= :at ORDER BY account_id, id LIMIT :limit"
            " FOR NO KEY UPDATE SKIP LOCKED"
        ),
        {"coin": coin_id, "at": at, "limit": limit},
    ).all()
    for row in rows:
        _close(conn, _HOLD.read(row), HoldStatus.EXPIRED, at)
    return len(rows)


def _json(value: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(value or {}), sort_keys=True, separators=(",", ":"))
