"""Request fingerprints and idempotency keys: a retry is the same request, anything else is not."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.entries import EntryRequest, credit, debit
from ledger.errors import Code, LedgerError
from ledger.idempotency import check_key, request_hash
from ledger.limits import IDEMPOTENCY_KEY_LENGTH_MAX
from ledger.lots import LotKind

JST = timezone(timedelta(hours=9))
NOON_UTC = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_a_fingerprint_is_32_bytes_and_stable() -> None:
    request = {"account_id": 7, "amount": 1_000}
    assert len(request_hash(request)) == 32
    assert request_hash(request) == request_hash({"account_id": 7, "amount": 1_000})


def test_key_order_does_not_matter_but_every_value_does() -> None:
    assert request_hash({"a": 1, "b": 2}) == request_hash({"b": 2, "a": 1})
    assert request_hash({"amount": 1_000}) != request_hash({"amount": 1_001})
    assert request_hash({"amount": 1_000}) != request_hash({"amount": "1000"})
    assert request_hash({"legs": [1, 2]}) != request_hash({"legs": [2, 1]})


def test_the_same_instant_in_any_zone_is_the_same_request() -> None:
    in_tokyo = NOON_UTC.astimezone(JST)
    assert request_hash({"at": NOON_UTC}) == request_hash({"at": in_tokyo})
    assert request_hash({"at": NOON_UTC}) != request_hash(
        {"at": NOON_UTC + timedelta(microseconds=1)}
    )


def test_sets_and_enums_render_canonically() -> None:
    kinds = frozenset({LotKind.POINTS, LotKind.MONEY})
    assert request_hash({"k": kinds}) == request_hash({"k": {LotKind.MONEY, LotKind.POINTS}})
    assert request_hash({"k": kinds}) == request_hash({"k": ["money", "points"]})
    assert request_hash({"kind": LotKind.POINTS}) == request_hash({"kind": "points"})


def test_naive_instants_are_a_programmer_error() -> None:
    with pytest.raises(AssertionError):
        request_hash({"at": datetime(2026, 11, 23, 3, 0)})


def test_an_entry_request_fingerprint_covers_legs_kind_and_metadata() -> None:
    base = EntryRequest("topup", [debit(1, 1_000), credit(2, 1_000)], "k", metadata={"slip": 1})
    same = EntryRequest("topup", [debit(1, 1_000), credit(2, 1_000)], "k", metadata={"slip": 1})
    assert base.fingerprint() == same.fingerprint()
    others = [
        EntryRequest("topup.atm", base.legs, "k", metadata={"slip": 1}),
        EntryRequest("topup", [debit(1, 999), credit(2, 999)], "k", metadata={"slip": 1}),
        EntryRequest("topup", [debit(1, 1_000), credit(3, 1_000)], "k", metadata={"slip": 1}),
        EntryRequest("topup", base.legs, "k", metadata={"slip": 2}),
        EntryRequest("topup", base.legs, "k", metadata={"slip": 1}, reverses_entry_id=5),
        EntryRequest(
            "topup",
            [debit(1, 1_000), credit(2, 1_000, lot_kind=LotKind.POINTS)],
            "k",
            metadata={"slip": 1},
        ),
    ]
    assert len({base.fingerprint(), *(o.fingerprint() for o in others)}) == len(others) + 1
    # The key itself is not part of the fingerprint: it is what the fingerprint is stored under.
    assert EntryRequest("topup", base.legs, "other", metadata={"slip": 1}).fingerprint() == (
        base.fingerprint()
    )


@pytest.mark.parametrize(
    "key", [None, "a", "booking-2026-11-23-0001", "予約-1", "x" * IDEMPOTENCY_KEY_LENGTH_MAX]
)
def test_good_keys_pass(key: str | None) -> None:
    check_key(key)


@pytest.mark.parametrize(
    "key",
    ["", "x" * (IDEMPOTENCY_KEY_LENGTH_MAX + 1), "slip\n1", "tab\there", "nul\x00"],
    ids=["empty", "too-long", "newline", "tab", "nul"],
)
def test_bad_keys_are_idempotency_key_invalid(key: str) -> None:
    with pytest.raises(LedgerError) as caught:
        check_key(key)
    assert caught.value.code is Code.IDEMPOTENCY_KEY_INVALID
