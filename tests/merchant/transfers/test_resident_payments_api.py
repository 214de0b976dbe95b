"""A merchant pays a resident change or cash-back, only where the coin allows it."""

import pytest
from httpx import Response
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.merchant.shops import Shop, funded_resident, open_shop
from tests.merchant.tills import (
    charged,
    count_rows,
    merchant_posted,
    terminal_headers,
    wallet_balance,
)
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def allow(town: Town, allowed: bool = True) -> None:
    """The issuer switches the coin's rule through the rules API."""
    response = town.client.post(
        "/v1/coin_rules", json={"merchant_to_resident_allowed": allowed}, headers=town.issuer()
    )
    assert response.status_code == 200, response.text
    assert response.json()["merchant_to_resident_allowed"] is allowed


def pay(
    town: Town,
    headers: dict[str, str],
    wallet_id: str,
    amount: int,
    reason: str = "change",
    key: str | None = None,
) -> Response:
    sent = headers if key is None else {**headers, "Idempotency-Key": key}
    response: Response = town.client.post(
        "/v1/merchant/resident_payments",
        json={"wallet_id": wallet_id, "amount": amount, "reason": reason},
        headers=sent,
    )
    return response


def code_of(response: Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def funded_shop(town: Town, amount: int) -> Shop:
    shop = open_shop(town)
    charged(town, shop, funded_resident(town, amount), amount)
    return shop


def test_off_by_default_the_coin_refuses(town: Town) -> None:
    shop = funded_shop(town, 1_000)
    resident = funded_resident(town, 0)
    assert code_of(pay(town, shop.headers, resident.wallet_id, 100)) == (
        403,
        "not_allowed_by_coin",
    )
    assert merchant_posted(town, shop) == 1_000
    assert count_rows(town, "resident_payments") == 0


def test_where_allowed_the_resident_receives_money(town: Town) -> None:
    allow(town)
    shop = funded_shop(town, 1_000)
    resident = funded_resident(town, 0)
    response = pay(town, shop.headers, resident.wallet_id, 120, reason="cashback")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("rpy_")
    assert (body["amount"], body["reason"], body["wallet_id"]) == (
        120,
        "cashback",
        resident.wallet_id,
    )
    balance = wallet_balance(town, resident)
    assert (balance["money"], balance["points"], balance["total"]) == (120, 0, 120)
    assert merchant_posted(town, shop) == 880
    kind, metadata = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT kind, metadata FROM entries WHERE coin_id = :coin"
                " AND kind = 'merchant_to_resident'"
            ),
            {"coin": town.coin.coin.id},
        ).one(),
    )
    assert (kind, metadata["merchant"]) == ("merchant_to_resident", shop.merchant.public_id)
    listed = town.client.get("/v1/merchant/resident_payments", headers=shop.headers).json()
    assert [p["id"] for p in listed["data"]] == [body["id"]]


def test_the_residents_balance_cap_holds(town: Town) -> None:
    allow(town)
    shop = funded_shop(town, 5_000)
    resident = funded_resident(town, 99_000)  # a basic wallet holds at most 100,000
    assert code_of(pay(town, shop.headers, resident.wallet_id, 1_001)) == (
        422,
        "limit_exceeded",
    )
    assert wallet_balance(town, resident)["total"] == 99_000
    assert merchant_posted(town, shop) == 5_000
    assert pay(town, shop.headers, resident.wallet_id, 1_000).status_code == 201


def test_refusals_and_a_retry_with_its_key(town: Town, engine: Engine, clock: FixedClock) -> None:
    allow(town)
    shop = funded_shop(town, 1_000)
    resident = funded_resident(town, 0)
    stranger = funded_resident(new_town(engine, clock), 0)
    assert code_of(pay(town, shop.headers, stranger.wallet_id, 100)) == (
        404,
        "wallet_not_found",
    )
    assert code_of(pay(town, shop.headers, resident.wallet_id, 1_001)) == (
        402,
        "insufficient_funds",
    )
    assert code_of(pay(town, shop.headers, resident.wallet_id, 100, reason="gift")) == (
        422,
        "validation_error",
    )
    assert code_of(pay(town, terminal_headers(town, shop), resident.wallet_id, 100)) == (
        403,
        "terminal_key_not_allowed",
    )
    first = pay(town, shop.headers, resident.wallet_id, 100, key="chg-1")
    again = pay(town, shop.headers, resident.wallet_id, 100, key="chg-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert wallet_balance(town, resident)["total"] == 100
    assert merchant_posted(town, shop) == 900
