"""The coin directory: the public list of coins for sign-up, and the campaigns
on sale that a resident's wallet offers."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from ledger.clock import FixedClock
from tests.conftest import T0
from tests.wallet_api.test_premium_api import open_campaign
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def all_coins(town: Town) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    after = None
    while True:
        params: dict[str, str | int] = {"limit": 100}
        if after is not None:
            params["starting_after"] = after
        page = town.client.get("/v1/coins", params=params)
        assert page.status_code == 200, page.text
        found += page.json()["data"]
        if not page.json()["has_more"]:
            return found
        after = found[-1]["code"]


def test_anyone_lists_the_coins_with_their_names_and_issuers(town: Town) -> None:
    coins = all_coins(town)
    listed = {"code": town.code, "name": "テスト町コイン", "issuer_name": "テスト信金"}
    assert listed | {"winddown": None} in coins
    codes = [c["code"] for c in coins]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    # Nothing from the books: the wind-down notice is public by law (公告) when there is one.
    assert all(set(c) == {"code", "name", "issuer_name", "winddown"} for c in coins)


def test_the_coin_list_pages_by_code(town: Town, engine: Engine, clock: FixedClock) -> None:
    new_town(engine, clock)
    first = town.client.get("/v1/coins", params={"limit": 1}).json()
    assert len(first["data"]) == 1 and first["has_more"] is True
    after = first["data"][0]["code"]
    second = town.client.get("/v1/coins", params={"limit": 1, "starting_after": after}).json()
    assert second["data"][0]["code"] > after
    refused = town.client.get("/v1/coins", params={"limit": 0})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_a_resident_sees_the_campaigns_on_sale_in_their_coin_only(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    on_sale = open_campaign(town, name="春の商品券")
    open_campaign(
        town,
        name="まだ先",
        starts_at=(T0 + timedelta(days=3)).isoformat(),
        ends_at=(T0 + timedelta(days=10)).isoformat(),
    )
    open_campaign(town, name="あす終わり", ends_at=(T0 + timedelta(days=1)).isoformat())
    elsewhere = new_town(engine, clock)
    open_campaign(elsewhere, name="よその町")
    resident = town.sign_up()
    headers = town.token(resident["resident_id"])

    listed = town.client.get("/v1/wallet/premium_campaigns", headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    # The one ending soonest first; not yet open and other towns' are left out.
    assert [c["name"] for c in body["data"]] == ["あす終わり", "春の商品券"]
    assert body["has_more"] is False
    assert body["data"][1]["id"] == on_sale["id"]
    assert body["data"][1]["premium"] == 2000

    clock.advance(timedelta(days=4))  # "まだ先" opens and "あす終わり" has closed
    headers = town.token(resident["resident_id"])
    later = town.client.get("/v1/wallet/premium_campaigns", headers=headers).json()
    assert sorted(c["name"] for c in later["data"]) == ["まだ先", "春の商品券"]
    paged = town.client.get(
        "/v1/wallet/premium_campaigns", params={"limit": 1}, headers=headers
    ).json()
    assert paged["has_more"] is True
    rest = town.client.get(
        "/v1/wallet/premium_campaigns",
        params={"limit": 1, "starting_after": paged["data"][0]["id"]},
        headers=headers,
    ).json()
    assert len(rest["data"]) == 1 and rest["data"][0]["id"] != paged["data"][0]["id"]

    # Another town's coin: the resident holds no wallet there.
    other = town.client.get(
        "/v1/wallet/premium_campaigns", params={"coin": elsewhere.code}, headers=headers
    )
    assert other.status_code == 404 and other.json()["code"] == "wallet_not_found"


def test_campaigns_need_a_residents_token(town: Town) -> None:
    refused = town.client.get("/v1/wallet/premium_campaigns")
    assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
    with_a_key = town.client.get("/v1/wallet/premium_campaigns", headers=town.issuer())
    assert with_a_key.status_code == 401
