"""GET /v1/merchant/sales: a business day's sales, summed in the database, for the console.

On the API with a fixed clock (T0 is 10:00 in Tokyo), so hours and dates are exact.
"""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ledger.clock import FixedClock
from tests.conftest import T0
from tests.merchant.shops import Payer, funded_resident, open_shop
from tests.merchant.tills import charged, terminal_headers
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def logged_in_again(town: Town, payer: Payer) -> Payer:
    """The payer with a fresh access token, after the clock moved past the old one."""
    return Payer(payer.resident_id, payer.wallet_id, town.token(payer.resident_id, "1234"))


def sales(client: TestClient, headers: dict[str, str], day: str | None = None) -> dict[str, Any]:
    answer = client.get("/v1/merchant/sales", headers=headers, params={"date": day} if day else {})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_day_sums_the_shops_charges_and_refunds_by_tokyo_hour(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 10_000)
    first = charged(town, shop, payer, 1_000)
    town.clock.advance(timedelta(hours=3))
    second = charged(town, shop, logged_in_again(town, payer), 500)
    refund = town.client.post(
        "/v1/refunds", headers=shop.headers, json={"charge_id": first["id"], "amount": 200}
    )
    assert refund.status_code == 201, refund.text

    day = sales(town.client, shop.headers)
    fee = first["fee"] + second["fee"] - refund.json()["fee_refunded"]
    assert day["business_date"] == "2026-11-23"
    assert (day["count"], day["amount"], day["refunded"], day["fee"]) == (2, 1_500, 200, fee)
    assert day["net"] == 1_500 - 200 - fee
    assert len(day["hours"]) == 24
    busy = {h["hour"]: (h["count"], h["amount"], h["refunded"]) for h in day["hours"] if h["count"]}
    assert busy == {10: (1, 1_000, 200), 13: (1, 500, 0)}
    # A till's key reads the same figures.
    assert sales(town.client, terminal_headers(town, shop)) == day


def test_only_the_callers_own_merchant_and_coin_are_summed(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    shop = open_shop(town)
    neighbour = open_shop(town, name="魚屋")
    payer = funded_resident(town, 5_000)
    charged(town, neighbour, payer, 900)
    elsewhere = new_town(engine, clock)
    far_shop = open_shop(elsewhere)
    charged(elsewhere, far_shop, funded_resident(elsewhere, 5_000), 800)

    mine = sales(town.client, shop.headers)
    assert (mine["count"], mine["amount"]) == (0, 0)
    assert sales(town.client, neighbour.headers)["amount"] == 900


def test_the_day_follows_tokyo_midnight_not_utc(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    charged(town, shop, payer, 300)
    # 15:30 UTC on the 23rd is 00:30 on the 24th in Tokyo.
    town.clock.set(T0.replace(hour=15, minute=30))
    charged(town, shop, logged_in_again(town, payer), 400)

    today = sales(town.client, shop.headers)
    assert (today["business_date"], today["amount"]) == ("2026-11-24", 400)
    assert [h["hour"] for h in today["hours"] if h["count"]] == [0]
    assert sales(town.client, shop.headers, "2026-11-23")["amount"] == 300
    assert sales(town.client, shop.headers, str(date(2026, 11, 22)))["count"] == 0


def test_a_bad_date_or_no_key_is_refused(town: Town) -> None:
    shop = open_shop(town)
    bad = town.client.get("/v1/merchant/sales", headers=shop.headers, params={"date": "23/11"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"
    assert town.client.get("/v1/merchant/sales").status_code == 401
    issuer = town.client.get("/v1/merchant/sales", headers=town.issuer())
    assert issuer.status_code in (401, 403)
