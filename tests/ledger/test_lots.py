"""Lots: what a resident's wallet is made of, and in which order it is spent.

A resident holds money (topped up with yen), premium (the city-funded bonus
of a premium voucher) and points (行政ポイント). A payment spends the lot that
expires first; at equal expiry points before premium before money.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection

from ledger.accounts import get_balance
from ledger.chart import Standard
from ledger.clock import FixedClock
from ledger.entries import EntryRequest, PostedEntry, credit, debit, post_entry, transfer
from ledger.errors import Code, LedgerError
from ledger.lots import Lot, LotKind, kind_totals_as_of, open_lots, totals_by_kind
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0, Books

T = TypeVar("T")
MONEY, PREMIUM, POINTS = LotKind.MONEY, LotKind.PREMIUM, LotKind.POINTS
JAN = T0 + timedelta(days=40)
MAR = T0 + timedelta(days=100)
MONEY_ONLY = frozenset({MONEY})


def run(books: Books, work: Callable[[Connection], T]) -> T:
    return run_in_transaction(books.engine, work)


def post(books: Books, request: EntryRequest, at: datetime = T0) -> PostedEntry:
    return run(books, lambda c: post_entry(c, coin_id=books.coin_id, request=request, posted_at=at))


def topup(books: Books, wallet: int, amount: int, at: datetime = T0) -> PostedEntry:
    reserve = books.account(Standard.RESERVE_BANK)
    return post(books, EntryRequest("topup", [debit(reserve, amount), credit(wallet, amount)]), at)


def city_grant(
    books: Books, wallet: int, amount: int, kind: LotKind, expires_at: datetime | None
) -> PostedEntry:
    city = books.account(Standard.RECEIVABLE_MUNICIPALITY)
    legs = [debit(city, amount), credit(wallet, amount, lot_kind=kind, lot_expires_at=expires_at)]
    return post(books, EntryRequest(f"grant.{kind}", legs))


def pay(books: Books, src: int, dst: int, amount: int, **lot: Any) -> PostedEntry:
    legs = [debit(src, amount, **lot), credit(dst, amount)]
    return post(books, EntryRequest("payment", legs))


def lots_of(books: Books, wallet: int) -> list[tuple[LotKind, datetime | None, int]]:
    lots = run(books, lambda c: open_lots(c, coin_id=books.coin_id, account_id=wallet))
    return [(lot.kind, lot.expires_at, lot.remaining) for lot in lots]


def raw_lots(books: Books, wallet: int) -> list[Lot]:
    return run(books, lambda c: open_lots(c, coin_id=books.coin_id, account_id=wallet))


def posted(books: Books, account_id: int) -> int:
    return run(books, lambda c: get_balance(c, coin_id=books.coin_id, account_id=account_id)).posted


def assert_lots_equal_balance(books: Books, wallet: int) -> None:
    assert sum(lot.remaining for lot in raw_lots(books, wallet)) == posted(books, wallet)


@pytest.fixture
def resident(books: Books) -> int:
    return books.wallet("resident:1")


@pytest.fixture
def shop(books: Books) -> int:
    return books.wallet("merchant:1", lots=False)


def test_a_topup_is_one_money_lot_that_never_expires(books: Books, resident: int) -> None:
    topup(books, resident, 1_000)
    topup(books, resident, 500)

    # Credits of one kind and one expiry add to the same lot.
    assert lots_of(books, resident) == [(MONEY, None, 1_500)]


def test_the_lot_expiring_first_is_spent_first(books: Books, resident: int, shop: int) -> None:
    topup(books, resident, 1_000)
    city_grant(books, resident, 300, POINTS, MAR)
    city_grant(books, resident, 200, PREMIUM, JAN)

    # Premium expires in January, before the March points: it goes first, even
    # though points usually go before premium.
    pay(books, resident, shop, 250)

    assert lots_of(books, resident) == [(POINTS, MAR, 250), (MONEY, None, 1_000)]
    assert_lots_equal_balance(books, resident)


def test_at_equal_expiry_points_go_before_premium_before_money(
    books: Books, resident: int, shop: int
) -> None:
    city_grant(books, resident, 100, MONEY, JAN)
    city_grant(books, resident, 100, PREMIUM, JAN)
    city_grant(books, resident, 100, POINTS, JAN)
    assert lots_of(books, resident) == [(POINTS, JAN, 100), (PREMIUM, JAN, 100), (MONEY, JAN, 100)]

    pay(books, resident, shop, 150)
    assert lots_of(books, resident) == [(PREMIUM, JAN, 50), (MONEY, JAN, 100)]

    pay(books, resident, shop, 100)
    assert lots_of(books, resident) == [(MONEY, JAN, 50)]
    assert_lots_equal_balance(books, resident)


def test_money_that_never_expires_is_spent_last(books: Books, resident: int, shop: int) -> None:
    topup(books, resident, 1_000)
    city_grant(books, resident, 300, POINTS, MAR)

    pay(books, resident, shop, 400)

    assert lots_of(books, resident) == [(MONEY, None, 900)]


def test_a_transfer_between_people_spends_money_only(books: Books, resident: int) -> None:
    daughter = books.wallet("resident:2")
    topup(books, resident, 1_000)
    city_grant(books, resident, 300, POINTS, JAN)

    pay(books, resident, daughter, 900, spend_kinds=MONEY_ONLY)

    # The points stay with the resident although they expire first.
    assert lots_of(books, resident) == [(POINTS, JAN, 300), (MONEY, None, 100)]
    assert lots_of(books, daughter) == [(MONEY, None, 900)]


def test_a_money_only_transfer_beyond_the_money_is_refused(books: Books, resident: int) -> None:
    daughter = books.wallet("resident:2")
    topup(books, resident, 1_000)
    city_grant(books, resident, 300, POINTS, JAN)
    before = lots_of(books, resident)

    # The wallet holds 1,300, but only 1,000 of it may go to another person.
    with pytest.raises(LedgerError) as caught:
        pay(books, resident, daughter, 1_001, spend_kinds=MONEY_ONLY)

    assert caught.value.code is Code.INSUFFICIENT_FUNDS
    assert lots_of(books, resident) == before
    assert posted(books, resident) == 1_300
    assert posted(books, daughter) == 0
    assert lots_of(books, daughter) == []


def test_a_debit_naming_a_lot_spends_that_lot_only(books: Books, resident: int, shop: int) -> None:
    topup(books, resident, 1_000)
    city_grant(books, resident, 300, POINTS, JAN)
    money_lot = next(lot for lot in raw_lots(books, resident) if lot.kind is MONEY)

    pay(books, resident, shop, 200, lot_id=money_lot.id)
    assert lots_of(books, resident) == [(POINTS, JAN, 300), (MONEY, None, 800)]

    with pytest.raises(LedgerError) as caught:
        pay(books, resident, shop, 801, lot_id=money_lot.id)
    assert caught.value.code is Code.INSUFFICIENT_FUNDS


def test_a_partial_refund_gives_back_money_first_and_points_last(
    books: Books, resident: int, shop: int
) -> None:
    topup(books, resident, 1_000)
    city_grant(books, resident, 300, POINTS, JAN)
    paid = pay(books, resident, shop, 500)  # 300 points, then 200 money
    assert lots_of(books, resident) == [(MONEY, None, 800)]

    refund = transfer(
        from_account=shop, to_account=resident, amount=250, lot_entry_id=paid.entry_id
    )
    post(books, EntryRequest("refund", refund))

    assert lots_of(books, resident) == [(POINTS, JAN, 50), (MONEY, None, 1_000)]
    assert_lots_equal_balance(books, resident)


def test_lots_always_sum_to_the_balance(books: Books, resident: int, shop: int) -> None:
    daughter = books.wallet("resident:2")
    topup(books, resident, 10_000)
    city_grant(books, resident, 2_000, PREMIUM, MAR)
    city_grant(books, resident, 500, POINTS, JAN)
    paid = pay(books, resident, shop, 3_100)
    pay(books, resident, daughter, 4_000, spend_kinds=MONEY_ONLY)
    post(
        books,
        EntryRequest(
            "refund",
            transfer(
                from_account=shop, to_account=resident, amount=1_000, lot_entry_id=paid.entry_id
            ),
        ),
    )
    pay(books, daughter, shop, 1_234)

    for wallet in (resident, daughter):
        assert_lots_equal_balance(books, wallet)
    totals = totals_by_kind(raw_lots(books, resident))
    assert sum(totals.values()) == posted(books, resident) == 10_000 + 2_500 - 3_100 - 4_000 + 1_000
    # The payment took the 500 points, the 2,000 premium and 600 money; the
    # refund gave back the money first (600), then premium (400).
    assert totals == {MONEY: 6_000, PREMIUM: 400, POINTS: 0}


def test_kind_totals_as_of_ignore_later_activity(
    books: Books, resident: int, shop: int, clock: FixedClock
) -> None:
    topup(books, resident, 1_000, at=clock.now())
    city_grant(books, resident, 300, POINTS, JAN)
    clock.advance(timedelta(hours=1))
    base_date = clock.now()
    clock.advance(timedelta(hours=1))
    city_grant_at = clock.now()
    city = books.account(Standard.RECEIVABLE_MUNICIPALITY)
    post(
        books,
        EntryRequest(
            "grant.premium",
            [debit(city, 2_000), credit(resident, 2_000, lot_kind=PREMIUM, lot_expires_at=MAR)],
        ),
        city_grant_at,
    )

    def totals(at: datetime) -> dict[LotKind, int]:
        return run(books, lambda c: kind_totals_as_of(c, coin_id=books.coin_id, at=at))

    first = totals(base_date)
    assert first == {MONEY: 1_000, PREMIUM: 0, POINTS: 300}
    assert totals(T0) == {MONEY: 0, PREMIUM: 0, POINTS: 0}, "postings at the instant are excluded"

    clock.advance(timedelta(hours=1))
    post(books, EntryRequest("payment", [debit(resident, 2_500), credit(shop, 2_500)]), clock.now())

    assert totals(base_date) == first
    assert totals(city_grant_at + timedelta(microseconds=1)) == {
        MONEY: 1_000,
        PREMIUM: 2_000,
        POINTS: 300,
    }
    assert totals(clock.now() + timedelta(seconds=1)) == {MONEY: 800, PREMIUM: 0, POINTS: 0}
