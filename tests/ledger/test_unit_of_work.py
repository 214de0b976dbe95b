"""The one commit point: commit once, roll back on error, retry real conflicts unseen."""

import random
import threading
from collections.abc import Callable
from typing import Any

import psycopg.errors
import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from ledger.accounts import get_balance
from ledger.chart import Standard
from ledger.entries import EntryRequest, PostedEntry, credit, debit, post_entry
from ledger.errors import Code, LedgerError, driver_error
from ledger.limits import RETRIES_MAX
from ledger.unit_of_work import BACKOFF_MS_MAX, backoff_s, run_in_transaction
from tests.conftest import T0, Books


class Ceiling(random.Random):
    """A chooser that always picks the top of the range: the longest pause."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_doubles_from_2_ms_and_stops_at_200_ms() -> None:
    ceilings = [backoff_s(attempt, Ceiling()) for attempt in range(RETRIES_MAX + 1)]

    assert ceilings[:7] == [0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128]
    assert ceilings[7:] == [BACKOFF_MS_MAX / 1000] * (RETRIES_MAX + 1 - 7)


def test_backoff_is_a_random_pause_within_its_ceiling() -> None:
    rng = random.Random(2026)
    for attempt in range(RETRIES_MAX + 1):
        ceiling = min(BACKOFF_MS_MAX, 2 * 2**attempt) / 1000
        pauses = [backoff_s(attempt, rng) for _ in range(200)]
        assert all(0 <= p <= ceiling for p in pauses)
        assert len(set(pauses)) > 1, "jittered, not fixed"


def topup_request(books: Books, wallet: int, amount: int) -> EntryRequest:
    reserve = books.account(Standard.RESERVE_BANK)
    return EntryRequest("topup", [debit(reserve, amount), credit(wallet, amount)])


def post(conn: Connection, books: Books, request: EntryRequest) -> PostedEntry:
    return post_entry(conn, coin_id=books.coin_id, request=request, posted_at=T0)


def posted(books: Books, wallet: int) -> int:
    return run_in_transaction(
        books.engine, lambda c: get_balance(c, coin_id=books.coin_id, account_id=wallet)
    ).posted


def test_work_is_committed_once_it_returns(books: Books) -> None:
    wallet = books.wallet("resident:1")

    done = run_in_transaction(
        books.engine, lambda c: post(c, books, topup_request(books, wallet, 1_000))
    )

    assert done.entry_id > 0
    assert posted(books, wallet) == 1_000


def test_work_that_raises_leaves_nothing_behind(books: Books) -> None:
    wallet = books.wallet("resident:1")

    def work(conn: Connection) -> None:
        post(conn, books, topup_request(books, wallet, 1_000))
        raise RuntimeError("the counter system crashed before answering")

    with pytest.raises(RuntimeError):
        run_in_transaction(books.engine, work)

    assert posted(books, wallet) == 0


def test_an_unbalanced_entry_written_around_python_is_refused_at_commit(books: Books) -> None:
    """The deferred check fires at COMMIT; the unit of work reports it as the ledger's code."""
    wallet = books.wallet("resident:1")
    reserve = books.account(Standard.RESERVE_BANK)

    def work(conn: Connection) -> None:
        entry_id = conn.execute(
            text(
                "INSERT INTO entries (coin_id, kind, posted_at) VALUES (:c, 'topup', :at)"
                " RETURNING id"
            ),
            {"c": books.coin_id, "at": T0},
        ).scalar_one()
        for idx, (account, amount) in enumerate([(reserve, 1_000), (wallet, -999)]):
            conn.execute(
                text(
                    "INSERT INTO postings (coin_id, entry_id, idx, account_id, amount, posted_at)"
                    " VALUES (:c, :e, :i, :a, :amount, :at)"
                ),
                {
                    "c": books.coin_id,
                    "e": entry_id,
                    "i": idx,
                    "a": account,
                    "amount": amount,
                    "at": T0,
                },
            )

    with pytest.raises(LedgerError) as caught:
        run_in_transaction(books.engine, work)

    assert caught.value.code is Code.ENTRY_UNBALANCED
    assert posted(books, wallet) == 0


def test_a_serialization_failure_is_retried_until_it_succeeds(books: Books) -> None:
    """A REPEATABLE READ top-up whose snapshot predates another top-up of the
    same wallet fails with a real 40001; the retry runs on a fresh snapshot."""
    wallet = books.wallet("resident:1")
    attempts: list[int] = []

    def work(conn: Connection) -> PostedEntry:
        attempts.append(len(attempts) + 1)
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        get_balance(conn, coin_id=books.coin_id, account_id=wallet)  # takes the snapshot
        if len(attempts) == 1:
            # Meanwhile the ATM tops the same wallet up, and commits.
            run_in_transaction(
                books.engine, lambda c: post(c, books, topup_request(books, wallet, 500))
            )
        return post(conn, books, topup_request(books, wallet, 1_000))

    done = run_in_transaction(books.engine, work, rng=random.Random(1))

    assert attempts == [1, 2]
    assert done.entry_id > 0
    assert posted(books, wallet) == 1_500


def test_a_serialization_failure_past_the_retries_reaches_the_caller(books: Books) -> None:
    wallet = books.wallet("resident:1")

    def work(conn: Connection) -> PostedEntry:
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        get_balance(conn, coin_id=books.coin_id, account_id=wallet)
        run_in_transaction(
            books.engine, lambda c: post(c, books, topup_request(books, wallet, 500))
        )
        return post(conn, books, topup_request(books, wallet, 1_000))

    with pytest.raises((DBAPIError, psycopg.Error)) as caught:
        run_in_transaction(books.engine, work, retries=2, rng=random.Random(1))

    # Wrapped by SQLAlchemy or straight from the driver: a 40001 either way.
    assert isinstance(driver_error(caught.value), psycopg.errors.SerializationFailure)
    assert posted(books, wallet) == 3 * 500, "each attempt's rival committed; none of ours did"


def test_a_deadlock_is_retried_and_both_transfers_go_through(books: Books) -> None:
    """Two residents send each other coin at the same moment, each locking its
    own wallet first: a real deadlock (40P01). The victim is retried."""
    alice = books.wallet("resident:alice")
    bob = books.wallet("resident:bob")
    both = topup_request(books, alice, 1_000), topup_request(books, bob, 1_000)
    run_in_transaction(books.engine, lambda c: [post(c, books, r) for r in both])
    both_locked = threading.Barrier(2, timeout=20)
    attempts = {alice: 0, bob: 0}
    results: dict[int, Any] = {}

    def send(sender: int, receiver: int, amount: int) -> Callable[[Connection], PostedEntry]:
        def work(conn: Connection) -> PostedEntry:
            attempts[sender] += 1
            conn.execute(
                text(
                    "SELECT 1 FROM account_balances WHERE coin_id = :c AND account_id = :a"
                    " FOR NO KEY UPDATE"
                ),
                {"c": books.coin_id, "a": sender},
            )
            if attempts[sender] == 1:
                both_locked.wait()
            request = EntryRequest("p2p", [debit(sender, amount), credit(receiver, amount)])
            return post(conn, books, request)

        return work

    def run_send(sender: int, receiver: int, amount: int) -> None:
        try:
            results[sender] = run_in_transaction(
                books.engine, send(sender, receiver, amount), rng=random.Random(sender)
            )
        except Exception as error:
            results[sender] = error

    threads = [
        threading.Thread(target=run_send, args=(alice, bob, 300)),
        threading.Thread(target=run_send, args=(bob, alice, 100)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(r, PostedEntry) for r in results.values()), results
    assert sorted(attempts.values()) == [1, 2], "exactly one side was the deadlock's victim"
    assert posted(books, alice) == 1_000 - 300 + 100
    assert posted(books, bob) == 1_000 + 300 - 100


def test_retries_are_bounded() -> None:
    with pytest.raises(AssertionError):
        run_in_transaction(None, lambda c: None, retries=RETRIES_MAX + 1)  # type: ignore[arg-type]
    with pytest.raises(AssertionError):
        run_in_transaction(None, lambda c: None, retries=-1)  # type: ignore[arg-type]
