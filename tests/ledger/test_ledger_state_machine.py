"""A month of a regional coin, played at random against the real database.

Hypothesis drives a coin through top-ups at the bank counter, city points and
premium grants with expiries, transfers between residents (some money-only),
QR payments to a hot merchant wallet (split over balance slots, no lots),
single-entry payment batches, booking deposits (holds placed, captured in full
or in part, voided, left to expire), expiry sweeps as the clock moves on,
reversals of earlier entries, and retries of earlier requests under their
idempotency key.

Beside the books it keeps its own model: every account's posted and held
balance, every wallet's lots (kind, expiry, remaining) with the same spending
order as the database, the holds, and which entry moved which lot (so a
reversal gives back the very lots). Every step first predicts its outcome from
the model — created, or refused with a given code — and after every step the
books must equal the model and pass ``verify_coin``.
"""

import copy
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Connection, Engine, text

from ledger.chain import seal
from ledger.chart import Standard
from ledger.clock import FixedClock
from ledger.entries import (
    EntryRequest,
    Leg,
    PostedEntry,
    PostResult,
    credit,
    debit,
    post_batch,
    post_entry,
    reverse_entry,
)
from ledger.errors import Code, LedgerError
from ledger.expiry import expire_lots
from ledger.holds import Hold, HoldStatus, capture_hold, expire_holds, place_hold, void_hold
from ledger.lots import LotKind
from ledger.unit_of_work import run_in_transaction
from ledger.verify import CoinReport, verify_coin
from tests.conftest import T0, new_books

RESIDENTS = 3
PERCENT = st.integers(1, 120)  # of the payer's available balance
ASSETS = (Standard.RESERVE_BANK, Standard.RECEIVABLE_CARD, Standard.RECEIVABLE_MUNICIPALITY)
MONEY_ONLY = frozenset({LotKind.MONEY})
KIND_RANK = {LotKind.POINTS: 0, LotKind.PREMIUM: 1, LotKind.MONEY: 2}

T = TypeVar("T")
LotKey = tuple[LotKind, datetime | None]  # a wallet has one lot per kind and expiry
Move = tuple[int, LotKey, int]  # (wallet, lot, signed amount)
LotRow = tuple[LotKind, datetime | None, int]  # (kind, expiry, remaining)


class RefusedError(Exception):
    """The model's prediction that the ledger refuses a request."""

    def __init__(self, code: Code) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class ModelLot:
    order: int  # creation order; the database's lot ids follow it
    remaining: int


@dataclass
class ModelHold:
    account_id: int
    amount: int
    expires_at: datetime
    status: HoldStatus = HoldStatus.ACTIVE


@dataclass
class Model:
    """What the books should hold, computed in plain Python.

    Attributes:
        posted, held: each account's balance on its normal side.
        debit_normal: the accounts that grow with debits (assets).
        may_go_negative: the accounts without the no-negative rule.
        lots: each lot-tracked wallet's lots by (kind, expiry).
        entries: each posted entry's legs as (account, signed amount).
        movements: per entry, the lot movements (wallet, lot, signed amount).
        restored: per (entry, wallet, lot), what reversals have given back.
        reversed: entries already reversed.
        holds: every hold by id.
    """

    posted: dict[int, int]
    debit_normal: frozenset[int]
    may_go_negative: frozenset[int]
    held: dict[int, int]
    lots: dict[int, dict[LotKey, ModelLot]]
    entries: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    movements: dict[int, list[Move]] = field(default_factory=dict)
    restored: dict[tuple[int, int, LotKey], int] = field(default_factory=dict)
    reversed: set[int] = field(default_factory=set)
    holds: dict[int, ModelHold] = field(default_factory=dict)
    lots_opened: int = 0

    # --- postings -----------------------------------------------------------------

    def post(self, legs: list[Leg], *, only_lot: LotKey | None = None) -> list[Move]:
        """Applies an entry's legs (or raises RefusedError); returns its lot movements.

        ``only_lot`` stands for a debit leg's ``lot_id`` (the expiry sweep).
        """
        moves: list[Move] = []
        for leg in legs:
            account = leg.account_id
            delta = leg.amount if account in self.debit_normal else -leg.amount
            self.posted[account] += delta
            if account not in self.may_go_negative and (
                self.posted[account] < 0 or self.posted[account] - self.held[account] < 0
            ):
                raise RefusedError(Code.INSUFFICIENT_FUNDS)
            if account in self.lots:
                if delta > 0:
                    moves += self._lots_credit(account, delta, leg)
                else:
                    moves += self._lots_debit(account, -delta, leg, only_lot)
        return moves

    def _lot(self, wallet: int, key: LotKey) -> ModelLot:
        if key not in self.lots[wallet]:
            self.lots_opened += 1
            self.lots[wallet][key] = ModelLot(self.lots_opened, 0)
        return self.lots[wallet][key]

    def _lots_debit(
        self, wallet: int, amount: int, leg: Leg, only_lot: LotKey | None
    ) -> list[Move]:
        """Earliest expiry first, then points, premium, money; a reversal first
        takes back the lots its entry created."""
        created_by_entry = {
            key
            for w, key, moved in self.movements.get(leg.lot_entry_id or -1, [])
            if w == wallet and moved > 0
        }
        eligible = [
            (key, lot)
            for key, lot in self.lots[wallet].items()
            if lot.remaining > 0
            and (leg.spend_kinds is None or key[0] in leg.spend_kinds)
            and (only_lot is None or key == only_lot)
        ]
        eligible.sort(
            key=lambda kv: (
                kv[0] not in created_by_entry,
                kv[0][1] is None,
                kv[0][1] or T0,
                KIND_RANK[kv[0][0]],
                kv[1].order,
            )
        )
        moves = []
        left = amount
        for key, lot in eligible:
            take = min(left, lot.remaining)
            if take == 0:
                break
            lot.remaining -= take
            moves.append((wallet, key, -take))
            left -= take
        if left > 0:
            raise RefusedError(Code.INSUFFICIENT_FUNDS)
        return moves

    def _lots_credit(self, wallet: int, amount: int, leg: Leg) -> list[Move]:
        """A reversal first gives back what its entry took; the rest is a lot
        of the leg's kind and expiry."""
        moves = []
        left = amount
        if leg.lot_entry_id is not None:
            taken: dict[LotKey, int] = {}
            for w, key, moved in self.movements.get(leg.lot_entry_id, []):
                if w == wallet and moved < 0:
                    taken[key] = taken.get(key, 0) - moved
            # Own money first, points last; the latest expiry first.
            for key in sorted(
                taken,
                key=lambda k: (
                    -KIND_RANK[k[0]],
                    k[1] is not None,
                    -(k[1] - T0).total_seconds() if k[1] else 0,
                    -self.lots[wallet][k].order,
                ),
            ):
                done = self.restored.get((leg.lot_entry_id, wallet, key), 0)
                give = min(left, taken[key] - done)
                if give <= 0:
                    continue
                self.restored[(leg.lot_entry_id, wallet, key)] = done + give
                self._lot(wallet, key).remaining += give
                moves.append((wallet, key, give))
                left -= give
        if left > 0:
            key = (leg.lot_kind or LotKind.MONEY, leg.lot_expires_at)
            self._lot(wallet, key).remaining += left
            moves.append((wallet, key, left))
            if leg.lot_entry_id is not None:
                restored_key = (leg.lot_entry_id, wallet, key)
                self.restored[restored_key] = self.restored.get(restored_key, 0) + left
        return moves

    def open_lots(self, wallet: int) -> list[LotRow]:
        return _in_order(
            (key[0], key[1], lot.remaining)
            for key, lot in self.lots[wallet].items()
            if lot.remaining > 0
        )


def _in_order(rows: Iterable[tuple[str, datetime | None, int]]) -> list[LotRow]:
    lots = [(LotKind(kind), expires, remaining) for kind, expires, remaining in rows]
    return sorted(lots, key=lambda lot: (lot[0], lot[1] is None, lot[1] or T0, lot[2]))


class CoinMonth(RuleBasedStateMachine):
    """One coin's books driven at random; the model says what must happen."""

    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.books = new_books(self.engine)
        self.coin_id = self.books.coin_id
        self.clock = FixedClock(T0)
        self.reserve = self.books.account(Standard.RESERVE_BANK)
        self.city = self.books.account(Standard.RECEIVABLE_MUNICIPALITY)
        self.breakage = self.books.account(Standard.REVENUE_BREAKAGE)
        self.residents = [self.books.wallet(f"resident:{n}") for n in range(1, RESIDENTS + 1)]
        self.arena = self.books.wallet("merchant:arena", lots=False, slots=4)
        accounts = self._run(
            lambda conn: (
                conn.execute(
                    text("SELECT id FROM accounts WHERE coin_id = :coin"), {"coin": self.coin_id}
                )
                .scalars()
                .all()
            )
        )
        self.model = Model(
            posted=dict.fromkeys(accounts, 0),
            held=dict.fromkeys(accounts, 0),
            debit_normal=frozenset(self.books.account(s) for s in ASSETS),
            may_go_negative=frozenset({self.reserve}),
            lots={wallet: {} for wallet in self.residents},
        )
        self.keys = itertools.count(1)
        # Requests posted under an idempotency key, with their entry: for retries.
        self.keyed: list[tuple[EntryRequest, int]] = []

    def _run(self, work: Callable[[Connection], T]) -> T:
        return run_in_transaction(self.engine, work)

    def _refused(self, work: Callable[[Connection], object], code: Code) -> None:
        event(f"refused: {code}")
        with pytest.raises(LedgerError) as raised:
            self._run(work)
        assert raised.value.code == code, raised.value

    def _share(self, account: int, percent: int) -> int:
        """A percentage of what the account has available (over 100: more than it has)."""
        model = self.model
        return max(1, (model.posted[account] - model.held[account]) * percent // 100)

    def _key(self, keyed: bool) -> str | None:
        return f"req-{next(self.keys)}" if keyed else None

    def _record(self, model: Model, entry_id: int, legs: Sequence[Leg], moves: list[Move]) -> None:
        assert entry_id not in model.entries, f"entry {entry_id} returned twice"
        model.entries[entry_id] = [(leg.account_id, leg.amount) for leg in legs]
        model.movements[entry_id] = moves

    # --- one entry: predicted, posted, compared --------------------------------------

    def _post(self, request: EntryRequest) -> None:
        def post(conn: Connection) -> PostedEntry:
            return post_entry(
                conn, coin_id=self.coin_id, request=request, posted_at=self.clock.now()
            )

        expected = copy.deepcopy(self.model)
        try:
            moves = expected.post(list(request.legs))
        except RefusedError as refusal:
            self._refused(post, refusal.code)
            return
        posted = self._run(post)
        assert posted.result is PostResult.CREATED
        event(f"created: {request.kind}")
        self._record(expected, posted.entry_id, request.legs, moves)
        self.model = expected
        if request.idempotency_key is not None:
            self.keyed.append((request, posted.entry_id))

    @initialize(opening=st.lists(st.integers(0, 30_000), min_size=RESIDENTS, max_size=RESIDENTS))
    def opening_day(self, opening: list[int]) -> None:
        """Residents top up before the first step (zero: this one did not)."""
        for wallet, amount in zip(self.residents, opening, strict=True):
            if amount:
                self._post(
                    EntryRequest(
                        "topup.counter", [debit(self.reserve, amount), credit(wallet, amount)]
                    )
                )

    # --- the issuer and the city -------------------------------------------------------

    @rule(
        resident=st.integers(0, RESIDENTS - 1), amount=st.integers(1, 20_000), keyed=st.booleans()
    )
    def top_up_at_the_counter(self, resident: int, amount: int, keyed: bool) -> None:
        wallet = self.residents[resident]
        self._post(
            EntryRequest(
                "topup.counter",
                [debit(self.reserve, amount), credit(wallet, amount)],
                idempotency_key=self._key(keyed),
            )
        )

    @rule(
        resident=st.integers(0, RESIDENTS - 1),
        amount=st.integers(1, 5_000),
        kind=st.sampled_from([LotKind.POINTS, LotKind.PREMIUM]),
        days=st.sampled_from([1, 3, 10, 30]),
        keyed=st.booleans(),
    )
    def city_grants_points(
        self, resident: int, amount: int, kind: LotKind, days: int, keyed: bool
    ) -> None:
        wallet = self.residents[resident]
        expires = self.clock.now() + timedelta(days=days)
        self._post(
            EntryRequest(
                f"grant.{kind}",
                [
                    debit(self.city, amount),
                    credit(wallet, amount, lot_kind=kind, lot_expires_at=expires),
                ],
                idempotency_key=self._key(keyed),
            )
        )

    # --- residents and the arena -------------------------------------------------------

    @rule(
        sender=st.integers(0, RESIDENTS - 1),
        step=st.integers(1, RESIDENTS - 1),
        percent=PERCENT,
        money_only=st.booleans(),
        keyed=st.booleans(),
    )
    def resident_sends_coin(
        self, sender: int, step: int, percent: int, money_only: bool, keyed: bool
    ) -> None:
        source = self.residents[sender]
        amount = self._share(source, percent)
        target = self.residents[(sender + step) % RESIDENTS]
        spend = MONEY_ONLY if money_only else None
        self._post(
            EntryRequest(
                "p2p",
                [debit(source, amount, spend_kinds=spend), credit(target, amount)],
                idempotency_key=self._key(keyed),
            )
        )

    @rule(resident=st.integers(0, RESIDENTS - 1), percent=PERCENT, keyed=st.booleans())
    def resident_pays_the_arena(self, resident: int, percent: int, keyed: bool) -> None:
        amount = self._share(self.residents[resident], percent)
        self._post(
            EntryRequest(
                "payment",
                [debit(self.residents[resident], amount), credit(self.arena, amount)],
                idempotency_key=self._key(keyed),
            )
        )

    @rule(resident=st.integers(0, RESIDENTS - 1), percent=PERCENT)
    def arena_refunds_a_resident(self, resident: int, percent: int) -> None:
        amount = self._share(self.arena, percent)
        self._post(
            EntryRequest(
                "refund", [debit(self.arena, amount), credit(self.residents[resident], amount)]
            )
        )

    @rule(
        payments=st.lists(
            st.tuples(st.integers(0, RESIDENTS - 1), PERCENT),
            min_size=1,
            max_size=4,
        )
    )
    def a_batch_of_payments(self, payments: list[tuple[int, int]]) -> None:
        """All or nothing: one refused payment refuses the batch."""
        amounts = [(self.residents[r], self._share(self.residents[r], p)) for r, p in payments]
        requests = [
            EntryRequest("payment", [debit(wallet, amount), credit(self.arena, amount)])
            for wallet, amount in amounts
        ]

        def post(conn: Connection) -> list[PostedEntry]:
            return post_batch(
                conn, coin_id=self.coin_id, requests=requests, posted_at=self.clock.now()
            )

        expected = copy.deepcopy(self.model)
        try:
            moves = [expected.post(list(request.legs)) for request in requests]
        except RefusedError as refusal:
            self._refused(post, refusal.code)
            return
        posted = self._run(post)
        assert [p.result for p in posted] == [PostResult.CREATED] * len(requests)
        event("created: batch")
        for entry, request, entry_moves in zip(posted, requests, moves, strict=True):
            self._record(expected, entry.entry_id, request.legs, entry_moves)
        self.model = expected

    # --- booking deposits --------------------------------------------------------------

    @rule(who=st.integers(0, RESIDENTS), percent=PERCENT, hours=st.integers(1, 72))
    def a_deposit_is_held(self, who: int, percent: int, hours: int) -> None:
        """``who`` is a resident, or the arena itself (a hold on a split account)."""
        account = self.arena if who == RESIDENTS else self.residents[who]
        amount = self._share(account, percent)
        ttl = timedelta(hours=hours)

        def place(conn: Connection) -> Hold:
            return place_hold(
                conn,
                coin_id=self.coin_id,
                account_id=account,
                amount=amount,
                at=self.clock.now(),
                ttl=ttl,
            )

        if amount > self.model.posted[account] - self.model.held[account]:
            self._refused(place, Code.INSUFFICIENT_FUNDS)
            return
        hold = self._run(place)
        assert hold.status is HoldStatus.ACTIVE and hold.amount == amount
        event("created: hold")
        self.model.held[account] += amount
        self.model.holds[hold.id] = ModelHold(account, amount, self.clock.now() + ttl)

    def _hold_refusal(self, hold: ModelHold) -> Code | None:
        if hold.status is not HoldStatus.ACTIVE:
            return Code.HOLD_NOT_ACTIVE
        if hold.expires_at <= self.clock.now():
            return Code.HOLD_EXPIRED
        return None

    def _pick_hold(self, data: st.DataObject) -> int:
        """Mostly an active hold; now and then any hold, closed ones included."""
        active = [i for i, h in self.model.holds.items() if h.status is HoldStatus.ACTIVE]
        if not active or data.draw(st.integers(0, 4), label="any hold") == 0:
            return data.draw(st.sampled_from(sorted(self.model.holds)), label="hold")
        return data.draw(st.sampled_from(active), label="active hold")

    @staticmethod
    def _release(model: Model, hold_id: int, status: HoldStatus) -> None:
        hold = model.holds[hold_id]
        assert hold.status is HoldStatus.ACTIVE
        hold.status = status
        model.held[hold.account_id] -= hold.amount

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data(), quarters=st.sampled_from([None, 1, 2, 3]))
    def a_deposit_is_captured(self, data: st.DataObject, quarters: int | None) -> None:
        """In full (quarters None) or in part; the rest of the hold is released."""
        hold_id = self._pick_hold(data)
        hold = self.model.holds[hold_id]
        take = hold.amount if quarters is None else max(1, hold.amount * quarters // 4)
        payee = self.arena if hold.account_id != self.arena else self.residents[0]

        def capture(conn: Connection) -> tuple[Hold, PostedEntry]:
            return capture_hold(
                conn,
                coin_id=self.coin_id,
                hold_id=hold_id,
                to_account_id=payee,
                at=self.clock.now(),
                amount=None if quarters is None else take,
            )

        refusal = self._hold_refusal(hold)
        if refusal is not None:
            self._refused(capture, refusal)
            return
        expected = copy.deepcopy(self.model)
        self._release(expected, hold_id, HoldStatus.CAPTURED)
        legs = [debit(hold.account_id, take), credit(payee, take)]
        moves = expected.post(legs)  # what a hold reserves is always there to capture
        closed, posted = self._run(capture)
        assert closed.status is HoldStatus.CAPTURED and closed.captured_amount == take
        assert posted.result is PostResult.CREATED
        event("created: capture" if quarters is None else "created: partial capture")
        self._record(expected, posted.entry_id, legs, moves)
        self.model = expected

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data())
    def a_deposit_is_voided(self, data: st.DataObject) -> None:
        hold_id = self._pick_hold(data)

        def void(conn: Connection) -> Hold:
            return void_hold(conn, coin_id=self.coin_id, hold_id=hold_id, at=self.clock.now())

        refusal = self._hold_refusal(self.model.holds[hold_id])
        if refusal is not None:
            self._refused(void, refusal)
            return
        assert self._run(void).status is HoldStatus.VOIDED
        event("voided")
        self._release(self.model, hold_id, HoldStatus.VOIDED)

    # --- time, expiry and the sealer -------------------------------------------------

    @rule(
        hours=st.sampled_from([6, 25, 24 * 4, 24 * 12]),
        holds_sweep=st.booleans(),
        lots_sweep=st.booleans(),
    )
    def time_passes(self, hours: int, holds_sweep: bool, lots_sweep: bool) -> None:
        """The clock moves on; the nightly sweeps may run (or be late)."""
        self.clock.advance(timedelta(hours=hours))
        if holds_sweep:
            self._holds_past_their_deadline_expire()
        if lots_sweep:
            self._lots_past_their_date_expire()

    def _holds_past_their_deadline_expire(self) -> None:
        now = self.clock.now()
        due = [
            hold_id
            for hold_id, hold in self.model.holds.items()
            if hold.status is HoldStatus.ACTIVE and hold.expires_at <= now
        ]
        released = self._run(lambda conn: expire_holds(conn, coin_id=self.coin_id, at=now))
        assert released == len(due)
        if due:
            event("expired: hold")
        for hold_id in due:
            self._release(self.model, hold_id, HoldStatus.EXPIRED)

    def _lots_past_their_date_expire(self) -> None:
        """What is left of each lot past its date goes to breakage, lot by lot
        (wallet, expiry, lot id order), except what active holds need."""
        now = self.clock.now()
        expected = copy.deepcopy(self.model)
        due = [
            (wallet, key, lot.order)
            for wallet, lots in expected.lots.items()
            for key, lot in lots.items()
            if lot.remaining > 0 and key[1] is not None and key[1] <= now
        ]
        due.sort(key=lambda d: (d[0], d[1][1], d[2]))
        available = {w: expected.posted[w] - expected.held[w] for w in expected.lots}
        predicted = []
        for wallet, key, _ in due:
            amount = min(expected.lots[wallet][key].remaining, available[wallet])
            if amount <= 0:
                continue
            available[wallet] -= amount
            legs = [debit(wallet, amount), credit(self.breakage, amount)]
            predicted.append((wallet, amount, legs, expected.post(legs, only_lot=key)))
        expired = self._run(
            lambda conn: expire_lots(
                conn, coin_id=self.coin_id, as_of=now, at=now, breakage_account_id=self.breakage
            )
        )
        assert [(e.account_id, e.amount) for e in expired] == [(w, a) for w, a, _, _ in predicted]
        if expired:
            event("created: lot.expired")
        for done, (_, _, legs, moves) in zip(expired, predicted, strict=True):
            self._record(expected, done.entry_id, legs, moves)
        self.model = expected

    @rule()
    def the_sealer_runs(self) -> None:
        self._run(lambda conn: seal(conn, coin_id=self.coin_id, at=self.clock.now()))

    # --- corrections and retries -----------------------------------------------------

    @precondition(lambda self: self.model.entries)
    @rule(data=st.data())
    def an_entry_is_reversed(self, data: st.DataObject) -> None:
        """Any earlier entry, a reversal included; each at most once."""
        entry_id = data.draw(st.sampled_from(sorted(self.model.entries)), label="entry")
        legs = [
            Leg(account, -amount, lot_entry_id=entry_id)
            for account, amount in self.model.entries[entry_id]
        ]

        def reverse(conn: Connection) -> PostedEntry:
            return reverse_entry(
                conn, coin_id=self.coin_id, entry_id=entry_id, posted_at=self.clock.now()
            )

        expected = copy.deepcopy(self.model)
        try:
            if entry_id in expected.reversed:
                raise RefusedError(Code.ALREADY_REVERSED)
            moves = expected.post(legs)
        except RefusedError as refusal:
            self._refused(reverse, refusal.code)
            return
        posted = self._run(reverse)
        assert posted.result is PostResult.CREATED
        event(f"created: reversal of {self.model.entries[entry_id] and 'an entry'}")
        expected.reversed.add(entry_id)
        self._record(expected, posted.entry_id, legs, moves)
        self.model = expected

    def _repost(self, request: EntryRequest) -> PostedEntry:
        return self._run(
            lambda conn: post_entry(
                conn, coin_id=self.coin_id, request=request, posted_at=self.clock.now()
            )
        )

    @precondition(lambda self: self.keyed)
    @rule(data=st.data())
    def a_request_is_retried(self, data: st.DataObject) -> None:
        """Same key, same request: the first entry comes back and nothing moves
        (the invariant compares every balance with the unchanged model)."""
        request, entry_id = data.draw(st.sampled_from(self.keyed), label="request")
        posted = self._repost(request)
        assert posted == PostedEntry(entry_id, PostResult.REPLAYED)
        event("replayed")

    @precondition(lambda self: self.keyed)
    @rule(data=st.data())
    def a_key_is_reused_for_another_request(self, data: st.DataObject) -> None:
        request, _ = data.draw(st.sampled_from(self.keyed), label="request")
        first, second = request.legs
        different = replace(
            request,
            legs=[
                replace(first, amount=first.amount + 1),
                replace(second, amount=second.amount - 1),
            ],
        )
        with pytest.raises(LedgerError) as raised:
            self._repost(different)
        assert raised.value.code == Code.IDEMPOTENCY_KEY_REUSED

    # --- after every step ------------------------------------------------------------

    @invariant()
    def the_books_equal_the_model(self) -> None:
        balances, lots, entries, report = self._run(self._read_books)
        assert balances == {a: (p, self.model.held[a]) for a, p in self.model.posted.items()}
        for wallet in self.residents:
            assert _in_order(lots.get(wallet, [])) == self.model.open_lots(wallet), wallet
        # Nothing was posted twice and no replay or refusal posted anything.
        assert entries == len(self.model.entries)
        failing = {name: check.failures for name, check in report.checks.items() if not check.ok}
        assert report.ok, failing

    def _read_books(
        self, conn: Connection
    ) -> tuple[dict[int, tuple[int, int]], dict[int, list[Any]], int, CoinReport]:
        params = {"coin": self.coin_id}
        balances = {
            row[0]: (row[1], row[2])
            for row in conn.execute(
                text(
                    "SELECT account_id, sum(posted)::bigint, sum(held)::bigint"
                    " FROM account_balances WHERE coin_id = :coin GROUP BY account_id"
                ),
                params,
            )
        }
        lots: dict[int, list[Any]] = {}
        for account_id, kind, expires, remaining in conn.execute(
            text(
                "SELECT account_id, kind, expires_at, remaining FROM lots"
                " WHERE coin_id = :coin AND remaining > 0"
            ),
            params,
        ):
            lots.setdefault(account_id, []).append((kind, expires, remaining))
        entries = conn.execute(
            text("SELECT count(*) FROM entries WHERE coin_id = :coin"), params
        ).scalar_one()
        return balances, lots, entries, verify_coin(conn, coin_id=self.coin_id)


FAST = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
THOROUGH = settings(FAST, max_examples=200, stateful_step_count=60)


def _on(engine: Engine) -> type[CoinMonth]:
    return type("CoinMonthOnTheTestDatabase", (CoinMonth,), {"engine": engine})


def test_a_month_of_random_business_keeps_the_books(engine: Engine) -> None:
    run_state_machine_as_test(_on(engine), settings=FAST)


@pytest.mark.slow
def test_many_months_of_random_business_keep_the_books(engine: Engine) -> None:
    run_state_machine_as_test(_on(engine), settings=THOROUGH)
