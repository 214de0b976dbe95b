"""Entries: posting, refusals, idempotency, batches, reversals and hot accounts.

Scenarios follow a resident of the test coin: a top-up at the bank counter,
city points, a payment at a shop, and the shop's own books.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, text

from ledger.accounts import Balance, get_balance, get_balances
from ledger.chart import Standard
from ledger.entries import (
    EntryRequest,
    Leg,
    PostedEntry,
    PostResult,
    check_legs,
    credit,
    debit,
    get_entry,
    post_batch,
    post_batch_now,
    post_entry,
    post_entry_now,
    reverse_entry,
    transfer,
)
from ledger.errors import Code, LedgerError
from ledger.limits import AMOUNT_MAX, BATCH_ENTRIES_MAX, POSTINGS_PER_ENTRY_MAX
from ledger.lots import Lot, LotKind, open_lots
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0, Books, new_books

T = TypeVar("T")
POINTS_EXPIRE = T0 + timedelta(days=30)


def run(books: Books, work: Callable[[Connection], T]) -> T:
    return run_in_transaction(books.engine, work)


def post(books: Books, request: EntryRequest, at: datetime = T0) -> Any:
    return run(books, lambda c: post_entry(c, coin_id=books.coin_id, request=request, posted_at=at))


def balance(books: Books, account_id: int) -> Balance:
    return run(books, lambda c: get_balance(c, coin_id=books.coin_id, account_id=account_id))


def posted(books: Books, *account_ids: int) -> list[int]:
    return [balance(books, a).posted for a in account_ids]


def entry_count(books: Books) -> int:
    return int(
        run(
            books,
            lambda c: c.execute(
                text("SELECT count(*) FROM entries WHERE coin_id = :c"), {"c": books.coin_id}
            ).scalar_one(),
        )
    )


def topup(books: Books, wallet: int, amount: int, *, key: str | None = None) -> Any:
    reserve = books.account(Standard.RESERVE_BANK)
    return post(
        books,
        EntryRequest("topup.counter", [debit(reserve, amount), credit(wallet, amount)], key),
    )


def grant_points(books: Books, wallet: int, amount: int, expires_at: datetime) -> Any:
    city = books.account(Standard.RECEIVABLE_MUNICIPALITY)
    legs = [
        debit(city, amount),
        credit(wallet, amount, lot_kind=LotKind.POINTS, lot_expires_at=expires_at),
    ]
    return post(books, EntryRequest("points.grant", legs))


def payment(src: int, dst: int, amount: int, key: str | None = None) -> EntryRequest:
    return EntryRequest("payment", transfer(from_account=src, to_account=dst, amount=amount), key)


def pay(books: Books, src: int, dst: int, amount: int) -> Any:
    return post(books, payment(src, dst, amount))


def lots_of(books: Books, wallet: int) -> list[Lot]:
    return run(books, lambda c: open_lots(c, coin_id=books.coin_id, account_id=wallet))


def refusal(books: Books, request: EntryRequest) -> Code:
    with pytest.raises(LedgerError) as caught:
        post(books, request)
    return caught.value.code


# --- posting and balances -------------------------------------------------


def test_counter_topup_shows_on_the_normal_side_of_both_accounts(books: Books) -> None:
    resident = books.wallet("resident:1")
    reserve = books.account(Standard.RESERVE_BANK)

    result = topup(books, resident, 1_000)

    assert result.result is PostResult.CREATED
    # The reserve is an asset (debit-normal), the wallet a liability (credit-normal):
    # both show +1,000, not one of them -1,000.
    assert balance(books, reserve) == Balance(posted=1_000, held=0)
    assert balance(books, resident) == Balance(posted=1_000, held=0)


def test_payment_moves_coin_from_resident_to_shop(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    topup(books, resident, 1_000)

    paid = pay(books, resident, shop, 500)

    assert posted(books, resident, shop) == [500, 500]
    entry = run(books, lambda c: get_entry(c, coin_id=books.coin_id, entry_id=paid.entry_id))
    assert entry.kind == "payment"
    assert entry.posted_at == T0
    assert [(p.account_id, p.amount) for p in entry.postings] == [(resident, 500), (shop, -500)]
    assert sum(p.amount for p in entry.postings) == 0


def test_payment_with_a_fee_splits_the_credit_in_three_legs(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    fees = books.account(Standard.REVENUE_FEES)
    topup(books, resident, 1_000)

    post(
        books,
        EntryRequest("payment", [debit(resident, 1_000), credit(shop, 982), credit(fees, 18)]),
    )

    assert posted(books, resident, shop, fees) == [0, 982, 18]


def test_entry_kind_and_metadata_are_kept(books: Books) -> None:
    resident = books.wallet("resident:1")
    reserve = books.account(Standard.RESERVE_BANK)
    request = EntryRequest(
        "topup.counter",
        [debit(reserve, 1_000), credit(resident, 1_000)],
        metadata={"branch": "Takayama", "slip": 17},
    )

    done = post(books, request)

    entry = run(books, lambda c: get_entry(c, coin_id=books.coin_id, entry_id=done.entry_id))
    assert entry.metadata == {"branch": "Takayama", "slip": 17}


def test_unknown_entry_is_entry_not_found(books: Books) -> None:
    with pytest.raises(LedgerError) as caught:
        run(books, lambda c: get_entry(c, coin_id=books.coin_id, entry_id=-1))
    assert caught.value.code is Code.ENTRY_NOT_FOUND


# --- check_legs: one refusal per code ------------------------------------


def legs_of(*amounts: int) -> list[Leg]:
    return [Leg(account_id=i + 1, amount=a) for i, a in enumerate(amounts)]


def refused(legs: list[Leg]) -> Code:
    with pytest.raises(LedgerError) as caught:
        check_legs(legs)
    return caught.value.code


def test_a_single_leg_is_postings_too_few() -> None:
    assert refused([]) is Code.POSTINGS_TOO_FEW
    assert refused(legs_of(100)) is Code.POSTINGS_TOO_FEW


def test_more_legs_than_the_limit_is_postings_too_many() -> None:
    fits = [*legs_of(*([1] * (POSTINGS_PER_ENTRY_MAX - 1))), Leg(99, -(POSTINGS_PER_ENTRY_MAX - 1))]
    check_legs(fits)
    too_many = [*legs_of(*([1] * POSTINGS_PER_ENTRY_MAX)), Leg(99, -POSTINGS_PER_ENTRY_MAX)]
    assert refused(too_many) is Code.POSTINGS_TOO_MANY


def test_legs_that_do_not_sum_to_zero_are_entry_unbalanced() -> None:
    assert refused(legs_of(1_000, -999)) is Code.ENTRY_UNBALANCED
    assert refused(legs_of(500, 500, -999)) is Code.ENTRY_UNBALANCED


@pytest.mark.parametrize("amount", [0, True, 1.0, 500.0], ids=["zero", "bool", "float", "float500"])
def test_zero_bool_and_float_amounts_are_amount_must_be_positive(amount: Any) -> None:
    assert refused([Leg(1, amount), Leg(2, -500)]) is Code.AMOUNT_MUST_BE_POSITIVE


def test_an_amount_above_the_max_is_amount_exceeds_max() -> None:
    check_legs(legs_of(AMOUNT_MAX, -AMOUNT_MAX))
    assert refused(legs_of(AMOUNT_MAX + 1, -AMOUNT_MAX - 1)) is Code.AMOUNT_EXCEEDS_MAX
    assert refused(legs_of(-AMOUNT_MAX - 1, AMOUNT_MAX + 1)) is Code.AMOUNT_EXCEEDS_MAX


@pytest.mark.parametrize(
    "leg",
    [
        debit(1, 100, lot_kind=LotKind.POINTS),
        debit(1, 100, lot_expires_at=POINTS_EXPIRE),
        credit(1, 100, spend_kinds=frozenset({LotKind.MONEY})),
        credit(1, 100, lot_id=7),
        debit(1, 100, spend_kinds=frozenset()),
        credit(1, 100, lot_kind=LotKind.POINTS, lot_expires_at=datetime(2026, 12, 31)),
    ],
    ids=[
        "debit-names-kind",
        "debit-names-expiry",
        "credit-names-spend-kinds",
        "credit-names-lot",
        "empty-spend-kinds",
        "naive-expiry",
    ],
)
def test_misplaced_lot_fields_are_lot_spec_invalid(leg: Leg) -> None:
    other = Leg(2, -leg.amount)
    assert refused([leg, other]) is Code.LOT_SPEC_INVALID


def test_refused_legs_touch_no_database(books: Books) -> None:
    resident = books.wallet("resident:1")
    reserve = books.account(Standard.RESERVE_BANK)

    assert refusal(
        books, EntryRequest("topup", [debit(reserve, 1_000), credit(resident, 999)])
    ) is (Code.ENTRY_UNBALANCED)
    assert refusal(books, EntryRequest("topup", [debit(reserve, 0), credit(resident, 0)])) is (
        Code.AMOUNT_MUST_BE_POSITIVE
    )
    assert refusal(books, EntryRequest("", [debit(reserve, 1), credit(resident, 1)])) is (
        Code.KIND_INVALID
    )
    big = {"note": "x" * 5_000}
    assert (
        refusal(
            books, EntryRequest("topup", [debit(reserve, 1), credit(resident, 1)], metadata=big)
        )
        is Code.METADATA_TOO_LARGE
    )
    assert entry_count(books) == 0
    assert posted(books, reserve, resident) == [0, 0]


def test_a_leg_naming_an_unknown_account_is_account_not_found(books: Books) -> None:
    resident = books.wallet("resident:1")
    reserve = books.account(Standard.RESERVE_BANK)
    missing = resident + 1_000_000

    code = refusal(books, EntryRequest("topup", [debit(reserve, 100), credit(missing, 100)]))

    assert code is Code.ACCOUNT_NOT_FOUND
    assert entry_count(books) == 0
    assert posted(books, reserve, resident) == [0, 0]


# --- insufficient funds ---------------------------------------------------


def test_paying_more_than_the_wallet_holds_leaves_everything_unchanged(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    topup(books, resident, 1_000)
    grant_points(books, resident, 300, POINTS_EXPIRE)
    lots_before = lots_of(books, resident)
    entries_before = entry_count(books)

    code = refusal(books, payment(resident, shop, 1_301))

    assert code is Code.INSUFFICIENT_FUNDS
    assert posted(books, resident, shop) == [1_300, 0]
    assert lots_of(books, resident) == lots_before
    assert entry_count(books) == entries_before


def test_spending_exactly_the_balance_empties_the_wallet(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    topup(books, resident, 1_000)

    pay(books, resident, shop, 1_000)

    assert posted(books, resident, shop) == [0, 1_000]
    assert lots_of(books, resident) == []


def test_the_shop_cannot_refund_more_than_it_holds(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    topup(books, resident, 1_000)
    pay(books, resident, shop, 400)

    refund = EntryRequest("refund", transfer(from_account=shop, to_account=resident, amount=401))
    code = refusal(books, refund)

    assert code is Code.INSUFFICIENT_FUNDS
    assert posted(books, resident, shop) == [600, 400]


# --- idempotency ----------------------------------------------------------


def test_a_retried_topup_returns_the_first_entry_and_moves_nothing(books: Books) -> None:
    resident = books.wallet("resident:1")

    first = topup(books, resident, 1_000, key="counter-slip-0001")
    again = topup(books, resident, 1_000, key="counter-slip-0001")

    assert first.result is PostResult.CREATED
    assert again.result is PostResult.REPLAYED
    assert again.entry_id == first.entry_id
    assert posted(books, resident) == [1_000]
    assert entry_count(books) == 1


def test_the_same_key_for_a_different_topup_is_idempotency_key_reused(books: Books) -> None:
    resident = books.wallet("resident:1")
    topup(books, resident, 1_000, key="counter-slip-0001")

    with pytest.raises(LedgerError) as caught:
        topup(books, resident, 999, key="counter-slip-0001")

    assert caught.value.code is Code.IDEMPOTENCY_KEY_REUSED
    assert posted(books, resident) == [1_000]
    assert entry_count(books) == 1


def test_different_metadata_under_the_same_key_is_a_different_request(books: Books) -> None:
    resident = books.wallet("resident:1")
    reserve = books.account(Standard.RESERVE_BANK)
    legs = [debit(reserve, 1_000), credit(resident, 1_000)]
    post(books, EntryRequest("topup", legs, "k-1", metadata={"slip": 1}))

    code = refusal(books, EntryRequest("topup", legs, "k-1", metadata={"slip": 2}))

    assert code is Code.IDEMPOTENCY_KEY_REUSED


def test_keys_are_per_coin(books: Books, engine: Any) -> None:
    other = new_books(engine)
    mine = topup(books, books.wallet("resident:1"), 1_000, key="shared-key")
    theirs = topup(other, other.wallet("resident:1"), 1_000, key="shared-key")

    assert theirs.result is PostResult.CREATED
    assert theirs.entry_id != mine.entry_id


def test_an_unprintable_key_is_idempotency_key_invalid(books: Books) -> None:
    resident = books.wallet("resident:1")
    with pytest.raises(LedgerError) as caught:
        topup(books, resident, 1_000, key="slip\n1")
    assert caught.value.code is Code.IDEMPOTENCY_KEY_INVALID


# --- batches --------------------------------------------------------------


def batch(books: Books, requests: list[EntryRequest]) -> Any:
    return run(
        books, lambda c: post_batch(c, coin_id=books.coin_id, requests=requests, posted_at=T0)
    )


def test_a_batch_of_payments_posts_every_entry(books: Books) -> None:
    residents = [books.wallet(f"resident:{i}") for i in range(3)]
    shop = books.wallet("merchant:1", lots=False, slots=4)
    for resident in residents:
        topup(books, resident, 1_000)

    done = batch(
        books,
        [payment(r, shop, 100 * (i + 1)) for i, r in enumerate(residents)],
    )

    assert [d.result for d in done] == [PostResult.CREATED] * 3
    assert len({d.entry_id for d in done}) == 3
    assert posted(books, *residents, shop) == [900, 800, 700, 600]


def test_one_overdrawn_payment_refuses_the_whole_batch(books: Books) -> None:
    residents = [books.wallet(f"resident:{i}") for i in range(3)]
    shop = books.wallet("merchant:1", lots=False)
    for resident in residents:
        topup(books, resident, 1_000)
    before = entry_count(books)
    requests = [
        payment(residents[0], shop, 500),
        payment(residents[1], shop, 1_001),
        payment(residents[2], shop, 500),
    ]

    with pytest.raises(LedgerError) as caught:
        batch(books, requests)

    assert caught.value.code is Code.INSUFFICIENT_FUNDS
    assert posted(books, *residents, shop) == [1_000, 1_000, 1_000, 0]
    assert entry_count(books) == before


def test_one_malformed_entry_refuses_the_whole_batch(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    topup(books, resident, 1_000)
    requests = [
        payment(resident, shop, 100),
        EntryRequest("payment", [debit(resident, 100), credit(shop, 99)]),
    ]

    with pytest.raises(LedgerError) as caught:
        batch(books, requests)

    assert caught.value.code is Code.ENTRY_UNBALANCED
    assert posted(books, resident, shop) == [1_000, 0]
    assert entry_count(books) == 1


def test_a_key_reused_inside_a_batch_refuses_the_batch(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    topup(books, resident, 1_000)
    requests = [
        payment(resident, shop, 100, "p-1"),
        payment(resident, shop, 200, "p-1"),
    ]

    with pytest.raises(LedgerError) as caught:
        batch(books, requests)

    assert caught.value.code is Code.IDEMPOTENCY_KEY_REUSED
    assert posted(books, resident, shop) == [1_000, 0]


def test_a_replayed_batch_moves_nothing(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    topup(books, resident, 1_000)
    requests = [payment(resident, shop, 100, f"p-{i}") for i in range(3)]

    first = batch(books, requests)
    again = batch(books, requests)

    assert [d.entry_id for d in again] == [d.entry_id for d in first]
    assert [d.result for d in again] == [PostResult.REPLAYED] * 3
    assert posted(books, resident, shop) == [700, 300]


def test_empty_and_oversized_batches_are_refused(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    one = payment(resident, shop, 1)

    with pytest.raises(LedgerError) as empty:
        batch(books, [])
    with pytest.raises(LedgerError) as large:
        batch(books, [one] * (BATCH_ENTRIES_MAX + 1))

    assert empty.value.code is Code.BATCH_EMPTY
    assert large.value.code is Code.BATCH_TOO_LARGE
    assert entry_count(books) == 0


# --- reversals ------------------------------------------------------------


def reverse(books: Books, entry_id: int, key: str | None = None) -> Any:
    return run(
        books,
        lambda c: reverse_entry(
            c, coin_id=books.coin_id, entry_id=entry_id, posted_at=T0, idempotency_key=key
        ),
    )


def test_reversing_a_payment_restores_both_balances(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    topup(books, resident, 1_000)
    paid = pay(books, resident, shop, 500)

    reversal = reverse(books, paid.entry_id)

    assert posted(books, resident, shop) == [1_000, 0]
    entry = run(books, lambda c: get_entry(c, coin_id=books.coin_id, entry_id=reversal.entry_id))
    assert entry.kind == "reversal"
    assert entry.reverses_entry_id == paid.entry_id
    assert entry.metadata["reverses_kind"] == "payment"
    assert sorted((p.account_id, p.amount) for p in entry.postings) == sorted(
        [(resident, -500), (shop, 500)]
    )


def test_reversing_twice_is_already_reversed(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    topup(books, resident, 1_000)
    paid = pay(books, resident, shop, 500)
    reverse(books, paid.entry_id)

    with pytest.raises(LedgerError) as caught:
        reverse(books, paid.entry_id)

    assert caught.value.code is Code.ALREADY_REVERSED
    assert posted(books, resident, shop) == [1_000, 0]


def test_a_retried_reversal_with_its_key_is_replayed(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    topup(books, resident, 1_000)
    paid = pay(books, resident, shop, 500)

    first = reverse(books, paid.entry_id, key="refund-1")
    again = reverse(books, paid.entry_id, key="refund-1")

    assert again.result is PostResult.REPLAYED
    assert again.entry_id == first.entry_id
    assert posted(books, resident, shop) == [1_000, 0]


def test_reversing_an_unknown_entry_is_entry_not_found(books: Books) -> None:
    with pytest.raises(LedgerError) as caught:
        reverse(books, 10**12)
    assert caught.value.code is Code.ENTRY_NOT_FOUND


def test_reversing_a_payment_gives_back_the_same_lots_with_their_expiry(books: Books) -> None:
    resident = books.wallet("resident:1")
    shop = books.wallet("merchant:1", lots=False)
    topup(books, resident, 1_000)
    grant_points(books, resident, 300, POINTS_EXPIRE)
    before = lots_of(books, resident)
    paid = pay(books, resident, shop, 500)
    # The points expire first, so the payment spent all 300 of them and 200 of money.
    during = lots_of(books, resident)
    assert [(lot.kind, lot.remaining) for lot in during] == [(LotKind.MONEY, 800)]

    reverse(books, paid.entry_id)

    after = lots_of(books, resident)
    assert after == before
    assert [(lot.kind, lot.expires_at, lot.remaining) for lot in after] == [
        (LotKind.POINTS, POINTS_EXPIRE, 300),
        (LotKind.MONEY, None, 1_000),
    ]


def test_reversing_a_points_grant_takes_back_those_points(books: Books) -> None:
    resident = books.wallet("resident:1")
    city = books.account(Standard.RECEIVABLE_MUNICIPALITY)
    topup(books, resident, 1_000)
    granted = grant_points(books, resident, 300, POINTS_EXPIRE)

    reverse(books, granted.entry_id)

    lots = lots_of(books, resident)
    assert [(lot.kind, lot.remaining) for lot in lots] == [(LotKind.MONEY, 1_000)]
    assert posted(books, resident, city) == [1_000, 0]


# --- hot split accounts ---------------------------------------------------


def test_a_split_shop_takes_credits_on_several_slots_and_spends_their_sum(books: Books) -> None:
    """The arena at opening: payments land on different slots; a cash-out
    larger than any one slot's share still works, and the balance is the sum."""
    slots = 4
    arena = books.wallet("merchant:arena", lots=False, slots=slots)
    payout = books.account(Standard.PAYABLE_PAYOUT)
    residents = [books.wallet(f"resident:{i}") for i in range(8)]
    for resident in residents:
        topup(books, resident, 1_000)

    # Hold several connections open at once so that they are different backends,
    # then pay from each: each credit lands on its backend's slot.
    conns = [books.engine.connect() for _ in range(8)]
    try:
        used: set[int] = set()
        for conn, resident in zip(conns, residents, strict=True):
            with conn.begin():
                pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
                used.add(pid % slots)
                post_entry(
                    conn,
                    coin_id=books.coin_id,
                    request=EntryRequest(
                        "payment", transfer(from_account=resident, to_account=arena, amount=250)
                    ),
                    posted_at=T0,
                )
    finally:
        for conn in conns:
            conn.close()

    shares = run(
        books,
        lambda c: c.execute(
            text(
                "SELECT slot, posted FROM account_balances WHERE coin_id = :c AND account_id = :a"
                " ORDER BY slot"
            ),
            {"c": books.coin_id, "a": arena},
        ).all(),
    )
    nonzero = [posted_ for _, posted_ in shares if posted_ != 0]
    assert len(shares) == slots
    assert len(nonzero) == len(used) >= 2, "credits were spread over several slots"
    assert sum(posted_ for _, posted_ in shares) == 2_000
    assert balance(books, arena).posted == 2_000

    cash_out = max(nonzero) + 1  # more than any single slot holds
    post(books, EntryRequest("cashout", [debit(arena, cash_out), credit(payout, cash_out)]))

    assert posted(books, arena, payout) == [2_000 - cash_out, cash_out]
    rest = 2_000 - cash_out
    code = refusal(
        books, EntryRequest("cashout", [debit(arena, rest + 1), credit(payout, rest + 1)])
    )
    assert code is Code.INSUFFICIENT_FUNDS
    post(books, EntryRequest("cashout", [debit(arena, rest), credit(payout, rest)]))
    assert posted(books, arena, payout) == [0, 2_000]


# --- one entry, one round trip ---------------------------------------------------------


def test_post_entry_now_commits_the_entry_on_its_own(books: Books) -> None:
    reserve = books.account(Standard.RESERVE_BANK)
    wallet = books.wallet("resident:now")
    posted = post_entry_now(
        books.engine,
        coin_id=books.coin_id,
        request=EntryRequest("topup.counter", [debit(reserve, 700), credit(wallet, 700)], "now-1"),
        posted_at=T0,
    )
    assert posted.result is PostResult.CREATED
    replay = post_entry_now(
        books.engine,
        coin_id=books.coin_id,
        request=EntryRequest("topup.counter", [debit(reserve, 700), credit(wallet, 700)], "now-1"),
        posted_at=T0,
    )
    assert replay == PostedEntry(posted.entry_id, PostResult.REPLAYED)
    assert (
        run_in_transaction(
            books.engine, lambda c: get_balance(c, coin_id=books.coin_id, account_id=wallet)
        ).posted
        == 700
    )


def test_post_entry_now_refuses_an_overdraft_and_writes_nothing(books: Books) -> None:
    wallet = books.wallet("resident:poor")
    shop = books.wallet("merchant:now", lots=False)
    before = run_in_transaction(
        books.engine, lambda c: c.exec_driver_sql("SELECT count(*) FROM entries").scalar_one()
    )
    with pytest.raises(LedgerError) as refused:
        post_entry_now(
            books.engine,
            coin_id=books.coin_id,
            request=EntryRequest(
                "payment", list(transfer(from_account=wallet, to_account=shop, amount=1))
            ),
            posted_at=T0,
        )
    assert refused.value.code is Code.INSUFFICIENT_FUNDS
    after = run_in_transaction(
        books.engine, lambda c: c.exec_driver_sql("SELECT count(*) FROM entries").scalar_one()
    )
    assert after == before


def test_post_batch_now_is_all_or_nothing(books: Books) -> None:
    reserve = books.account(Standard.RESERVE_BANK)
    rich, poor = books.wallet("resident:rich"), books.wallet("resident:poor2")
    post_batch_now(
        books.engine,
        coin_id=books.coin_id,
        requests=[EntryRequest("topup.counter", [debit(reserve, 100), credit(rich, 100)])],
        posted_at=T0,
    )
    with pytest.raises(LedgerError) as refused:
        post_batch_now(
            books.engine,
            coin_id=books.coin_id,
            requests=[
                EntryRequest("p2p", list(transfer(from_account=rich, to_account=poor, amount=60))),
                EntryRequest("p2p", list(transfer(from_account=rich, to_account=poor, amount=60))),
            ],
            posted_at=T0,
        )
    assert refused.value.code is Code.INSUFFICIENT_FUNDS
    balances = run_in_transaction(
        books.engine, lambda c: get_balances(c, coin_id=books.coin_id, account_ids=[rich, poor])
    )
    assert (balances[rich].posted, balances[poor].posted) == (100, 0)
