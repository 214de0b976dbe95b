"""Refunds: coin back to the resident's own lots, the fee back in proportion, never more than paid."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from httpx import Response
from sqlalchemy import Engine, text

from kit.credentials import Role
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.merchant.shops import Payer, Shop, funded_resident, open_shop
from tests.merchant.tills import (
    charge,
    charged,
    count_rows,
    fees_posted,
    merchant_posted,
    payment_token,
    set_fee,
    terminal_headers,
    wallet_balance,
)
from tests.wallet_api.test_residents_api import Town, new_town

EXPIRY = datetime(2027, 3, 31, 15, 0, tzinfo=UTC)


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def refund(town: Town, headers: dict[str, str], key: str | None = None, **body: object) -> Response:
    sent = headers if key is None else {**headers, "Idempotency-Key": key}
    response: Response = town.client.post("/v1/refunds", json=body, headers=sent)
    return response


def code_of(response: Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def grant_points(town: Town, payer: Payer, amount: int) -> None:
    response = town.client.post(
        "/v1/points/grants",
        json={
            "wallet_ids": [payer.wallet_id],
            "amount": amount,
            "reason": "子育て応援ポイント",
            "expires_at": EXPIRY.isoformat(),
        },
        headers={"Authorization": f"Bearer {town.coin.keys[Role.MUNICIPALITY]}"},
    )
    assert response.status_code == 201, response.text


def shop_with_fee(town: Town) -> Shop:
    shop = open_shop(town)
    set_fee(town, shop, "payment_bp", 300)  # 3%
    return shop


def test_a_full_refund_gives_back_the_points_with_their_expiry_and_the_whole_fee(
    town: Town,
) -> None:
    shop = shop_with_fee(town)
    payer = funded_resident(town, 5_000)
    grant_points(town, payer, 1_000)
    paid = charged(town, shop, payer, 1_500)  # 1,000 points, then 500 money
    assert paid["fee"] == 45
    assert wallet_balance(town, payer)["points"] == 0
    response = refund(town, shop.headers, charge_id=paid["id"], reason="返品")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("re_")
    assert {k: body[k] for k in ("charge_id", "amount", "fee_refunded", "status", "reason")} == {
        "charge_id": paid["id"],
        "amount": 1_500,
        "fee_refunded": 45,
        "status": "succeeded",
        "reason": "返品",
    }
    assert body["restored"] == [
        {"kind": "points", "amount": 1_000, "expires_at": EXPIRY.isoformat()},
        {"kind": "money", "amount": 500, "expires_at": None},
    ]
    balance = wallet_balance(town, payer)
    assert (balance["points"], balance["money"], balance["total"]) == (1_000, 5_000, 6_000)
    assert (merchant_posted(town, shop), fees_posted(town)) == (0, 0)
    charge = town.client.get(f"/v1/charges/{paid['id']}", headers=shop.headers).json()
    assert (charge["refunded"], charge["status"]) == (1_500, "refunded")


def test_partial_refunds_give_the_fee_back_rounded_down_and_the_last_one_the_rest(
    town: Town,
) -> None:
    shop = shop_with_fee(town)
    payer = funded_resident(town, 5_000)
    paid = charged(town, shop, payer, 1_000)  # fee 30
    parts = [refund(town, shop.headers, charge_id=paid["id"], amount=a) for a in (333, 333)]
    # 30 * 333 / 1,000 = 9.99: rounded down to 9 each time.
    assert [p.json()["fee_refunded"] for p in parts] == [9, 9]
    charge = town.client.get(f"/v1/charges/{paid['id']}", headers=shop.headers).json()
    assert (charge["refunded"], charge["status"]) == (666, "partially_refunded")
    last = refund(town, shop.headers, charge_id=paid["id"])  # the rest: 334
    assert (last.json()["amount"], last.json()["fee_refunded"]) == (334, 12)
    assert (merchant_posted(town, shop), fees_posted(town)) == (0, 0)
    assert wallet_balance(town, payer)["total"] == 5_000


def test_a_refund_over_what_is_left_is_refused_and_nothing_changes(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    paid = charged(town, shop, payer, 1_000)
    assert refund(town, shop.headers, charge_id=paid["id"], amount=600).status_code == 201
    over = refund(town, shop.headers, charge_id=paid["id"], amount=401)
    assert code_of(over) == (409, "refund_exceeds_charge")
    assert wallet_balance(town, payer)["total"] == 4_600
    assert merchant_posted(town, shop) == 400
    assert count_rows(town, "refunds") == 1
    assert refund(town, shop.headers, charge_id=paid["id"]).json()["amount"] == 400
    nothing_left = refund(town, shop.headers, charge_id=paid["id"])
    assert code_of(nothing_left) == (409, "refund_exceeds_charge")


def test_concurrent_partial_refunds_cannot_exceed_the_charge(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    paid = charged(town, shop, payer, 1_000)
    barrier = threading.Barrier(4)

    def send(_: int) -> int:
        barrier.wait()
        return refund(town, shop.headers, charge_id=paid["id"], amount=300).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(send, range(4)))
    assert statuses == [201, 201, 201, 409]
    assert wallet_balance(town, payer)["total"] == 4_900
    assert merchant_posted(town, shop) == 100


def test_a_retried_refund_with_its_key_refunds_once(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    paid = charged(town, shop, payer, 1_000)
    first = refund(town, shop.headers, key="rf-1", charge_id=paid["id"], amount=100)
    again = refund(town, shop.headers, key="rf-1", charge_id=paid["id"], amount=100)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert wallet_balance(town, payer)["total"] == 4_100


def test_another_merchants_charge_is_not_found(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    shop, rival = open_shop(town), open_shop(town)
    payer = funded_resident(town, 5_000)
    paid = charged(town, shop, payer, 1_000)
    assert code_of(refund(town, rival.headers, charge_id=paid["id"])) == (
        404,
        "charge_not_found",
    )
    other = new_town(engine, clock)
    foreign = open_shop(other)
    assert code_of(refund(other, foreign.headers, charge_id=paid["id"])) == (
        404,
        "charge_not_found",
    )
    assert wallet_balance(town, payer)["total"] == 4_000


def test_a_refund_names_exactly_one_charge_or_intent(town: Town) -> None:
    shop = open_shop(town)
    both = refund(town, shop.headers, charge_id="ch_x", payment_intent_id="pi_x")
    assert code_of(both) == (422, "validation_error")
    assert code_of(refund(town, shop.headers, amount=5)) == (422, "validation_error")


def test_a_refund_posts_one_entry_with_its_event_and_a_till_may_refund(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    till = terminal_headers(town, shop)
    taken = charge(town.client, till, amount=1_000, token=payment_token(town, payer))
    assert taken.status_code == 201, taken.text
    response = refund(town, till, charge_id=taken.json()["id"], amount=250)
    assert response.status_code == 201, response.text

    def read(conn):  # type: ignore[no-untyped-def]
        entry = conn.execute(
            text("SELECT kind, metadata FROM entries WHERE coin_id = :coin AND kind = 'refund'"),
            {"coin": town.coin.coin.id},
        ).one()
        event = conn.execute(
            text(
                "SELECT data FROM webhook_events WHERE coin_id = :coin AND type = 'charge.refunded'"
            ),
            {"coin": town.coin.coin.id},
        ).one()
        return entry, event

    entry, event = run_in_transaction(town.engine, read)
    assert entry[1]["merchant"] == shop.merchant.public_id
    assert entry[1]["charge"] == taken.json()["id"]
    assert event[0]["id"] == response.json()["id"]
    assert event[0]["charge"]["status"] == "partially_refunded"
    listed = town.client.get("/v1/refunds", headers=shop.headers).json()
    assert [r["id"] for r in listed["data"]] == [response.json()["id"]]
    one = town.client.get(f"/v1/refunds/{response.json()['id']}", headers=shop.headers)
    assert one.json() == response.json()


def test_a_merchant_that_spent_its_coin_cannot_refund(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    paid = charged(town, shop, payer, 1_000)
    cash_out = town.client.post("/v1/payouts", json={"amount": 900}, headers=shop.headers)
    assert cash_out.status_code == 201, cash_out.text
    response = refund(town, shop.headers, charge_id=paid["id"])
    assert code_of(response) == (402, "insufficient_funds")
    assert wallet_balance(town, payer)["total"] == 4_000
    assert count_rows(town, "refunds") == 0


def test_a_partial_refund_gives_back_money_before_points(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    grant_points(town, payer, 1_000)
    paid = charged(town, shop, payer, 1_500)  # 1,000 points, then 500 money
    body = refund(town, shop.headers, charge_id=paid["id"], amount=700).json()
    assert body["restored"] == [
        {"kind": "points", "amount": 200, "expires_at": EXPIRY.isoformat()},
        {"kind": "money", "amount": 500, "expires_at": None},
    ]
    balance = wallet_balance(town, payer)
    assert (balance["points"], balance["money"]) == (200, 5_000)


def test_an_unknown_payment_intent_is_not_found(town: Town) -> None:
    shop = open_shop(town)
    response = refund(town, shop.headers, payment_intent_id="pi_doesnotexist0000000")
    assert code_of(response) == (404, "payment_intent_not_found")


def test_another_merchants_refund_or_a_made_up_one_is_not_found(town: Town) -> None:
    shop, rival = open_shop(town), open_shop(town)
    payer = funded_resident(town, 5_000)
    paid = charged(town, shop, payer, 1_000)
    given = refund(town, shop.headers, charge_id=paid["id"], amount=300).json()
    for refund_id, headers in (
        (given["id"], rival.headers),
        ("re_doesnotexist00000000", shop.headers),
    ):
        response = town.client.get(f"/v1/refunds/{refund_id}", headers=headers)
        assert code_of(response) == (404, "refund_not_found")
    assert town.client.get(f"/v1/refunds/{given['id']}", headers=shop.headers).status_code == 200
