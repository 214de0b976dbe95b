"""Cash-out requests through the API: the owner's key only, the coin held, cancel while pending."""

import pytest
from httpx import Response
from sqlalchemy import Engine

from ledger.accounts import get_balance
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.merchant.shops import Shop, funded_resident, open_shop
from tests.merchant.tills import charged, count_rows, set_fee, terminal_headers
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def ask(town: Town, headers: dict[str, str], amount: int, key: str | None = None) -> Response:
    sent = headers if key is None else {**headers, "Idempotency-Key": key}
    response: Response = town.client.post("/v1/payouts", json={"amount": amount}, headers=sent)
    return response


def code_of(response: Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def funded_shop(town: Town, amount: int) -> Shop:
    shop = open_shop(town)
    charged(town, shop, funded_resident(town, amount), amount)
    return shop


def held_and_available(town: Town, shop: Shop) -> tuple[int, int]:
    balance = run_in_transaction(
        town.engine,
        lambda c: get_balance(c, coin_id=town.coin.coin.id, account_id=shop.merchant.account_id),
    )
    return balance.held, balance.available


def test_the_owner_asks_and_the_coin_is_held_for_the_batch(town: Town) -> None:
    shop = funded_shop(town, 10_000)
    response = ask(town, shop.headers, 9_999)
    assert response.status_code == 201, response.text
    body = response.json()
    # 1.6% of 9,999 is 159.98: rounded down.
    assert {k: body[k] for k in ("amount", "fee", "net", "status", "source")} == {
        "amount": 9_999,
        "fee": 160,
        "net": 9_839,
        "status": "pending",
        "source": "request",
    }
    assert held_and_available(town, shop) == (9_999, 1)
    assert town.client.get(f"/v1/payouts/{body['id']}", headers=shop.headers).json() == body
    assert code_of(ask(town, shop.headers, 500)) == (402, "insufficient_funds")


def test_a_terminal_key_may_not_cash_out(town: Town) -> None:
    shop = funded_shop(town, 10_000)
    till = terminal_headers(town, shop)
    assert code_of(ask(town, till, 1_000)) == (403, "terminal_key_not_allowed")
    assert code_of(town.client.get("/v1/payouts", headers=till)) == (
        403,
        "terminal_key_not_allowed",
    )
    assert count_rows(town, "payouts") == 0


def test_a_payout_that_would_be_all_fee_is_refused(town: Town) -> None:
    shop = funded_shop(town, 10_000)
    set_fee(town, shop, "cashout_bp", 10_000)
    assert code_of(ask(town, shop.headers, 100)) == (422, "payout_below_fee")
    assert code_of(ask(town, shop.headers, 0)) == (422, "validation_error")
    assert held_and_available(town, shop) == (0, 10_000)


def test_cancel_releases_the_hold_once(town: Town) -> None:
    shop = funded_shop(town, 10_000)
    payout = ask(town, shop.headers, 4_000).json()
    canceled = town.client.post(f"/v1/payouts/{payout['id']}/cancel", headers=shop.headers)
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "canceled"
    assert held_and_available(town, shop) == (0, 10_000)
    again = town.client.post(f"/v1/payouts/{payout['id']}/cancel", headers=shop.headers)
    assert code_of(again) == (409, "payout_not_pending")
    assert held_and_available(town, shop) == (0, 10_000)


def test_another_merchants_payout_is_not_found(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    shop, rival = funded_shop(town, 10_000), open_shop(town)
    payout = ask(town, shop.headers, 4_000).json()
    for headers in (rival.headers, open_shop(new_town(engine, clock)).headers):
        assert code_of(town.client.get(f"/v1/payouts/{payout['id']}", headers=headers)) == (
            404,
            "payout_not_found",
        )
    cancel = town.client.post(f"/v1/payouts/{payout['id']}/cancel", headers=rival.headers)
    assert code_of(cancel) == (404, "payout_not_found")
    assert held_and_available(town, shop) == (4_000, 6_000)


def test_payouts_are_listed_newest_first_and_a_retry_asks_once(town: Town) -> None:
    shop = funded_shop(town, 10_000)
    first = ask(town, shop.headers, 1_000, key="po-1").json()
    replay = ask(town, shop.headers, 1_000, key="po-1")
    assert replay.status_code == 201 and replay.json()["id"] == first["id"]
    second = ask(town, shop.headers, 2_000).json()
    page = town.client.get("/v1/payouts?limit=1", headers=shop.headers).json()
    assert [p["id"] for p in page["data"]] == [second["id"]] and page["has_more"] is True
    rest = town.client.get(
        f"/v1/payouts?starting_after={second['id']}", headers=shop.headers
    ).json()
    assert [p["id"] for p in rest["data"]] == [first["id"]] and rest["has_more"] is False
    assert held_and_available(town, shop) == (3_000, 7_000)


def test_small_cash_outs_and_a_pile_of_them_are_refused(town: Town) -> None:
    shop = funded_shop(town, 10_000)
    town.client.post(
        "/v1/coin_rules",
        json={"cashout_min": 1_000, "pending_payouts_max": 2, "fee_min": 50},
        headers=town.issuer(),
    )
    assert code_of(ask(town, shop.headers, 999)) == (422, "payout_below_minimum")
    first = ask(town, shop.headers, 1_000)
    # 1.6% of 1,000 is 16: the coin's minimum fee of 50 applies.
    assert (first.status_code, first.json()["fee"]) == (201, 50)
    assert ask(town, shop.headers, 1_000).status_code == 201
    assert code_of(ask(town, shop.headers, 1_000)) == (409, "payouts_pending_limit")
    assert held_and_available(town, shop) == (2_000, 8_000)
