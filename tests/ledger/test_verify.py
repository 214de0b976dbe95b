"""verify_coin: what ``localcoin ledger verify`` reports on a coin's books."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Connection, text

from ledger.chain import seal
from ledger.chart import CHART, Standard
from ledger.entries import (
    EntryRequest,
    PostedEntry,
    credit,
    debit,
    post_batch,
    post_entry,
    reverse_entry,
)
from ledger.expiry import expire_lots
from ledger.holds import capture_hold, place_hold
from ledger.lots import LotKind
from ledger.unit_of_work import run_in_transaction
from ledger.verify import CoinReport, verify_coin
from tests.conftest import T0, Books

T = TypeVar("T")
CHECKS = [
    "entries_balance",
    "balances_equal_postings",
    "no_forbidden_negative",
    "held_equals_active_holds",
    "lots_equal_movements",
    "lots_equal_balances",
    "hash_chain",
]


def run(books: Books, work: Callable[[Connection], T]) -> T:
    return run_in_transaction(books.engine, work)


def post(books: Books, request: EntryRequest, at: datetime = T0) -> PostedEntry:
    return run(books, lambda c: post_entry(c, coin_id=books.coin_id, request=request, posted_at=at))


def verify(books: Books) -> CoinReport:
    return run(books, lambda c: verify_coin(c, coin_id=books.coin_id))


def failing(report: CoinReport) -> set[str]:
    return {name for name, check in report.checks.items() if not check.ok}


def a_month(books: Books) -> dict[str, int]:
    """Top-ups, points, a payment, a booking deposit captured in part, a
    reversal, a batch, and a points expiry. Returns the wallets."""
    resident = books.wallet("resident:1")
    neighbour = books.wallet("resident:2")
    arena = books.wallet("merchant:arena", lots=False, slots=4)
    reserve = books.account(Standard.RESERVE_BANK)
    city = books.account(Standard.RECEIVABLE_MUNICIPALITY)
    breakage = books.account(Standard.REVENUE_BREAKAGE)
    expires = T0 + timedelta(days=30)

    for wallet in (resident, neighbour):  # 2 entries, 4 postings
        post(books, EntryRequest("topup", [debit(reserve, 5_000), credit(wallet, 5_000)]))
    points = [  # 1 entry, 2 postings
        debit(city, 300),
        credit(resident, 300, lot_kind=LotKind.POINTS, lot_expires_at=expires),
    ]
    post(books, EntryRequest("points.grant", points))
    paid = post(  # 1 entry, 2 postings
        books, EntryRequest("payment", [debit(neighbour, 1_000), credit(arena, 1_000)])
    )
    run(  # 1 entry, 2 postings
        books,
        lambda c: reverse_entry(c, coin_id=books.coin_id, entry_id=paid.entry_id, posted_at=T0),
    )

    def deposit(conn: Connection) -> None:  # 1 entry, 2 postings; one hold
        held = place_hold(
            conn,
            coin_id=books.coin_id,
            account_id=resident,
            amount=2_000,
            at=T0,
            ttl=timedelta(hours=1),
        )
        capture_hold(
            conn, coin_id=books.coin_id, hold_id=held.id, to_account_id=arena, amount=1_500, at=T0
        )

    run(books, deposit)
    place_for_later = run(  # a second hold, left active
        books,
        lambda c: place_hold(
            c, coin_id=books.coin_id, account_id=neighbour, amount=700, at=T0, ttl=timedelta(days=1)
        ),
    )
    assert place_for_later.amount == 700
    batch = [  # 3 entries, 6 postings
        EntryRequest("payment", [debit(w, 100), credit(arena, 100)])
        for w in (resident, neighbour, resident)
    ]
    run(books, lambda c: post_batch(c, coin_id=books.coin_id, requests=batch, posted_at=T0))
    expired = run(  # the 300 points went in the capture: nothing left to expire
        books,
        lambda c: expire_lots(
            c, coin_id=books.coin_id, as_of=expires, at=expires, breakage_account_id=breakage
        ),
    )
    assert expired == []
    return {"resident": resident, "neighbour": neighbour, "arena": arena}


def test_verify_passes_on_a_months_clean_books_with_the_figures_right(books: Books) -> None:
    wallets = a_month(books)
    assert run(books, lambda c: seal(c, coin_id=books.coin_id, at=T0, limit=5)) == 5
    # One more entry after the seal: counted, not yet sealed.
    resident, arena = wallets["resident"], wallets["arena"]
    post(books, EntryRequest("payment", [debit(resident, 1), credit(arena, 1)]))

    report = verify(books)

    assert report.ok, report.as_dict()
    assert report.coin_id == books.coin_id
    assert report.entries == 2 + 1 + 1 + 1 + 1 + 3 + 1
    assert report.postings == 2 * report.entries
    assert report.accounts == len(CHART) + 3
    assert report.sealed == 5
    assert report.unsealed == report.entries - 5
    assert list(report.checks) == CHECKS
    assert report.checks["entries_balance"].checked == report.entries
    assert report.checks["held_equals_active_holds"].checked == 2
    assert report.checks["lots_equal_balances"].checked == 2
    assert report.checks["hash_chain"].checked == 5
    figures = report.as_dict()
    assert figures["ok"] is True
    assert figures["entries"] == report.entries
    assert all(check["failure_count"] == 0 for check in figures["checks"].values())


def test_verify_on_a_new_coin_reads_nothing_and_passes(books: Books) -> None:
    report = verify(books)

    assert report.ok
    assert (report.entries, report.postings, report.sealed, report.unsealed) == (0, 0, 0, 0)
    assert report.accounts == len(CHART)


def test_verify_reports_a_cached_balance_that_drifted_from_the_postings(books: Books) -> None:
    wallets = a_month(books)
    arena = wallets["arena"]

    # The balance rows are a cache the schema lets a superuser edit; verify
    # must not trust them.
    run(
        books,
        lambda c: c.execute(
            text(
                "UPDATE account_balances SET posted = posted + 1"
                " WHERE coin_id = :c AND account_id = :a AND slot = 1"
            ),
            {"c": books.coin_id, "a": arena},
        ),
    )
    report = verify(books)

    assert not report.ok
    assert failing(report) == {"balances_equal_postings"}
    check = report.checks["balances_equal_postings"]
    assert check.failure_count == 1
    assert f"account {arena} caches" in check.failures[0]


def test_verify_reports_held_coin_no_hold_accounts_for(books: Books) -> None:
    wallets = a_month(books)
    resident = wallets["resident"]

    run(
        books,
        lambda c: c.execute(
            text(
                "UPDATE account_balances SET held = held + 50"
                " WHERE coin_id = :c AND account_id = :a AND slot = 0"
            ),
            {"c": books.coin_id, "a": resident},
        ),
    )
    report = verify(books)

    assert failing(report) == {"held_equals_active_holds"}
    assert report.checks["held_equals_active_holds"].failure_count == 1


def test_verify_reports_lots_that_no_longer_match_the_wallet(books: Books) -> None:
    wallets = a_month(books)
    resident = wallets["resident"]

    run(
        books,
        lambda c: c.execute(
            text(
                "UPDATE lots SET remaining = remaining + 7"
                " WHERE coin_id = :c AND account_id = :a AND kind = 'money'"
            ),
            {"c": books.coin_id, "a": resident},
        ),
    )
    report = verify(books)

    assert failing(report) == {"lots_equal_movements", "lots_equal_balances"}
    assert f"wallet {resident} has balance" in report.checks["lots_equal_balances"].failures[0]
