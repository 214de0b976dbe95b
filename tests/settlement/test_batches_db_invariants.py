"""The database guards the batches: written around Python, out-of-shape rows are refused."""

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.settlement.settlement_day import DAY, cashouts, closed_batch
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def write(town: Town, sql: str, **params: object) -> None:
    run_in_transaction(
        town.engine, lambda c: c.execute(text(sql), {"coin": town.coin.coin.id, **params})
    )


def test_a_state_change_only_moves_forward(town: Town) -> None:
    batch = closed_batch(town)
    with pytest.raises(IntegrityError, match="batch_events"):
        write(
            town,
            "INSERT INTO batch_events (coin_id, batch_id, from_status, to_status, actor, at)"
            " SELECT coin_id, id, 'closed', 'open', 'x', now() FROM settlement_batches"
            " WHERE coin_id = :coin AND public_id = :pid",
            pid=batch["id"],
        )


def test_one_batch_per_coin_and_date(town: Town) -> None:
    closed_batch(town)
    with pytest.raises(IntegrityError, match="business_date"):
        write(
            town,
            "INSERT INTO settlement_batches (coin_id, public_id, business_date, transfer_date,"
            " cut_off_at, created_at) VALUES (:coin, 'stb_AAAAAAAAAAAAAAAAAAAA', :day,"
            " :day + 1, now(), now())",
            day=DAY,
        )


def test_a_confirmed_batch_has_results_that_add_up_to_its_totals(town: Town) -> None:
    cashouts(town, [2_000])
    batch = closed_batch(town)
    with pytest.raises(IntegrityError, match="settlement_batches"):
        write(
            town,
            "UPDATE settlement_batches SET status = 'confirmed', exported_at = now(),"
            " confirmed_at = now(), results_hash = sha256('x') WHERE public_id = :pid",
            pid=batch["id"],
        )


def test_a_returned_payout_has_its_reason_and_its_entry(town: Town) -> None:
    (made,) = cashouts(town, [2_000])
    closed_batch(town)
    with pytest.raises(IntegrityError, match="payouts_"):
        write(
            town,
            "UPDATE payouts SET status = 'returned' WHERE coin_id = :coin AND id = :id",
            id=made.payout.id,
        )
