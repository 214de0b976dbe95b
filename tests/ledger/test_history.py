"""A resident's history, newest first, page by page; and the balance at past instants."""

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Connection

from ledger.chart import Standard
from ledger.clock import FixedClock
from ledger.entries import EntryRequest, PostedEntry, credit, debit, post_entry
from ledger.errors import Code, LedgerError
from ledger.history import HistoryLine, HistoryPage, account_history, balance_as_of
from ledger.limits import HISTORY_PAGE_MAX
from ledger.unit_of_work import run_in_transaction
from tests.conftest import Books

T = TypeVar("T")


def run(books: Books, work: Callable[[Connection], T]) -> T:
    return run_in_transaction(books.engine, work)


def post(books: Books, request: EntryRequest, at: datetime) -> PostedEntry:
    return run(books, lambda c: post_entry(c, coin_id=books.coin_id, request=request, posted_at=at))


def page(books: Books, account_id: int, limit: int, after: str | None = None) -> HistoryPage:
    return run(
        books,
        lambda c: account_history(
            c, coin_id=books.coin_id, account_id=account_id, limit=limit, starting_after=after
        ),
    )


def all_pages(books: Books, account_id: int, limit: int) -> list[HistoryPage]:
    pages = [page(books, account_id, limit)]
    while pages[-1].has_more:
        assert len(pages) < 100
        pages.append(page(books, account_id, limit, pages[-1].lines[-1].cursor))
    return pages


def as_of(books: Books, account_id: int, at: datetime) -> int:
    return run(
        books, lambda c: balance_as_of(c, coin_id=books.coin_id, account_id=account_id, at=at)
    )


def refused(call: Callable[[], object]) -> Code:
    with pytest.raises(LedgerError) as caught:
        call()
    return caught.value.code


class Month:
    """A resident's month: a top-up, then payments at shops, an hour apart."""

    def __init__(self, books: Books, clock: FixedClock) -> None:
        self.books = books
        self.clock = clock
        self.resident = books.wallet("resident:1")
        self.shop = books.wallet("merchant:1", lots=False)
        self.reserve = books.account(Standard.RESERVE_BANK)
        self.fees = books.account(Standard.REVENUE_FEES)

    def topup(self, amount: int) -> PostedEntry:
        legs = [debit(self.reserve, amount), credit(self.resident, amount)]
        return self._post(EntryRequest("topup.counter", legs))

    def pay(self, amount: int) -> PostedEntry:
        legs = [debit(self.resident, amount), credit(self.shop, amount)]
        return self._post(EntryRequest("payment", legs, metadata={"shop": "bakery"}))

    def _post(self, request: EntryRequest) -> PostedEntry:
        done = post(self.books, request, self.clock.now())
        self.clock.advance(timedelta(hours=1))
        return done


def test_history_is_newest_first_with_amounts_seen_from_the_wallet(
    books: Books, clock: FixedClock
) -> None:
    month = Month(books, clock)
    start = clock.now()
    topped = month.topup(1_000)
    paid = month.pay(300)

    lines = page(books, month.resident, 10).lines

    assert [(line.entry_id, line.kind, line.amount) for line in lines] == [
        (paid.entry_id, "payment", -300),
        (topped.entry_id, "topup.counter", 1_000),
    ]
    assert [line.posted_at for line in lines] == [start + timedelta(hours=1), start]
    assert lines[0].metadata == {"shop": "bakery"}
    # The reserve is an asset: the top-up raised it too.
    reserve_lines = page(books, month.reserve, 10).lines
    assert [line.amount for line in reserve_lines] == [1_000]


def test_pages_cover_every_line_exactly_once(books: Books, clock: FixedClock) -> None:
    month = Month(books, clock)
    month.topup(10_000)
    for amount in range(100, 1_100, 100):
        month.pay(amount)
    # Three payments at the very same instant: ordered by entry, newest first.
    same_instant = clock.now()
    for amount in (1, 2, 3):
        legs = [debit(month.resident, amount), credit(month.shop, amount)]
        post(books, EntryRequest("payment", legs), same_instant)
    full = page(books, month.resident, HISTORY_PAGE_MAX)
    assert not full.has_more
    assert len(full.lines) == 14

    for limit in (1, 3, 4, 13, 14):
        pages = all_pages(books, month.resident, limit)
        lines = [line for p in pages for line in p.lines]
        assert lines == full.lines, f"limit {limit}"
        assert [p.has_more for p in pages] == [True] * (len(pages) - 1) + [False]
        assert all(len(p.lines) == limit for p in pages[:-1])

    keys = [(line.posted_at, line.entry_id, line.idx) for line in full.lines]
    assert keys == sorted(keys, reverse=True)
    assert sum(line.amount for line in full.lines) == 10_000 - 5_500 - 6


def test_an_entry_touching_the_wallet_twice_shows_both_lines(
    books: Books, clock: FixedClock
) -> None:
    month = Month(books, clock)
    month.topup(1_000)
    # A payment of 100 with 30 handed back as change-in-coin on the same entry.
    legs = [debit(month.resident, 100), credit(month.shop, 70), credit(month.resident, 30)]
    both = post(books, EntryRequest("payment.split", legs), clock.now())

    first = page(books, month.resident, 1)
    second = page(books, month.resident, 1, first.lines[0].cursor)

    assert [(line.entry_id, line.idx, line.amount) for line in first.lines + second.lines] == [
        (both.entry_id, 2, 30),
        (both.entry_id, 0, -100),
    ]


def test_a_wallet_with_no_history_has_an_empty_page(books: Books) -> None:
    wallet = books.wallet("resident:quiet")
    assert page(books, wallet, 10) == HistoryPage(lines=[], has_more=False)


def test_cursors_survive_microseconds_and_far_dates(books: Books, clock: FixedClock) -> None:
    """Entries posted at instants a float timestamp cannot hold to the microsecond."""
    month = Month(books, clock)
    month.topup(1_000)
    for at in (
        datetime(2039, 5, 16, 19, 44, 12, 433_890, tzinfo=UTC),
        datetime(2026, 11, 23, 1, 0, 0, 999_999, tzinfo=UTC),
        datetime(2099, 12, 31, 14, 59, 59, 999_999, tzinfo=UTC),
    ):
        for _ in range(2):
            legs = [debit(month.resident, 1), credit(month.shop, 1)]
            post(books, EntryRequest("payment", legs), at)

    full = page(books, month.resident, HISTORY_PAGE_MAX).lines
    paged: list[HistoryLine] = [
        line for p in all_pages(books, month.resident, 1) for line in p.lines
    ]

    assert paged == full
    assert len(full) == 7


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        base64.urlsafe_b64encode(b"1:2").decode(),
        base64.urlsafe_b64encode(b"a:b:c").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe:1:2").decode(),
        base64.urlsafe_b64encode(f"{10**20}:1:0".encode()).decode(),
        base64.urlsafe_b64encode(f"{10**30}:1:0".encode()).decode(),
        "",
    ],
    ids=[
        "garbage",
        "two-parts",
        "letters",
        "not-utf8",
        "year-overflow",
        "time_t-overflow",
        "empty",
    ],
)
def test_a_cursor_this_ledger_did_not_give_is_cursor_invalid(books: Books, cursor: str) -> None:
    wallet = books.wallet("resident:1")
    assert refused(lambda: page(books, wallet, 10, cursor)) is Code.CURSOR_INVALID


@pytest.mark.parametrize("limit", [0, -1, HISTORY_PAGE_MAX + 1])
def test_page_sizes_outside_the_bounds_are_refused(books: Books, limit: int) -> None:
    wallet = books.wallet("resident:1")
    assert refused(lambda: page(books, wallet, limit)) is Code.PAGE_SIZE_INVALID


def test_history_of_an_unknown_account_is_account_not_found(books: Books) -> None:
    assert refused(lambda: page(books, 10**12, 10)) is Code.ACCOUNT_NOT_FOUND


def test_balance_as_of_several_instants(books: Books, clock: FixedClock) -> None:
    month = Month(books, clock)
    before_anything = clock.now() - timedelta(days=1)
    t_topup = clock.now()
    month.topup(1_000)  # at t_topup
    t_pay = clock.now()
    month.pay(300)  # at t_pay = t_topup + 1h
    t_second_topup = clock.now()
    month.topup(500)
    after_all = clock.now() + timedelta(days=1)

    resident = month.resident
    assert as_of(books, resident, before_anything) == 0
    assert as_of(books, resident, t_topup) == 0, "postings at the instant are excluded"
    assert as_of(books, resident, t_topup + timedelta(microseconds=1)) == 1_000
    assert as_of(books, resident, t_pay - timedelta(minutes=1)) == 1_000
    assert as_of(books, resident, t_pay + timedelta(minutes=1)) == 700
    assert as_of(books, resident, t_second_topup + timedelta(seconds=1)) == 1_200
    assert as_of(books, resident, after_all) == 1_200
    # An asset reads on its own normal side: the reserve grew with each top-up.
    assert as_of(books, month.reserve, t_pay) == 1_000
    assert as_of(books, month.reserve, after_all) == 1_500
    assert as_of(books, month.shop, t_second_topup) == 300
