"""The bank's results: paid transfers clear the payable against the reserve, returned ones
go back to the merchants' wallets; once confirmed, the results are final."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.settlement.settlement_day import (
    ask_payout,
    balance,
    cashouts,
    closed_batch,
    exported_batch,
    funded_shop,
    payout_row,
    standard_balance,
)
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def post_results(town: Town, batch_id: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = town.issuer() | ({} if key is None else {"Idempotency-Key": key})
    return town.client.post(
        f"/v1/settlement/batches/{batch_id}/results", json=body, headers=headers
    )


def events(town: Town) -> list[tuple[str, str]]:
    rows = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT type, data ->> 'id' FROM webhook_events WHERE coin_id = :coin"
                " AND type LIKE 'payout.%' ORDER BY id"
            ),
            {"coin": town.coin.coin.id},
        ).all(),
    )
    return [(r[0], r[1]) for r in rows]


def test_a_returned_payout_returns_every_payout_its_transfer_carried(town: Town) -> None:
    shop = funded_shop(town, 20_000)
    first, second = ask_payout(town, shop, 3_000), ask_payout(town, shop, 5_000)
    (paid,) = cashouts(town, [4_000])
    batch, _ = exported_batch(town)
    answer = post_results(
        town,
        batch["id"],
        {"returned": [second.public_id], "reasons": {second.public_id: "口座なし"}},
    )
    assert answer.status_code == 200, answer.text
    by_id = {p["id"]: (p["status"], p.get("return_reason")) for p in answer.json()["payouts"]}
    assert by_id == {
        first.public_id: ("returned", "口座なし"),
        second.public_id: ("returned", "口座なし"),
        paid.payout.public_id: ("paid", None),
    }
    returned_net = first.amount - first.fee + second.amount - second.fee
    assert answer.json()["results"]["returned"] == returned_net
    assert balance(town, shop.merchant.account_id)[0] == 20_000 - 8_000 + returned_net


def test_results_pay_some_and_return_one_with_its_reason(town: Town) -> None:
    paid, returned = cashouts(town, [10_000, 5_000])
    reserve_before = standard_balance(town, "reserve:bank")
    batch, _ = exported_batch(town)
    answer = post_results(
        town,
        batch["id"],
        {
            "returned": [returned.payout.public_id],
            "reasons": {returned.payout.public_id: "口座なし"},
        },
    )
    assert answer.status_code == 200, answer.text
    confirmed = answer.json()
    assert confirmed["status"] == "confirmed"
    assert confirmed["results"] == {
        "paid_count": 1,
        "paid": 9_840,
        "returned_count": 1,
        "returned": 4_920,
    }
    by_id = {p["id"]: p for p in confirmed["payouts"]}
    assert by_id[paid.payout.public_id]["status"] == "paid"
    assert (
        by_id[returned.payout.public_id]["status"],
        by_id[returned.payout.public_id]["return_reason"],
    ) == (
        "returned",
        "口座なし",
    )
    # The payable is cleared; the reserve paid out the transferred yen only.
    assert standard_balance(town, "payable:payout") == 0
    assert standard_balance(town, "reserve:bank") - reserve_before == -9_840
    # The returned net is back in the merchant's wallet; the fee stays in revenue.
    assert balance(town, returned.shop.merchant.account_id) == (1_000 + 4_920, 0)
    assert standard_balance(town, "revenue:fees") == 160 + 80
    assert events(town) == [
        ("payout.paid", paid.payout.public_id),
        ("payout.returned", returned.payout.public_id),
    ]
    assert payout_row(town, returned.payout.public_id)["result_entry_id"] is not None
    assert [(e["from"], e["to"]) for e in confirmed["events"]][-1] == ("exported", "confirmed")


def test_the_same_results_again_change_nothing_and_different_ones_are_refused(town: Town) -> None:
    first, second = cashouts(town, [2_000, 3_000])
    batch, _ = exported_batch(town)
    body = {"returned": [second.payout.public_id]}
    confirmed = post_results(town, batch["id"], body).json()
    again = post_results(town, batch["id"], body)
    assert (again.status_code, again.json()) == (200, confirmed)
    other = post_results(town, batch["id"], {"returned": []})
    assert (other.status_code, other.json()["code"]) == (409, "results_conflict")
    assert len(events(town)) == 2
    assert payout_row(town, first.payout.public_id)["status"] == "paid"


def test_concurrent_results_settle_each_payout_once(town: Town) -> None:
    cashouts(town, [2_000, 3_000])
    batch, _ = exported_batch(town)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(lambda _: post_results(town, batch["id"], {"returned": []}), range(2))
        )
    assert [a.status_code for a in answers] == [200, 200]
    assert len(events(town)) == 2
    assert standard_balance(town, "payable:payout") == 0


def test_a_replayed_idempotency_key_returns_the_first_answer(town: Town) -> None:
    cashouts(town, [2_000])
    batch, _ = exported_batch(town)
    first = post_results(town, batch["id"], {"returned": []}, key="res-1")
    replay = post_results(town, batch["id"], {"returned": []}, key="res-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()


def test_results_before_the_file_are_refused(town: Town) -> None:
    cashouts(town, [2_000])
    batch = closed_batch(town)
    refused = post_results(town, batch["id"], {"returned": []})
    assert (refused.status_code, refused.json()["code"]) == (409, "batch_not_exported")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"returned": ["po_nosuchpayout00000000"]}, "payout_not_in_batch"),
        ({"returned": ["X", "X"]}, "returned_duplicated"),
        ({"returned": [], "reasons": {"X": "why"}}, "reason_without_return"),
        ({"returned": "X"}, "validation_error"),
    ],
)
def test_bad_results_are_refused_and_nothing_moves(
    town: Town, body: dict[str, Any], code: str
) -> None:
    (made,) = cashouts(town, [2_000])
    batch, _ = exported_batch(town)
    refused = post_results(town, batch["id"], body)
    assert (refused.status_code, refused.json()["code"]) == (422, code)
    assert payout_row(town, made.payout.public_id)["status"] == "in_batch"
    assert standard_balance(town, "payable:payout") == 2_000 - 32
    assert events(town) == []


def test_a_blank_reason_is_refused(town: Town) -> None:
    (made,) = cashouts(town, [2_000])
    batch, _ = exported_batch(town)
    pid = made.payout.public_id
    refused = post_results(town, batch["id"], {"returned": [pid], "reasons": {pid: " "}})
    assert (refused.status_code, refused.json()["code"]) == (422, "reason_invalid")
