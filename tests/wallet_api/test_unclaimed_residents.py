"""Residents enrolled many at a time (an import): numbers, wallets, tiers, and no PIN."""

import itertools

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0
from tests.wallet_api.test_residents_api import Town, new_town
from wallet_api import unclaimed_residents
from wallet_api.resident_numbers import luhn_digit, normalised
from wallet_api.unclaimed_residents import Newcomer, enrol_unclaimed


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def enrol(town: Town, newcomers: list[Newcomer]):  # type: ignore[no-untyped-def]
    return run_in_transaction(
        town.engine,
        lambda c: enrol_unclaimed(c, coin=town.coin.coin, newcomers=newcomers, at=T0),
    )


def test_newcomers_get_numbers_wallets_and_their_tier_in_order(town: Town) -> None:
    enrolled = enrol(town, [Newcomer("山田"), Newcomer("佐藤", "migrated: old-2"), Newcomer("空")])
    assert [r.display_name for r, _ in enrolled] == ["山田", "佐藤", "空"]
    assert [w.tier.value for _, w in enrolled] == ["basic", "verified", "basic"]
    numbers = [r.resident_number for r, _ in enrolled]
    assert len(set(numbers)) == 3 and all(normalised(n) == n for n in numbers)
    rows = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT r.public_id, r.pin_hash, w.public_id AS wallet, w.tier,"
                " w.verification_reference, a.tracks_lots FROM residents r"
                " JOIN wallets w ON w.resident_id = r.id"
                " JOIN accounts a ON a.coin_id = w.coin_id AND a.id = w.account_id"
                " WHERE r.public_id = ANY(:ids) ORDER BY r.id"
            ),
            {"ids": [r.public_id for r, _ in enrolled]},
        ).all(),
    )
    assert [(row.public_id, row.wallet) for row in rows] == [
        (r.public_id, w.public_id) for r, w in enrolled
    ]
    assert {row.pin_hash for row in rows} == {"!unclaimed"}
    assert [row.verification_reference for row in rows] == [None, "migrated: old-2", None]
    assert all(row.tracks_lots for row in rows)
    # No PIN opens an unclaimed wallet.
    for pin in ("0000", "1234"):
        refused = town.client.post(
            "/v1/auth/token", json={"login": numbers[0], "pin": pin}
        ).status_code
        assert refused == 401


def test_a_resident_number_already_taken_is_drawn_again(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    (first,) = enrol(town, [Newcomer("先客")])
    taken = first[0].resident_number
    fresh = (f"{n}{luhn_digit(str(n))}" for n in itertools.count(500_000_001))
    draws = itertools.chain([taken, taken], fresh)
    monkeypatch.setattr(unclaimed_residents, "new_resident_number", lambda: next(draws))
    enrolled = enrol(town, [Newcomer("一"), Newcomer("二")])
    numbers = [r.resident_number for r, _ in enrolled]
    assert taken not in numbers and len(set(numbers)) == 2
