"""Entries (仕訳): two or more postings that sum to zero, posted atomically.

An entry is append-only. A mistake is corrected by a reversing entry, never by
changing the first one. Each call here posts in one round trip (a server-side
function) and leaves the commit to the caller's unit of work; the database
checks the balance of every entry at COMMIT.

Signs: a leg's ``amount`` is positive for a debit and negative for a credit.
Debiting a wallet (a liability) lowers it; crediting it raises it.

The server-side functions called here sit beside this file (the highest
``v*.sql`` of each folder is the one the database runs):

- ``ledger_post_entry``: ledger/sql/post_entry/
- ``ledger_post_entries``, ``ledger_lock_balances``: ledger/sql/post_entries/

and so do the guards that refuse a bad entry: ledger/sql/entry_balanced/ (the
check at COMMIT), ledger/sql/balance_triggers/ (the posting trigger keeping
the balances whose CHECKs refuse a negative wallet), ledger/sql/lots/ and
ledger/sql/append_only/.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from ledger.errors import Code, LedgerError, translate_db_error
from ledger.idempotency import check_key, request_hash
from ledger.limits import (
    AMOUNT_MAX,
    BATCH_ENTRIES_MAX,
    METADATA_BYTES_MAX,
    POSTINGS_PER_ENTRY_MAX,
)
from ledger.lots import LotKind
from ledger.records import GIVEN, RecordColumns, optional
from ledger.unit_of_work import run_as_one_statement


@dataclass(frozen=True, slots=True)
class Leg:
    """One posting requested of an entry.

    Attributes:
        account_id: the account it posts to.
        amount: signed coin; positive debits, negative credits. Never zero.
        lot_kind: on a credit to a lot-tracked wallet, the kind of lot it adds
            to (None: money).
        lot_expires_at: on such a credit, when that lot expires (None: never).
        spend_kinds: on a debit of a lot-tracked wallet, the kinds it may spend
            (None: all). A transfer between people spends money only.
        lot_id: on a debit, spend exactly this lot (the expiry sweep).
        lot_entry_id: on a credit, first give back the lots that entry took
            (a refund or reversal); on a debit, first take back the lots that
            entry created (reversing a grant).
    """

    account_id: int
    amount: int
    lot_kind: LotKind | None = None
    lot_expires_at: datetime | None = None
    spend_kinds: frozenset[LotKind] | None = None
    lot_id: int | None = None
    lot_entry_id: int | None = None

    def as_request(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "amount": self.amount,
            "lot_kind": self.lot_kind,
            "lot_expires_at": self.lot_expires_at,
            "spend_kinds": self.spend_kinds,
            "lot_id": self.lot_id,
            "lot_entry_id": self.lot_entry_id,
        }


def debit(account_id: int, amount: int, **lot: Any) -> Leg:
    """A leg that debits ``amount`` (positive) from the account."""
    return Leg(account_id, amount, **lot)


def credit(account_id: int, amount: int, **lot: Any) -> Leg:
    """A leg that credits ``amount`` (positive) to the account."""
    return Leg(account_id, -amount, **lot)


def transfer(*, from_account: int, to_account: int, amount: int, **lot: Any) -> tuple[Leg, Leg]:
    """Moves coin between two accounts of the same class (wallet to wallet)."""
    return debit(from_account, amount), credit(to_account, amount, **lot)


@dataclass(frozen=True, slots=True)
class EntryRequest:
    """What a caller asks the ledger to post.

    Attributes:
        kind: what happened, dotted snake_case (``payment``, ``topup.counter``).
        legs: the postings, at least two, summing to zero.
        idempotency_key: the caller's key; the same key and request post once.
        metadata: a small JSON object kept with the entry (references, ids).
        reverses_entry_id: the entry this one reverses, if it is a reversal.
    """

    kind: str
    legs: Sequence[Leg]
    idempotency_key: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    reverses_entry_id: int | None = None

    def fingerprint(self) -> bytes:
        return request_hash(
            {
                "kind": self.kind,
                "legs": [leg.as_request() for leg in self.legs],
                "metadata": dict(self.metadata),
                "reverses_entry_id": self.reverses_entry_id,
            }
        )


class PostResult(StrEnum):
    """created: the entry was posted now. replayed: the same key and request
    were posted before; the first entry is returned and nothing moved."""

    CREATED = "created"
    REPLAYED = "replayed"


@dataclass(frozen=True, slots=True)
class PostedEntry:
    """Attributes:
    entry_id: the entry's id in its coin.
    result: created now, or replayed from an earlier post with the same key.
    """

    entry_id: int
    result: PostResult


def check_legs(legs: Sequence[Leg]) -> None:
    """Refuses legs that could never make a valid entry. Pure; touches no database."""
    if len(legs) < 2:
        raise LedgerError(Code.POSTINGS_TOO_FEW, "an entry has at least two postings")
    if len(legs) > POSTINGS_PER_ENTRY_MAX:
        raise LedgerError(
            Code.POSTINGS_TOO_MANY, f"an entry has at most {POSTINGS_PER_ENTRY_MAX} postings"
        )
    for leg in legs:
        check_leg(leg)
    if sum(leg.amount for leg in legs) != 0:
        raise LedgerError(Code.ENTRY_UNBALANCED, "the postings of an entry sum to zero")


def check_leg(leg: Leg) -> None:
    if type(leg.amount) is not int or leg.amount == 0:
        raise LedgerError(Code.AMOUNT_MUST_BE_POSITIVE, "a posting moves a non-zero integer")
    if abs(leg.amount) > AMOUNT_MAX:
        raise LedgerError(Code.AMOUNT_EXCEEDS_MAX, f"a posting moves at most {AMOUNT_MAX}")
    is_credit = leg.amount < 0
    if not is_credit and (leg.lot_kind is not None or leg.lot_expires_at is not None):
        raise LedgerError(Code.LOT_SPEC_INVALID, "only a credit names the lot it adds to")
    if is_credit and (leg.spend_kinds is not None or leg.lot_id is not None):
        raise LedgerError(Code.LOT_SPEC_INVALID, "only a debit names the lots it spends")
    if leg.spend_kinds is not None and not leg.spend_kinds:
        raise LedgerError(Code.LOT_SPEC_INVALID, "spend_kinds names at least one kind")
    if leg.lot_expires_at is not None and leg.lot_expires_at.tzinfo is None:
        raise LedgerError(Code.LOT_SPEC_INVALID, "a lot's expiry is timezone-aware")


def check_request(request: EntryRequest) -> str:
    """Checks a request and returns its metadata as JSON."""
    check_legs(request.legs)
    check_key(request.idempotency_key)
    if not request.kind or len(request.kind) > 64:
        raise LedgerError(Code.KIND_INVALID, "an entry's kind is 1 to 64 characters")
    metadata = json.dumps(dict(request.metadata), sort_keys=True, separators=(",", ":"))
    if len(metadata.encode()) > METADATA_BYTES_MAX:
        raise LedgerError(
            Code.METADATA_TOO_LARGE, f"metadata is at most {METADATA_BYTES_MAX} bytes"
        )
    return metadata


# ledger/sql/post_entry/
_POST_SQL = (
    "SELECT result, entry_id FROM ledger_post_entry(%s::bigint, %s, %s, %s, %s, %s::bigint,"
    " %s::jsonb,"
    " %s::bigint[], %s::bigint[], %s::text[], %s::timestamptz[], %s::text[], %s::bigint[],"
    " %s::bigint[])"
)


def _post_params(coin_id: int, request: EntryRequest, posted_at: datetime) -> tuple[Any, ...]:
    metadata = check_request(request)
    legs = request.legs
    key = request.idempotency_key
    return (
        coin_id,
        request.kind,
        posted_at,
        key,
        request.fingerprint() if key is not None else None,
        request.reverses_entry_id,
        metadata,
        [leg.account_id for leg in legs],
        [leg.amount for leg in legs],
        *_lot_arrays(legs),
    )


_NO_LOT_ARRAYS = (None, None, None, None, None)


def _lot_arrays(legs: Sequence[Leg]) -> tuple[list[Any] | None, ...]:
    """The lot columns of the legs, or NULLs when no leg names a lot (the common
    transfer): unnest pads a NULL array with NULLs, and the client skips
    dumping five arrays of nothing."""
    if all(
        leg.lot_kind is None
        and leg.lot_expires_at is None
        and leg.spend_kinds is None
        and leg.lot_id is None
        and leg.lot_entry_id is None
        for leg in legs
    ):
        return _NO_LOT_ARRAYS
    return (
        [leg.lot_kind.value if leg.lot_kind else None for leg in legs],
        [leg.lot_expires_at for leg in legs],
        [",".join(sorted(leg.spend_kinds)) if leg.spend_kinds else None for leg in legs],
        [leg.lot_id for leg in legs],
        [leg.lot_entry_id for leg in legs],
    )


def _posted(coin_id: int, request: EntryRequest, result: str, entry_id: int) -> PostedEntry:
    if result == "ok":
        return PostedEntry(entry_id, PostResult.CREATED)
    if result == "exists":
        return PostedEntry(entry_id, PostResult.REPLAYED)
    assert result == "exists_with_different_request", result
    raise LedgerError(
        Code.IDEMPOTENCY_KEY_REUSED,
        f"idempotency key {request.idempotency_key!r} was used for a different request"
        f" (entry {entry_id} of coin {coin_id})",
    )


def post_entry(
    conn: Connection, *, coin_id: int, request: EntryRequest, posted_at: datetime
) -> PostedEntry:
    """Posts one entry in the caller's transaction (one round trip).

    Raises LedgerError: a data refusal before the database is touched, or
    ``insufficient_funds`` / ``idempotency_key_reused`` from the database. The
    entry's balance is checked again by the database at COMMIT.
    """
    assert posted_at.tzinfo is not None, "instants are timezone-aware"
    params = _post_params(coin_id, request, posted_at)
    # The driver's own cursor, in the caller's transaction: the hot path of every
    # payment skips SQLAlchemy's result machinery (a third of the client's CPU).
    raw = conn.connection.driver_connection
    assert raw is not None
    try:
        with raw.cursor() as cursor:
            row = cursor.execute(_POST_SQL, params).fetchone()
    except (DBAPIError, psycopg.Error) as error:
        raise _refusal(error) from error
    assert row is not None
    return _posted(coin_id, request, row[0], row[1])


# One call for the whole batch (ledger_post_entries, ledger/sql/post_entries/): it
# locks the balance rows in the global order, then inserts the entries, their
# postings and the unsealed queue in one statement each.
_POST_BATCH_SQL = (
    "SELECT result, entry_id FROM ledger_post_entries(%s::bigint, %s, %s::text[], %s::text[],"
    " %s::bytea[], %s::bigint[], %s::text[], %s::int4[], %s::int2[], %s::bigint[], %s::bigint[],"
    " %s::text[], %s::timestamptz[], %s::text[], %s::bigint[], %s::bigint[])"
)


def _batch_params(
    coin_id: int, requests: Sequence[EntryRequest], posted_at: datetime
) -> tuple[Any, ...]:
    metadata = [check_request(request) for request in requests]
    keys = [request.idempotency_key for request in requests]
    legs = [leg for request in requests for leg in request.legs]
    return (
        coin_id,
        posted_at,
        [request.kind for request in requests],
        keys,
        [r.fingerprint() if k is not None else None for r, k in zip(requests, keys, strict=True)],
        [request.reverses_entry_id for request in requests],
        metadata,
        [n for n, request in enumerate(requests, 1) for _ in request.legs],
        [idx for request in requests for idx in range(len(request.legs))],
        [leg.account_id for leg in legs],
        [leg.amount for leg in legs],
        *_lot_arrays(legs),
    )


def post_batch(
    conn: Connection, *, coin_id: int, requests: Sequence[EntryRequest], posted_at: datetime
) -> list[PostedEntry]:
    """Posts many entries in one round trip and the caller's one commit.

    All or nothing: a refusal of any entry refuses the batch. Every balance row
    the batch touches is locked first, in the global (account, slot) order, so
    concurrent batches wait for each other instead of deadlocking.
    """
    assert posted_at.tzinfo is not None, "instants are timezone-aware"
    if not requests:
        raise LedgerError(Code.BATCH_EMPTY, "a batch has at least one entry")
    if len(requests) > BATCH_ENTRIES_MAX:
        raise LedgerError(Code.BATCH_TOO_LARGE, f"a batch has at most {BATCH_ENTRIES_MAX} entries")
    params = _batch_params(coin_id, requests, posted_at)
    raw = conn.connection.driver_connection
    assert raw is not None
    try:
        with raw.cursor() as cursor:
            rows = cursor.execute(_POST_BATCH_SQL, params).fetchall()
    except (DBAPIError, psycopg.Error) as error:
        raise _refusal(error) from error
    return [
        _posted(coin_id, request, row[0], row[1])
        for request, row in zip(requests, rows, strict=True)
    ]


def post_entry_now(
    engine: Engine, *, coin_id: int, request: EntryRequest, posted_at: datetime
) -> PostedEntry:
    """Posts one entry as a transaction of its own, in one round trip.

    For callers that have nothing else to write with the entry. The database
    checks the entry's balance when the statement commits, as it would at a
    COMMIT; conflicts are retried like any unit of work.
    """
    check_request(request)
    return run_as_one_statement(
        engine, lambda conn: post_entry(conn, coin_id=coin_id, request=request, posted_at=posted_at)
    )


def post_batch_now(
    engine: Engine, *, coin_id: int, requests: Sequence[EntryRequest], posted_at: datetime
) -> list[PostedEntry]:
    """Posts a batch as a transaction of its own, in one round trip; all or nothing."""
    return run_as_one_statement(
        engine,
        lambda conn: post_batch(conn, coin_id=coin_id, requests=requests, posted_at=posted_at),
    )


def lock_balances(conn: Connection, *, coin_id: int, legs: Sequence[Leg]) -> None:
    """Locks every balance row these legs will touch, in the global (account, slot) order.

    Work that touches balances in more than one statement calls this first, so
    that it cannot deadlock with other work doing the same.
    """
    try:
        conn.exec_driver_sql(
            "SELECT ledger_lock_balances(%s::bigint, %s::bigint[], %s::bigint[])",
            (coin_id, [leg.account_id for leg in legs], [leg.amount for leg in legs]),
        )
    except DBAPIError as error:
        raise _refusal(error) from error


def _refusal(error: Exception) -> Exception:
    translated = translate_db_error(error)
    return translated if translated is not None else error


@dataclass(frozen=True, slots=True)
class Posting:
    """A posting as stored.

    Attributes:
        entry_id: its entry.
        idx: its position in the entry, from 0.
        account_id: the account it posts to.
        amount: signed coin, positive for a debit.
        lot_kind, lot_expires_at, spend_kinds, lot_id, lot_entry_id: as on Leg.
    """

    entry_id: int
    idx: int
    account_id: int
    amount: int
    lot_kind: LotKind | None
    lot_expires_at: datetime | None
    spend_kinds: frozenset[LotKind] | None
    lot_id: int | None
    lot_entry_id: int | None


@dataclass(frozen=True, slots=True)
class Entry:
    """An entry as stored.

    Attributes:
        coin_id, id: its key.
        kind: what happened.
        posted_at: when (UTC).
        idempotency_key: the caller's key, if one was given.
        reverses_entry_id: the entry it reverses, if any.
        metadata: the JSON object kept with it.
        postings: its postings in order.
    """

    coin_id: int
    id: int
    kind: str
    posted_at: datetime
    idempotency_key: str | None
    reverses_entry_id: int | None
    metadata: dict[str, Any]
    postings: tuple[Posting, ...]


def _spend_kinds(kinds: list[str] | None) -> frozenset[LotKind] | None:
    # An empty array restricts nothing, like NULL.
    return frozenset(LotKind(kind) for kind in kinds) if kinds else None


_ENTRY = RecordColumns(Entry, postings=GIVEN)
_POSTING = RecordColumns(Posting, lot_kind=optional(LotKind), spend_kinds=_spend_kinds)


def get_entry(conn: Connection, *, coin_id: int, entry_id: int) -> Entry:
    head = conn.execute(
        text(f"SELECT {_ENTRY.sql} FROM entries WHERE coin_id = :coin AND id = :id"),
        {"coin": coin_id, "id": entry_id},
    ).one_or_none()
    if head is None:
        raise LedgerError(Code.ENTRY_NOT_FOUND, f"no entry {entry_id} in coin {coin_id}")
    rows = conn.execute(
        text(
            f"SELECT {_POSTING.sql} FROM postings WHERE coin_id = :coin AND entry_id = :id"
            " ORDER BY idx"
        ),
        {"coin": coin_id, "id": entry_id},
    ).all()
    return _ENTRY.read(head, postings=tuple(_POSTING.read(row) for row in rows))


def reverse_entry(
    conn: Connection,
    *,
    coin_id: int,
    entry_id: int,
    posted_at: datetime,
    idempotency_key: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> PostedEntry:
    """Posts the exact opposite of an entry; each entry is reversed at most once.

    On lot-tracked wallets the reversal gives back the very lots the entry
    spent (with their kinds and expiries) and takes back the lots it created.
    """
    original = get_entry(conn, coin_id=coin_id, entry_id=entry_id)
    legs = [
        Leg(account_id=p.account_id, amount=-p.amount, lot_entry_id=entry_id)
        for p in original.postings
    ]
    request = EntryRequest(
        kind="reversal",
        legs=legs,
        idempotency_key=idempotency_key,
        metadata=dict(metadata or {}) | {"reverses_kind": original.kind},
        reverses_entry_id=entry_id,
    )
    return post_entry(conn, coin_id=coin_id, request=request, posted_at=posted_at)
