"""An account's history, newest first, by keyset; and its balance at any past instant.

Both read the postings through one index, (coin, account, posted_at, entry,
idx), so a page or a past balance costs the same at ten entries as at ten
million: a page reads ``limit`` index entries from its cursor, and a past
balance reads only the postings made after that instant.
"""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from ledger.accounts import get_account
from ledger.errors import Code, LedgerError
from ledger.limits import HISTORY_PAGE_MAX
from ledger.records import Column, RecordColumns

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One posting on the account, seen from the account.

    Attributes:
        entry_id: the entry it belongs to.
        idx: its position in that entry.
        posted_at: when (UTC).
        amount: what it did to the balance: positive raised it, negative lowered it.
        kind: the entry's kind (``payment``, ``topup.counter``).
        metadata: the entry's metadata.
    """

    entry_id: int
    idx: int
    posted_at: datetime
    amount: int
    kind: str
    metadata: dict[str, Any]

    @property
    def cursor(self) -> str:
        # Integer arithmetic: a float timestamp loses the microsecond after 2038.
        micros = (self.posted_at - _EPOCH) // timedelta(microseconds=1)
        raw = f"{micros}:{self.entry_id}:{self.idx}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """Attributes:
    lines: newest first.
    has_more: are there older lines after the last one?
    """

    lines: list[HistoryLine]
    has_more: bool


def decode_cursor(cursor: str) -> tuple[datetime, int, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        micros, entry_id, idx = base64.urlsafe_b64decode(padded).decode().split(":")
        at = _EPOCH + timedelta(microseconds=int(micros))
        return at, int(entry_id), int(idx)
    except (ValueError, OverflowError) as error:
        raise LedgerError(Code.CURSOR_INVALID, "the cursor is not one this ledger gave") from error


# A line is a posting (p) with its entry's (e) kind and metadata.
_LINE = RecordColumns(HistoryLine, kind=Column("e.kind"), metadata=Column("e.metadata"))


def account_history(
    conn: Connection,
    *,
    coin_id: int,
    account_id: int,
    limit: int,
    starting_after: str | None = None,
) -> HistoryPage:
    """A page of the account's postings, newest first, after the cursor of the last line seen."""
    if not (1 <= limit <= HISTORY_PAGE_MAX):
        raise LedgerError(Code.PAGE_SIZE_INVALID, f"a page holds 1 to {HISTORY_PAGE_MAX} lines")
    sign = (
        1
        if get_account(conn, coin_id=coin_id, account_id=account_id).account_class.debit_normal
        else -1
    )
    after = ""
    params: dict[str, Any] = {"coin": coin_id, "acc": account_id, "limit": limit + 1}
    if starting_after is not None:
        at, entry_id, idx = decode_cursor(starting_after)
        after = " AND (p.posted_at, p.entry_id, p.idx) < (:at, :entry, :idx)"
        params |= {"at": at, "entry": entry_id, "idx": idx}
    rows = conn.execute(
        text(
            f"SELECT {_LINE.select('p')}"
            " FROM postings p JOIN entries e ON e.coin_id = p.coin_id AND e.id = p.entry_id"
            f" WHERE p.coin_id = :coin AND p.account_id = :acc{after}"
            " ORDER BY p.posted_at DESC, p.entry_id DESC, p.idx DESC LIMIT :limit"
        ),
        params,
    ).all()
    lines = [_LINE.read(row, amount=sign * row.amount) for row in rows[:limit]]
    return HistoryPage(lines=lines, has_more=len(rows) > limit)


def balance_as_of(conn: Connection, *, coin_id: int, account_id: int, at: datetime) -> int:
    """The account's posted balance just before ``at`` (postings at or after it excluded).

    Today's balance less what was posted since, in one statement (one
    snapshot), so it reads only the postings after ``at``.
    """
    assert at.tzinfo is not None, "instants are timezone-aware"
    sign = (
        1
        if get_account(conn, coin_id=coin_id, account_id=account_id).account_class.debit_normal
        else -1
    )
    row = conn.execute(
        text(
            "SELECT (SELECT sum(posted) FROM account_balances"
            "         WHERE coin_id = :coin AND account_id = :acc)::bigint,"
            "       (SELECT coalesce(sum(amount), 0) FROM postings"
            "         WHERE coin_id = :coin AND account_id = :acc AND posted_at >= :at)::bigint"
        ),
        {"coin": coin_id, "acc": account_id, "at": at},
    ).one()
    current, since = row
    return int(current) - sign * int(since)


def last_posted_at(conn: Connection, *, coin_id: int, account_id: int) -> datetime | None:
    """When the account last moved; None if it never did. One read of the history index."""
    last: datetime | None = conn.execute(
        text("SELECT max(posted_at) FROM postings WHERE coin_id = :coin AND account_id = :account"),
        {"coin": coin_id, "account": account_id},
    ).scalar_one()
    return last
