"""The hash chain: each coin's entries linked after commit, checked from scratch.

The test recomputes every hash itself with hashlib, from the rendering the
schema documents: content = SHA-256 of the entry and its postings joined by
'|' (postings by ';', their fields by ':'); chain = SHA-256(previous || content).
"""

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, text

from ledger.chain import GENESIS_HASH, seal, unsealed_count, verify_chain
from ledger.chart import Standard
from ledger.entries import Entry, EntryRequest, PostedEntry, credit, debit, get_entry, post_entry
from ledger.lots import LotKind
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0, Books, new_books

T = TypeVar("T")
SEALED_AT = T0 + timedelta(minutes=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def run(books: Books, work: Callable[[Connection], T]) -> T:
    return run_in_transaction(books.engine, work)


def post(books: Books, request: EntryRequest, at: datetime = T0) -> PostedEntry:
    return run(books, lambda c: post_entry(c, coin_id=books.coin_id, request=request, posted_at=at))


def seal_now(books: Books, at: datetime = SEALED_AT, limit: int = 10_000) -> int:
    return run(books, lambda c: seal(c, coin_id=books.coin_id, at=at, limit=limit))


def seals(books: Books) -> list[Any]:
    return list(
        run(
            books,
            lambda c: c.execute(
                text(
                    "SELECT chain_index, entry_id, content_hash, chain_hash, sealed_at"
                    " FROM entry_seals WHERE coin_id = :c ORDER BY chain_index"
                ),
                {"c": books.coin_id},
            ).all(),
        )
    )


def micros(at: datetime | None) -> str:
    return "" if at is None else str((at - EPOCH) // timedelta(microseconds=1))


def content_hash(entry: Entry, request: EntryRequest) -> bytes:
    """The entry's canonical rendering, built here independently of the SQL."""
    postings = ";".join(
        ":".join(
            [
                str(p.idx),
                str(p.account_id),
                str(p.amount),
                p.lot_kind.value if p.lot_kind else "",
                micros(p.lot_expires_at),
                ",".join(sorted(p.spend_kinds)) if p.spend_kinds else "",
                "" if p.lot_id is None else str(p.lot_id),
                "" if p.lot_entry_id is None else str(p.lot_entry_id),
            ]
        )
        for p in entry.postings
    )
    # jsonb renders an object with ", " and ": " and keys by length, then bytes.
    metadata = (
        "{"
        + ", ".join(
            f'"{k}": {v}' if isinstance(v, int) else f'"{k}": "{v}"'
            for k, v in sorted(entry.metadata.items(), key=lambda kv: (len(kv[0]), kv[0]))
        )
        + "}"
    )
    rendered = "|".join(
        [
            str(entry.coin_id),
            str(entry.id),
            entry.kind,
            micros(entry.posted_at),
            entry.idempotency_key or "",
            request.fingerprint().hex() if entry.idempotency_key else "",
            "" if entry.reverses_entry_id is None else str(entry.reverses_entry_id),
            metadata,
            postings,
        ]
    )
    return hashlib.sha256(rendered.encode()).digest()


class Day:
    """A day of the coin: a keyed top-up, city points, a payment with a fee."""

    def __init__(self, books: Books) -> None:
        self.books = books
        self.resident = books.wallet("resident:1")
        self.shop = books.wallet("merchant:1", lots=False)
        reserve = books.account(Standard.RESERVE_BANK)
        city = books.account(Standard.RECEIVABLE_MUNICIPALITY)
        fees = books.account(Standard.REVENUE_FEES)
        expires = T0 + timedelta(days=180, microseconds=7)
        self.requests = [
            EntryRequest(
                "topup.counter",
                [debit(reserve, 1_000), credit(self.resident, 1_000)],
                idempotency_key="slip-0001",
                metadata={"slip": 1, "branch": "Hida"},
            ),
            EntryRequest(
                "points.grant",
                [
                    debit(city, 300),
                    credit(self.resident, 300, lot_kind=LotKind.POINTS, lot_expires_at=expires),
                ],
            ),
            EntryRequest(
                "payment",
                [
                    debit(self.resident, 500, spend_kinds=frozenset(LotKind)),
                    credit(self.shop, 490),
                    credit(fees, 10),
                ],
            ),
        ]
        self.entries = [
            post(books, r, T0 + timedelta(seconds=i, microseconds=i))
            for i, r in enumerate(self.requests)
        ]

    def stored(self, index: int) -> Entry:
        entry_id = self.entries[index].entry_id
        return run(
            self.books, lambda c: get_entry(c, coin_id=self.books.coin_id, entry_id=entry_id)
        )


def test_seal_links_the_entries_in_order_with_hashes_we_can_recompute(books: Books) -> None:
    day = Day(books)
    assert run(books, lambda c: unsealed_count(c, coin_id=books.coin_id)) == 3

    assert seal_now(books) == 3

    rows = seals(books)
    assert [r.chain_index for r in rows] == [1, 2, 3]
    assert [r.entry_id for r in rows] == [e.entry_id for e in day.entries]
    assert all(r.sealed_at == SEALED_AT for r in rows)
    previous = GENESIS_HASH
    assert previous == bytes(32)
    for i, row in enumerate(rows):
        expected_content = content_hash(day.stored(i), day.requests[i])
        assert bytes(row.content_hash) == expected_content, f"content of entry {i}"
        assert bytes(row.chain_hash) == hashlib.sha256(previous + expected_content).digest()
        previous = bytes(row.chain_hash)
    assert run(books, lambda c: unsealed_count(c, coin_id=books.coin_id)) == 0
    # The head to record outside the database is the last link we recomputed.
    report = run(books, lambda c: verify_chain(c, coin_id=books.coin_id))
    assert report.ok
    assert report.head_hash == previous


def test_sealing_twice_seals_nothing_new_and_later_entries_extend_the_chain(
    books: Books,
) -> None:
    day = Day(books)
    seal_now(books)
    before = seals(books)

    assert seal_now(books) == 0
    assert seals(books) == before

    request = EntryRequest("payment", [debit(day.resident, 100), credit(day.shop, 100)])
    later = post(books, request, T0 + timedelta(hours=1))
    assert seal_now(books, at=SEALED_AT + timedelta(hours=1)) == 1

    rows = seals(books)
    assert rows[:3] == before
    assert (rows[3].chain_index, rows[3].entry_id) == (4, later.entry_id)
    entry = run(books, lambda c: get_entry(c, coin_id=books.coin_id, entry_id=later.entry_id))
    content = content_hash(entry, request)
    assert bytes(rows[3].content_hash) == content
    assert (
        bytes(rows[3].chain_hash) == hashlib.sha256(bytes(before[2].chain_hash) + content).digest()
    )


def test_a_limited_seal_links_the_oldest_entries_first(books: Books) -> None:
    day = Day(books)

    assert seal_now(books, limit=2) == 2
    assert [r.entry_id for r in seals(books)] == [e.entry_id for e in day.entries[:2]]
    assert run(books, lambda c: unsealed_count(c, coin_id=books.coin_id)) == 1
    assert seal_now(books, limit=2) == 1
    assert [r.chain_index for r in seals(books)] == [1, 2, 3]


def test_chains_are_per_coin(books: Books, engine: Any) -> None:
    Day(books)
    other = new_books(engine)
    Day(other)
    seal_now(books)
    seal_now(other)

    assert [r.chain_index for r in seals(other)] == [1, 2, 3]
    assert seals(other)[0].chain_hash != seals(books)[0].chain_hash


def test_verify_chain_passes_on_clean_books(books: Books) -> None:
    Day(books)
    seal_now(books)

    report = run(books, lambda c: verify_chain(c, coin_id=books.coin_id))

    assert report.ok
    assert report.sealed == 3
    assert report.failures == []


def test_verify_chain_names_where_a_sealed_entry_was_changed(books: Books) -> None:
    """Goes around the append-only triggers (as a superuser restoring a dump
    might) and changes the shop's share of a sealed payment."""
    day = Day(books)
    seal_now(books)
    paid = day.entries[2].entry_id

    def tamper(conn: Connection) -> None:
        superuser = conn.exec_driver_sql(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        )
        if not superuser.scalar_one():
            pytest.skip("needs a superuser to bypass the append-only triggers")
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        conn.execute(
            text(
                "UPDATE postings SET amount = amount - 5 WHERE coin_id = :c AND entry_id = :e"
                " AND amount = -490"
            ),
            {"c": books.coin_id, "e": paid},
        )
        conn.execute(
            text(
                "UPDATE postings SET amount = amount + 5 WHERE coin_id = :c AND entry_id = :e"
                " AND amount = -10"
            ),
            {"c": books.coin_id, "e": paid},
        )

    run(books, tamper)
    report = run(books, lambda c: verify_chain(c, coin_id=books.coin_id))

    assert not report.ok
    assert report.first_break == 3
    assert report.sealed == 3
    assert len(report.failures) == 1
    assert f"entry {paid}" in report.failures[0]
