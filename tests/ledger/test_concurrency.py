"""A busy Saturday: many people paying at once through the real unit of work.

Threads post transfers at random among a few residents and a hot merchant
wallet (its balance split over slots), retry each other's requests under the
same idempotency key, and post batches over overlapping accounts in random
order, while the sealer links entries behind them. Afterwards the coin is
conserved, nothing was posted twice, no error escaped but refusals for
insufficient funds, and ``verify_coin`` finds the books whole.
"""

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection, text

from ledger.accounts import get_balance
from ledger.chain import seal
from ledger.chart import Standard
from ledger.entries import (
    EntryRequest,
    PostedEntry,
    PostResult,
    credit,
    debit,
    post_batch,
    post_entry,
    transfer,
)
from ledger.errors import Code, LedgerError
from ledger.unit_of_work import run_in_transaction
from ledger.verify import verify_coin
from tests.conftest import T0, Books

T = TypeVar("T")

THREADS = 8
TRANSFERS_PER_THREAD = 50
OPENING_BALANCE = 20_000


def _top_up(books: Books, wallet: int, amount: int) -> None:
    reserve = books.account(Standard.RESERVE_BANK)
    run_in_transaction(
        books.engine,
        lambda conn: post_entry(
            conn,
            coin_id=books.coin_id,
            request=EntryRequest("topup.counter", [debit(reserve, amount), credit(wallet, amount)]),
            posted_at=T0,
        ),
    )


def _post(books: Books, request: EntryRequest) -> PostedEntry:
    return run_in_transaction(
        books.engine,
        lambda conn: post_entry(conn, coin_id=books.coin_id, request=request, posted_at=T0),
    )


def _wallet_total(books: Books, wallets: list[int]) -> int:
    def work(conn: Connection) -> int:
        return sum(get_balance(conn, coin_id=books.coin_id, account_id=w).posted for w in wallets)

    return run_in_transaction(books.engine, work)


def _entries_per_key(books: Books) -> dict[str, int]:
    rows = run_in_transaction(
        books.engine,
        lambda conn: conn.execute(
            text(
                "SELECT idempotency_key, count(*) FROM entries"
                " WHERE coin_id = :coin AND idempotency_key IS NOT NULL GROUP BY idempotency_key"
            ),
            {"coin": books.coin_id},
        ).all(),
    )
    return {key: count for key, count in rows}


def _assert_books_whole(books: Books) -> None:
    run_in_transaction(books.engine, lambda conn: seal(conn, coin_id=books.coin_id, at=T0))
    report = run_in_transaction(books.engine, lambda conn: verify_coin(conn, coin_id=books.coin_id))
    assert report.ok, {name: c.failures for name, c in report.checks.items() if not c.ok}
    assert report.unsealed == 0 and report.sealed == report.entries


class Sealer:
    """Links entries into the hash chain in the background, as in production."""

    def __init__(self, books: Books) -> None:
        self.books = books
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.errors: list[BaseException] = []

    def _loop(self) -> None:
        while not self.stop.wait(0.02):
            try:
                run_in_transaction(
                    self.books.engine, lambda conn: seal(conn, coin_id=self.books.coin_id, at=T0)
                )
            except Exception as error:
                self.errors.append(error)

    def __enter__(self) -> "Sealer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


@dataclass
class Tally:
    """What the threads saw, shared between them under a lock.

    Attributes:
        created: for each idempotency key, how many calls said CREATED (at most 1).
        replayed: calls that said REPLAYED.
        refused: LedgerError codes seen.
        escaped: anything else raised: must stay empty.
        submitted: (key, request) pairs any thread may retry.
    """

    lock: threading.Lock = field(default_factory=threading.Lock)
    created: Counter[str] = field(default_factory=Counter)
    replayed: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    escaped: list[BaseException] = field(default_factory=list)
    submitted: list[EntryRequest] = field(default_factory=list)

    def attempt(self, books: Books, request: EntryRequest) -> None:
        assert request.idempotency_key is not None
        try:
            posted = _post(books, request)
        except LedgerError as refusal:
            with self.lock:
                self.refused[refusal.code] += 1
            return
        except Exception as error:
            with self.lock:
                self.escaped.append(error)
            return
        with self.lock:
            if posted.result is PostResult.CREATED:
                self.created[request.idempotency_key] += 1
            else:
                self.replayed += 1


def _in_threads(count: int, work: Callable[[int], T]) -> list[T]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(work, range(count)))


def test_a_busy_saturday_conserves_coin_and_posts_each_request_once(books: Books) -> None:
    residents = [books.wallet(f"resident:{n}") for n in range(1, 5)]
    arena = books.wallet("merchant:arena", lots=False, slots=8)
    wallets = [*residents, arena]
    for wallet in residents:
        _top_up(books, wallet, OPENING_BALANCE)
    total = _wallet_total(books, wallets)
    tally = Tally()

    def shopper(thread: int) -> None:
        rng = random.Random(thread)
        for n in range(TRANSFERS_PER_THREAD):
            if tally.submitted and rng.random() < 0.3:
                # The app timed out and retries someone's request: same key, same body.
                with tally.lock:
                    request = rng.choice(tally.submitted)
            else:
                payer, payee = rng.sample(wallets, 2)
                request = EntryRequest(
                    "p2p" if payee != arena else "payment",
                    transfer(from_account=payer, to_account=payee, amount=rng.randint(1, 6_000)),
                    idempotency_key=f"shopper-{thread}-{n}",
                )
                with tally.lock:
                    tally.submitted.append(request)
            tally.attempt(books, request)

    with Sealer(books) as sealer:
        _in_threads(THREADS, shopper)
    assert sealer.errors == []

    assert tally.escaped == []
    assert set(tally.refused) <= {Code.INSUFFICIENT_FUNDS}
    assert tally.created.total() > THREADS * TRANSFERS_PER_THREAD // 2, "most should post"
    assert tally.replayed > 0, "the retries should have met their first post"
    assert max(tally.created.values()) == 1, "a key said CREATED twice"
    assert _entries_per_key(books) == dict(tally.created)
    assert _wallet_total(books, wallets) == total
    _assert_books_whole(books)


def test_the_same_payment_sent_by_eight_threads_at_once_moves_coin_once(books: Books) -> None:
    payer = books.wallet("resident:1")
    arena = books.wallet("merchant:arena", lots=False, slots=8)
    _top_up(books, payer, 10_000)
    barrier = threading.Barrier(THREADS)

    for round_ in range(5):
        request = EntryRequest(
            "payment",
            transfer(from_account=payer, to_account=arena, amount=1_000),
            idempotency_key=f"qr-payment-{round_}",
        )

        def customer_taps_pay_again_and_again(
            _: int, request: EntryRequest = request
        ) -> PostedEntry:
            barrier.wait(timeout=10)
            return _post(books, request)

        answers = _in_threads(THREADS, customer_taps_pay_again_and_again)
        results = Counter(answer.result for answer in answers)
        assert results == {PostResult.CREATED: 1, PostResult.REPLAYED: THREADS - 1}
        assert len({answer.entry_id for answer in answers}) == 1

    assert _entries_per_key(books) == {f"qr-payment-{n}": 1 for n in range(5)}

    def balances(conn: Connection) -> tuple[int, int]:
        return (
            get_balance(conn, coin_id=books.coin_id, account_id=payer).posted,
            get_balance(conn, coin_id=books.coin_id, account_id=arena).posted,
        )

    assert run_in_transaction(books.engine, balances) == (5_000, 5_000)
    _assert_books_whole(books)


def test_a_refused_payment_retried_at_once_is_refused_every_time(books: Books) -> None:
    payer = books.wallet("resident:1")
    arena = books.wallet("merchant:arena", lots=False, slots=8)
    _top_up(books, payer, 500)
    request = EntryRequest(
        "payment",
        transfer(from_account=payer, to_account=arena, amount=501),
        idempotency_key="too-much",
    )
    barrier = threading.Barrier(THREADS)

    def customer(_: int) -> PostedEntry | Code:
        barrier.wait(timeout=10)
        try:
            return _post(books, request)
        except LedgerError as refusal:
            return refusal.code

    assert _in_threads(THREADS, customer) == [Code.INSUFFICIENT_FUNDS] * THREADS
    assert _entries_per_key(books) == {}
    _assert_books_whole(books)


def test_batches_over_the_same_accounts_in_any_order_all_post(books: Books) -> None:
    """The nightly merchant sweeps and refunds run side by side: every batch
    locks its balance rows in one order, and the unit of work retries the
    rest, so none of them fails."""
    residents = [books.wallet(f"resident:{n}") for n in range(1, 5)]
    arena = books.wallet("merchant:arena", lots=False, slots=8)
    wallets = [*residents, arena]
    for wallet in wallets:
        _top_up(books, wallet, 1_000_000)
    batches_per_thread, entries_per_batch = 8, 6

    def clerk(thread: int) -> list[list[PostedEntry]]:
        rng = random.Random(1000 + thread)
        posted = []
        for _ in range(batches_per_thread):
            requests = []
            for _ in range(entries_per_batch):
                payer, payee = rng.sample(wallets, 2)
                legs = transfer(from_account=payer, to_account=payee, amount=rng.randint(1, 100))
                requests.append(EntryRequest("p2p", legs))
            rng.shuffle(requests)
            posted.append(
                run_in_transaction(
                    books.engine,
                    partial(post_batch, coin_id=books.coin_id, requests=requests, posted_at=T0),
                )
            )
        return posted

    with Sealer(books) as sealer:
        results = _in_threads(6, clerk)
    assert sealer.errors == []

    answers = [entry for batches in results for batch in batches for entry in batch]
    assert len(answers) == 6 * batches_per_thread * entries_per_batch
    assert {answer.result for answer in answers} == {PostResult.CREATED}
    assert len({answer.entry_id for answer in answers}) == len(answers)
    assert _wallet_total(books, wallets) == 5 * 1_000_000
    _assert_books_whole(books)
