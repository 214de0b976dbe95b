"""Holds: the deposit for booking the city arena, captured, voided or expired."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection

from ledger.accounts import Balance, get_balance
from ledger.chart import Standard
from ledger.entries import EntryRequest, credit, debit, get_entry, post_entry
from ledger.errors import Code, LedgerError
from ledger.holds import (
    Hold,
    HoldStatus,
    capture_hold,
    expire_holds,
    get_hold,
    place_hold,
    void_hold,
)
from ledger.limits import HOLD_TTL_S_MAX
from ledger.lots import LotKind, open_lots
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0, Books

T = TypeVar("T")
HOUR = timedelta(hours=1)


def run(books: Books, work: Callable[[Connection], T]) -> T:
    return run_in_transaction(books.engine, work)


def balance(books: Books, account_id: int) -> Balance:
    return run(books, lambda c: get_balance(c, coin_id=books.coin_id, account_id=account_id))


def topup(books: Books, wallet: int, amount: int) -> None:
    reserve = books.account(Standard.RESERVE_BANK)
    request = EntryRequest("topup", [debit(reserve, amount), credit(wallet, amount)])
    run(books, lambda c: post_entry(c, coin_id=books.coin_id, request=request, posted_at=T0))


def hold(
    books: Books, wallet: int, amount: Any, ttl: timedelta = HOUR, key: str | None = None
) -> Hold:
    return run(
        books,
        lambda c: place_hold(
            c,
            coin_id=books.coin_id,
            account_id=wallet,
            amount=amount,
            at=T0,
            ttl=ttl,
            idempotency_key=key,
        ),
    )


def capture(
    books: Books, hold_id: int, to: int, amount: int | None = None, at: datetime = T0
) -> Any:
    return run(
        books,
        lambda c: capture_hold(
            c, coin_id=books.coin_id, hold_id=hold_id, to_account_id=to, amount=amount, at=at
        ),
    )


def void(books: Books, hold_id: int, at: datetime = T0) -> Hold:
    return run(books, lambda c: void_hold(c, coin_id=books.coin_id, hold_id=hold_id, at=at))


def refused(call: Callable[[], object]) -> Code:
    with pytest.raises(LedgerError) as caught:
        call()
    return caught.value.code


@pytest.fixture
def resident(books: Books) -> int:
    wallet = books.wallet("resident:1")
    topup(books, wallet, 10_000)
    return wallet


@pytest.fixture
def arena(books: Books) -> int:
    return books.wallet("merchant:arena", lots=False, slots=4)


def test_a_deposit_lowers_what_is_available_not_what_is_posted(books: Books, resident: int) -> None:
    deposit = hold(books, resident, 3_000)

    assert deposit.status is HoldStatus.ACTIVE
    assert deposit.amount == 3_000
    assert deposit.expires_at == T0 + HOUR
    assert deposit.closed_at is None
    assert balance(books, resident) == Balance(posted=10_000, held=3_000)
    assert balance(books, resident).available == 7_000


def test_a_payment_cannot_spend_held_coin(books: Books, resident: int, arena: int) -> None:
    hold(books, resident, 3_000)
    request = EntryRequest("payment", [debit(resident, 7_001), credit(arena, 7_001)])

    code = refused(
        lambda: run(
            books, lambda c: post_entry(c, coin_id=books.coin_id, request=request, posted_at=T0)
        )
    )

    assert code is Code.INSUFFICIENT_FUNDS
    assert balance(books, resident) == Balance(posted=10_000, held=3_000)


def test_a_deposit_above_what_is_available_is_refused(books: Books, resident: int) -> None:
    hold(books, resident, 6_000)

    assert refused(lambda: hold(books, resident, 4_001)) is Code.INSUFFICIENT_FUNDS
    assert balance(books, resident) == Balance(posted=10_000, held=6_000)
    hold(books, resident, 4_000)
    assert balance(books, resident).available == 0


def test_full_capture_pays_the_arena(books: Books, resident: int, arena: int) -> None:
    deposit = hold(books, resident, 3_000)

    captured, entry = capture(books, deposit.id, arena)

    assert captured.status is HoldStatus.CAPTURED
    assert captured.captured_amount == 3_000
    assert captured.capture_entry_id == entry.entry_id
    assert captured.closed_at == T0
    assert balance(books, resident) == Balance(posted=7_000, held=0)
    assert balance(books, arena) == Balance(posted=3_000, held=0)
    stored = run(books, lambda c: get_entry(c, coin_id=books.coin_id, entry_id=entry.entry_id))
    assert stored.kind == "hold.capture"
    assert stored.metadata == {"hold_id": deposit.id}


def test_partial_capture_releases_the_rest(books: Books, resident: int, arena: int) -> None:
    deposit = hold(books, resident, 3_000)

    captured, _ = capture(books, deposit.id, arena, amount=1_200)

    assert captured.captured_amount == 1_200
    assert balance(books, resident) == Balance(posted=8_800, held=0)
    assert balance(books, arena).posted == 1_200


def test_capture_with_a_fee_leg(books: Books, resident: int, arena: int) -> None:
    fees = books.account(Standard.REVENUE_FEES)
    deposit = hold(books, resident, 3_000)

    run(
        books,
        lambda c: capture_hold(
            c,
            coin_id=books.coin_id,
            hold_id=deposit.id,
            to_account_id=arena,
            at=T0,
            extra_legs=(debit(arena, 45), credit(fees, 45)),
        ),
    )

    assert [balance(books, a).posted for a in (resident, arena, fees)] == [7_000, 2_955, 45]


def test_capture_spends_points_first_like_any_payment(books: Books, arena: int) -> None:
    resident = books.wallet("resident:2")
    topup(books, resident, 1_000)
    city = books.account(Standard.RECEIVABLE_MUNICIPALITY)
    expires = T0 + timedelta(days=30)
    points = EntryRequest(
        "points.grant",
        [debit(city, 300), credit(resident, 300, lot_kind=LotKind.POINTS, lot_expires_at=expires)],
    )
    run(books, lambda c: post_entry(c, coin_id=books.coin_id, request=points, posted_at=T0))
    deposit = hold(books, resident, 1_200)

    capture(books, deposit.id, arena, amount=700)

    lots = run(books, lambda c: open_lots(c, coin_id=books.coin_id, account_id=resident))
    assert [(lot.kind, lot.remaining) for lot in lots] == [(LotKind.MONEY, 600)]
    assert balance(books, resident) == Balance(posted=600, held=0)


def test_capturing_more_than_the_hold_is_refused(books: Books, resident: int, arena: int) -> None:
    deposit = hold(books, resident, 3_000)

    assert refused(lambda: capture(books, deposit.id, arena, amount=3_001)) is (
        Code.CAPTURE_EXCEEDS_HOLD
    )
    assert refused(lambda: capture(books, deposit.id, arena, amount=0)) is (
        Code.AMOUNT_MUST_BE_POSITIVE
    )

    still = run(books, lambda c: get_hold(c, coin_id=books.coin_id, hold_id=deposit.id))
    assert still.status is HoldStatus.ACTIVE
    assert balance(books, resident) == Balance(posted=10_000, held=3_000)
    assert balance(books, arena).posted == 0


def test_void_releases_the_deposit_and_posts_nothing(
    books: Books, resident: int, arena: int
) -> None:
    deposit = hold(books, resident, 3_000)

    voided = void(books, deposit.id, at=T0 + timedelta(minutes=5))

    assert voided.status is HoldStatus.VOIDED
    assert voided.closed_at == T0 + timedelta(minutes=5)
    assert voided.captured_amount is None
    assert balance(books, resident) == Balance(posted=10_000, held=0)
    assert refused(lambda: capture(books, deposit.id, arena)) is Code.HOLD_NOT_ACTIVE
    assert refused(lambda: void(books, deposit.id)) is Code.HOLD_NOT_ACTIVE
    assert balance(books, arena).posted == 0


def test_a_captured_hold_cannot_be_captured_again(books: Books, resident: int, arena: int) -> None:
    deposit = hold(books, resident, 3_000)
    capture(books, deposit.id, arena, amount=1_000)

    assert refused(lambda: capture(books, deposit.id, arena)) is Code.HOLD_NOT_ACTIVE
    assert balance(books, arena).posted == 1_000


def test_capture_after_the_deadline_is_hold_expired(
    books: Books, resident: int, arena: int
) -> None:
    deposit = hold(books, resident, 3_000)

    assert refused(lambda: capture(books, deposit.id, arena, at=T0 + HOUR)) is Code.HOLD_EXPIRED
    assert balance(books, arena).posted == 0
    assert balance(books, resident).held == 3_000, "released by the sweep, not by the refusal"


def test_the_expiry_sweep_releases_due_holds_only(books: Books, resident: int, arena: int) -> None:
    short = hold(books, resident, 1_000, ttl=HOUR)
    long = hold(books, resident, 2_000, ttl=2 * HOUR)

    assert run(books, lambda c: expire_holds(c, coin_id=books.coin_id, at=T0 + HOUR)) == 1
    assert run(books, lambda c: expire_holds(c, coin_id=books.coin_id, at=T0 + HOUR)) == 0

    expired = run(books, lambda c: get_hold(c, coin_id=books.coin_id, hold_id=short.id))
    assert expired.status is HoldStatus.EXPIRED
    assert expired.closed_at == T0 + HOUR
    assert balance(books, resident) == Balance(posted=10_000, held=2_000)
    assert refused(lambda: capture(books, short.id, arena, at=T0 + HOUR)) is Code.HOLD_NOT_ACTIVE
    capture(books, long.id, arena, at=T0 + HOUR)
    assert balance(books, arena).posted == 2_000


def test_a_retried_deposit_is_placed_once(books: Books, resident: int) -> None:
    first = hold(books, resident, 3_000, key="booking-77")
    again = hold(books, resident, 3_000, key="booking-77")

    assert not first.replayed
    assert again.replayed
    assert again.id == first.id
    assert balance(books, resident).held == 3_000


def test_the_same_key_for_another_deposit_is_refused(books: Books, resident: int) -> None:
    hold(books, resident, 3_000, key="booking-77")

    assert refused(lambda: hold(books, resident, 3_500, key="booking-77")) is (
        Code.IDEMPOTENCY_KEY_REUSED
    )
    assert refused(lambda: hold(books, resident, 3_000, ttl=2 * HOUR, key="booking-77")) is (
        Code.IDEMPOTENCY_KEY_REUSED
    )
    assert balance(books, resident).held == 3_000


@pytest.mark.parametrize(
    "ttl",
    [timedelta(0), -HOUR, timedelta(seconds=HOLD_TTL_S_MAX + 1)],
    ids=["zero", "negative", "too-long"],
)
def test_a_deposit_without_a_sensible_deadline_is_hold_ttl_invalid(
    books: Books, resident: int, ttl: timedelta
) -> None:
    assert refused(lambda: hold(books, resident, 1_000, ttl=ttl)) is Code.HOLD_TTL_INVALID
    assert balance(books, resident).held == 0


@pytest.mark.parametrize("amount", [0, -5, True, 1.5])
def test_a_deposit_of_no_coin_is_refused(books: Books, resident: int, amount: Any) -> None:
    assert refused(lambda: hold(books, resident, amount)) is Code.AMOUNT_MUST_BE_POSITIVE


def test_unknown_holds_and_accounts(books: Books, resident: int, arena: int) -> None:
    assert refused(lambda: capture(books, 10**12, arena)) is Code.HOLD_NOT_FOUND
    assert refused(lambda: hold(books, resident + 10**9, 100)) is Code.ACCOUNT_NOT_FOUND


def test_a_hold_on_a_split_account_sees_the_whole_balance(books: Books, resident: int) -> None:
    arena = books.wallet("merchant:arena2", lots=False, slots=8)
    request = EntryRequest("payment", [debit(resident, 5_000), credit(arena, 5_000)])
    run(books, lambda c: post_entry(c, coin_id=books.coin_id, request=request, posted_at=T0))

    deposit = hold(books, arena, 5_000)

    assert balance(books, arena) == Balance(posted=5_000, held=5_000)
    void(books, deposit.id)
    assert balance(books, arena) == Balance(posted=5_000, held=0)
