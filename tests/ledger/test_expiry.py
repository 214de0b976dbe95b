"""The expiry sweep: city points left unused past their date go to breakage."""

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Connection, text

from ledger.accounts import get_balance
from ledger.chart import Standard
from ledger.entries import EntryRequest, PostedEntry, credit, debit, get_entry, post_entry
from ledger.expiry import expire_lots
from ledger.holds import place_hold, void_hold
from ledger.lots import ExpiredLot, LotKind, kind_totals_as_of, open_lots
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0, Books

T = TypeVar("T")
MONEY, PREMIUM, POINTS = LotKind.MONEY, LotKind.PREMIUM, LotKind.POINTS
DUE = T0 + timedelta(days=60)  # the hold below (90 days) outlives it
AFTER = DUE + timedelta(hours=1)


def run(books: Books, work: Callable[[Connection], T]) -> T:
    return run_in_transaction(books.engine, work)


def post(books: Books, request: EntryRequest, at: datetime = T0) -> PostedEntry:
    return run(books, lambda c: post_entry(c, coin_id=books.coin_id, request=request, posted_at=at))


def topup(books: Books, wallet: int, amount: int) -> PostedEntry:
    reserve = books.account(Standard.RESERVE_BANK)
    return post(books, EntryRequest("topup", [debit(reserve, amount), credit(wallet, amount)]))


def grant(
    books: Books,
    wallet: int,
    amount: int,
    kind: LotKind = POINTS,
    expires_at: datetime = DUE,
) -> PostedEntry:
    city = books.account(Standard.RECEIVABLE_MUNICIPALITY)
    legs = [debit(city, amount), credit(wallet, amount, lot_kind=kind, lot_expires_at=expires_at)]
    return post(books, EntryRequest("points.grant", legs))


def pay(books: Books, src: int, dst: int, amount: int) -> PostedEntry:
    return post(books, EntryRequest("payment", [debit(src, amount), credit(dst, amount)]))


def sweep(books: Books, as_of: datetime = DUE, at: datetime = AFTER, **kw: int) -> list[ExpiredLot]:
    breakage = books.account(Standard.REVENUE_BREAKAGE)
    return run(
        books,
        lambda c: expire_lots(
            c, coin_id=books.coin_id, as_of=as_of, at=at, breakage_account_id=breakage, **kw
        ),
    )


def lots_of(books: Books, wallet: int) -> list[tuple[LotKind, int]]:
    lots = run(books, lambda c: open_lots(c, coin_id=books.coin_id, account_id=wallet))
    return [(lot.kind, lot.remaining) for lot in lots]


def posted(books: Books, account_id: int) -> int:
    return run(books, lambda c: get_balance(c, coin_id=books.coin_id, account_id=account_id)).posted


def test_unused_points_move_to_breakage_at_their_date(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    breakage = books.account(Standard.REVENUE_BREAKAGE)
    topup(books, resident, 1_000)
    grant(books, resident, 300)
    pay(books, resident, shop, 100)  # spends points first: 200 of them are left

    expired = sweep(books)

    assert [(e.account_id, e.amount) for e in expired] == [(resident, 200)]
    assert lots_of(books, resident) == [(MONEY, 1_000)]
    assert posted(books, resident) == 1_000
    assert posted(books, breakage) == 200
    entry = run(books, lambda c: get_entry(c, coin_id=books.coin_id, entry_id=expired[0].entry_id))
    assert entry.kind == "lot.expired"
    assert entry.posted_at == AFTER, "posted when the sweep ran, not back-dated"
    assert entry.metadata == {"lot_id": expired[0].lot_id}
    assert {(p.account_id, p.amount) for p in entry.postings} == {(resident, 200), (breakage, -200)}


def test_lots_not_yet_due_are_left_alone(books: Books) -> None:
    resident = books.wallet("resident:1")
    grant(books, resident, 300)
    grant(books, resident, 500, PREMIUM, DUE + timedelta(days=31))

    assert sweep(books, as_of=DUE - timedelta(seconds=1)) == []
    expired = sweep(books)  # a lot expiring exactly at as_of is due

    assert [e.amount for e in expired] == [300]
    assert lots_of(books, resident) == [(PREMIUM, 500)]


def test_a_second_sweep_changes_nothing(books: Books) -> None:
    resident = books.wallet("resident:1")
    breakage = books.account(Standard.REVENUE_BREAKAGE)
    grant(books, resident, 300)
    assert len(sweep(books)) == 1

    assert sweep(books) == []
    assert sweep(books, as_of=AFTER, at=AFTER + timedelta(days=1)) == []

    assert posted(books, resident) == 0
    assert posted(books, breakage) == 300
    entries = run(
        books,
        lambda c: c.execute(
            text("SELECT count(*) FROM entries WHERE coin_id = :c AND kind = 'lot.expired'"),
            {"c": books.coin_id},
        ).scalar_one(),
    )
    assert entries == 1


def test_the_sweep_never_takes_what_a_booking_deposit_holds(books: Books) -> None:
    resident = books.wallet("resident:1")
    breakage = books.account(Standard.REVENUE_BREAKAGE)
    grant(books, resident, 300)
    deposit = run(
        books,
        lambda c: place_hold(
            c,
            coin_id=books.coin_id,
            account_id=resident,
            amount=200,
            at=T0,
            ttl=timedelta(days=90),
        ),
    )

    first = sweep(books)

    assert [e.amount for e in first] == [100], "only the available part expires"
    assert posted(books, resident) == 200
    balance = run(books, lambda c: get_balance(c, coin_id=books.coin_id, account_id=resident))
    assert balance.available == 0

    run(books, lambda c: void_hold(c, coin_id=books.coin_id, hold_id=deposit.id, at=AFTER))
    second = sweep(books, at=AFTER + timedelta(hours=1))

    assert [e.amount for e in second] == [200]
    assert posted(books, resident) == 0
    assert posted(books, breakage) == 300


def test_money_held_by_a_deposit_shields_expiring_points_only_as_far_as_needed(
    books: Books,
) -> None:
    resident = books.wallet("resident:1")
    topup(books, resident, 1_000)
    grant(books, resident, 300)
    run(
        books,
        lambda c: place_hold(
            c,
            coin_id=books.coin_id,
            account_id=resident,
            amount=1_100,
            at=T0,
            ttl=timedelta(days=90),
        ),
    )

    expired = sweep(books)

    # 1,300 posted, 1,100 held: 200 of the points may expire, 100 stay for the deposit.
    assert [e.amount for e in expired] == [200]
    assert lots_of(books, resident) == [(POINTS, 100), (MONEY, 1_000)]


def test_a_sweep_limited_to_one_wallet_or_a_few_lots(books: Books) -> None:
    residents = [books.wallet(f"resident:{i}") for i in range(3)]
    for resident in residents:
        grant(books, resident, 100)

    only = sweep(books, account_id=residents[1])
    assert [e.account_id for e in only] == [residents[1]]

    some = sweep(books, limit=1)
    assert [e.account_id for e in some] == [residents[0]]
    rest = sweep(books)
    assert [e.account_id for e in rest] == [residents[2]]


def test_the_unused_balance_report_sees_the_expiry_only_after_it(books: Books) -> None:
    resident = books.wallet("resident:1")
    topup(books, resident, 1_000)
    grant(books, resident, 300)
    sweep(books)

    def totals(at: datetime) -> dict[LotKind, int]:
        return run(books, lambda c: kind_totals_as_of(c, coin_id=books.coin_id, at=at))

    assert totals(AFTER) == {MONEY: 1_000, PREMIUM: 0, POINTS: 300}
    assert totals(AFTER + timedelta(microseconds=1)) == {MONEY: 1_000, PREMIUM: 0, POINTS: 0}


def test_a_payment_committed_while_the_sweep_waits_is_not_expired_twice(books: Books) -> None:
    """The sweep reads the lots, then waits for the wallet's lock; a payment
    that spends the points meanwhile must not make the sweep fail or take more."""
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    breakage = books.account(Standard.REVENUE_BREAKAGE)
    topup(books, resident, 1_000)
    grant(books, resident, 300)

    payer = books.engine.connect()
    outcome: dict[str, object] = {}
    try:
        payer.begin()
        post_entry(
            payer,
            coin_id=books.coin_id,
            request=EntryRequest("payment", [debit(resident, 250), credit(shop, 250)]),
            posted_at=T0,
        )

        def run_sweep() -> None:
            try:
                outcome["expired"] = sweep(books)
            except Exception as error:
                outcome["error"] = error

        sweeper = threading.Thread(target=run_sweep)
        sweeper.start()
        _wait_until_blocked(books, payer)
        payer.commit()
        sweeper.join(timeout=30)
    finally:
        payer.close()

    assert "error" not in outcome, outcome.get("error")
    expired = outcome["expired"]
    assert isinstance(expired, list)
    assert [e.amount for e in expired] == [50]
    assert lots_of(books, resident) == [(MONEY, 1_000)]
    assert posted(books, breakage) == 50


def _wait_until_blocked(books: Books, holder: Connection) -> None:
    """Waits until some backend is blocked by ``holder``'s locks."""
    pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    with books.engine.connect() as watcher:
        for _ in range(500):
            blocked = watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
                ),
                {"pid": pid},
            ).scalar_one()
            watcher.rollback()
            if blocked:
                return
            time.sleep(0.01)
    raise AssertionError("the sweep never waited for the payment")
