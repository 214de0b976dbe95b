"""Reconciliation: the batch, its payouts, the ledger and the file agree; any difference is listed."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.settlement.settlement_day import (
    AFTER_CUT_OFF,
    DAY,
    ask_payout,
    cashouts,
    close,
    exported_batch,
    funded_shop,
    set_originator,
)
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def reconcile(town: Town, batch_id: str) -> dict[str, Any]:
    response = town.client.get(
        f"/v1/settlement/batches/{batch_id}/reconciliation", headers=town.issuer()
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_confirmed_batch_reconciles_across_all_four_sources(town: Town) -> None:
    _, returned = cashouts(town, [10_000, 5_000])
    batch, _ = exported_batch(town)
    town.client.post(
        f"/v1/settlement/batches/{batch['id']}/results",
        json={"returned": [returned.payout.public_id]},
        headers=town.issuer(),
    )
    report = reconcile(town, batch["id"])
    assert report["balanced"] is True and report["differences"] == []
    figures = report["figures"]
    assert figures["batch"] == {
        "count": 2,
        "amount": 15_000,
        "fee": 240,
        "net": 14_760,
        "paid": 9_840,
        "returned": 4_920,
        "records": 2,
    }
    assert figures["ledger"] == figures["payouts"] == figures["batch"] | {"records": None}
    assert figures["file"] == {
        "count": None,
        "amount": None,
        "fee": None,
        "net": 14_760,
        "paid": None,
        "returned": None,
        "records": 2,
    }


def test_a_merchants_payouts_paid_in_one_transfer_reconcile(town: Town) -> None:
    """The file has a record per merchant, the batch a payout per cash-out: both agree."""
    shop = funded_shop(town, 20_000)
    ask_payout(town, shop, 3_000)
    ask_payout(town, shop, 5_000)
    cashouts(town, [4_000])
    batch, _ = exported_batch(town)
    report = reconcile(town, batch["id"])
    assert report["differences"] == [] and report["balanced"] is True
    assert (report["figures"]["batch"]["count"], report["figures"]["batch"]["records"]) == (3, 2)
    assert report["figures"]["file"]["records"] == 2


def test_a_payout_row_that_disagrees_with_its_entry_is_listed(town: Town) -> None:
    first, second = cashouts(town, [10_000, 5_000])
    batch, _ = exported_batch(town)
    # A bug (or a hand) changes a closed payout's fee; postings cannot change.
    run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("UPDATE payouts SET fee = fee + 7 WHERE coin_id = :coin AND id = :id"),
            {"coin": town.coin.coin.id, "id": second.payout.id},
        ),
    )
    report = reconcile(town, batch["id"])
    assert report["balanced"] is False
    found = {
        (d["check"], d["payout_id"]): (d["expected"], d["found"]) for d in report["differences"]
    }
    assert found == {
        ("payouts.fee", None): (240, 247),
        ("payouts.net", None): (14_760, 14_753),
        ("file.net", None): (14_760, 14_753),
        ("payout.net", second.payout.public_id): (4_913, 4_920),
        ("payout.fee", second.payout.public_id): (87, 80),
    }
    assert first.payout.public_id not in {d["payout_id"] for d in report["differences"]}


def test_a_payout_put_in_the_batch_by_hand_without_its_entry_is_refused_by_the_database(
    town: Town,
) -> None:
    (made,) = cashouts(town, [3_000])
    batch, _ = exported_batch(town)
    with pytest.raises(Exception, match="payouts_closed_has_entry"):
        run_in_transaction(
            town.engine,
            lambda c: c.execute(
                text("UPDATE payouts SET entry_id = NULL WHERE coin_id = :coin AND id = :id"),
                {"coin": town.coin.coin.id, "id": made.payout.id},
            ),
        )
    assert reconcile(town, batch["id"])["balanced"] is True


def test_a_period_adds_its_batches_and_keeps_each_difference(town: Town) -> None:
    set_originator(town)
    cashouts(town, [2_000])
    town.clock.set(AFTER_CUT_OFF)
    first = close(town).json()
    (later,) = cashouts(town, [3_000])
    town.clock.set(AFTER_CUT_OFF + timedelta(days=1))
    second = close(town, DAY + timedelta(days=1)).json()
    assert second["totals"]["count"] == 1 and first["totals"]["count"] == 1
    run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "UPDATE settlement_batches SET amount_total = amount_total + 1, net_total ="
                " net_total + 1 WHERE coin_id = :coin AND public_id = :pid"
            ),
            {"coin": town.coin.coin.id, "pid": second["id"]},
        ),
    )
    period = town.client.get(
        "/v1/settlement/reconciliation?from=2026-11-01&to=2026-11-30", headers=town.issuer()
    ).json()
    assert [b["batch_id"] for b in period["batches"]] == [first["id"], second["id"]]
    assert period["totals"]["ledger"]["net"] == (2_000 - 32) + (3_000 - 48)
    assert period["balanced"] is False
    assert {d["batch_id"] for d in period["differences"]} == {second["id"]}
    assert {d["check"] for d in period["differences"]} >= {"ledger.amount", "ledger.net"}
    assert later.payout.public_id


def test_a_period_that_ends_before_it_starts_is_refused(town: Town) -> None:
    refused = town.client.get(
        "/v1/settlement/reconciliation?from=2026-11-30&to=2026-11-01", headers=town.issuer()
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "period_invalid")
