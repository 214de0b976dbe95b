"""One resident, the coins of several towns: each wallet keeps its own balance, tier and caps."""

import pytest
from sqlalchemy import Engine

from ledger.clock import FixedClock
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def towns(engine: Engine, clock: FixedClock) -> tuple[Town, Town]:
    return new_town(engine, clock), new_town(engine, clock)


def test_a_resident_opens_a_wallet_in_the_next_town(towns: tuple[Town, Town]) -> None:
    home, next_town = towns
    created = home.sign_up()
    headers = home.token(created["resident_id"])
    opened = home.client.post("/v1/wallets", json={"coin": next_town.code}, headers=headers)
    assert opened.status_code == 201, opened.text
    assert opened.json()["coin"] == next_town.code
    assert opened.json()["tier"] == "basic"
    assert opened.json()["wallet_id"] != created["wallet_id"]
    seen = home.client.get("/v1/wallet", params={"coin": next_town.code}, headers=headers)
    assert seen.json()["wallet_id"] == opened.json()["wallet_id"]
    again = home.client.post("/v1/wallets", json={"coin": next_town.code}, headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "wallet_exists")
    own = home.client.post("/v1/wallets", json={"coin": home.code}, headers=headers)
    assert (own.status_code, own.json()["code"]) == (409, "wallet_exists")


def test_opening_a_wallet_refuses_an_unknown_coin_and_strangers(towns: tuple[Town, Town]) -> None:
    home, _ = towns
    created = home.sign_up()
    unknown = home.client.post(
        "/v1/wallets", json={"coin": "NOSUCH"}, headers=home.token(created["resident_id"])
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "coin_not_found")
    anonymous = home.client.post("/v1/wallets", json={"coin": home.code})
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated")


def test_balances_caps_and_tiers_stay_with_each_coin(towns: tuple[Town, Town]) -> None:
    a, b = towns
    created = a.sign_up()
    headers = a.token(created["resident_id"])
    wallet_b = a.client.post("/v1/wallets", json={"coin": b.code}, headers=headers).json()
    # Verified in town A only: A's high cap, B's basic cap.
    a.client.post(
        f"/v1/residents/{created['resident_id']}/verify",
        json={"method": "counter", "reference": "KYC-A"},
        headers=a.issuer(),
    )
    assert a.top_up(created["wallet_id"], 150_000, "A-1").status_code == 201
    in_a = a.client.get("/v1/wallet", params={"coin": a.code}, headers=headers).json()
    in_b = a.client.get("/v1/wallet", params={"coin": b.code}, headers=headers).json()
    assert (in_a["balance"]["total"], in_a["tier"]) == (150_000, "verified")
    assert (in_b["balance"]["total"], in_b["tier"]) == (0, "basic")
    # B's issuer cannot reach A's wallet, and B's basic cap applies in B.
    across = b.top_up(created["wallet_id"], 1_000, "B-0")
    assert (across.status_code, across.json()["code"]) == (404, "wallet_not_found")
    over = b.top_up(wallet_b["wallet_id"], 100_001, "B-1")
    assert (over.status_code, over.json()["code"]) == (422, "limit_exceeded")
    assert b.top_up(wallet_b["wallet_id"], 100_000, "B-2").status_code == 201
    # Sending in B needs B's identity check, whatever A decided.
    friend = b.sign_up(name="friend")
    refused = a.client.post(
        "/v1/wallet/transfers",
        json={"to_wallet_id": friend["wallet_id"], "amount": 100, "coin": b.code},
        headers=headers,
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "tier_not_allowed")
    # In A the same wallet id of B's friend is no wallet at all.
    elsewhere = a.client.post(
        "/v1/wallet/transfers",
        json={"to_wallet_id": friend["wallet_id"], "amount": 100},
        headers=headers,
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "wallet_not_found")
    in_a = a.client.get("/v1/wallet", params={"coin": a.code}, headers=headers).json()
    assert in_a["balance"]["total"] == 150_000
