"""The two small APIs the bank and city console added: ``GET /v1/me`` and the campaign list."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from kit.credentials import Role
from ledger.clock import FixedClock
from tests.conftest import T0
from tests.merchant.shops import open_shop
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def _bearer(town: Town, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {town.coin.keys[role]}"}


def _campaign(town: Town, name: str, *, price: int = 10_000, face: int = 12_000) -> str:
    made = town.client.post(
        "/v1/premium_campaigns",
        headers=_bearer(town, Role.MUNICIPALITY),
        json={
            "name": name,
            "price": price,
            "face_value": face,
            "per_resident_limit": 5,
            "total_units": 100,
            "starts_at": (T0 - timedelta(hours=1)).isoformat(),
            "ends_at": (T0 + timedelta(days=30)).isoformat(),
            "premium_expires_at": (T0 + timedelta(days=200)).isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    campaign_id: str = made.json()["id"]
    return campaign_id


def test_me_names_each_keys_role_and_coin(town: Town) -> None:
    for role in (Role.OPERATOR, Role.ISSUER, Role.MUNICIPALITY):
        me = town.client.get("/v1/me", headers=_bearer(town, role))
        assert me.status_code == 200, me.text
        assert me.json() == {
            "role": role.value,
            "coin": town.code,
            "coin_name": "テスト町コイン",
            "issuer_name": "テスト信金",
            "merchant_id": None,
        }
    shop = open_shop(town)
    mine = town.client.get("/v1/me", headers=shop.headers).json()
    assert (mine["role"], mine["merchant_id"]) == ("merchant", shop.merchant.public_id)


def test_me_refuses_a_missing_or_unknown_key(town: Town) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-key"}):
        refused = town.client.get("/v1/me", headers=headers)
        assert refused.status_code == 401
        assert refused.json()["code"] == "unauthenticated"


def test_campaign_list_shows_the_coins_campaigns_newest_first_with_paid_sales(
    town: Town,
) -> None:
    first = _campaign(town, "春の商品券")
    second = _campaign(town, "夏の商品券", price=5_000, face=6_500)
    resident = town.sign_up()
    reserved = town.client.post(
        f"/v1/premium_campaigns/{first}/purchases",
        headers=town.token(resident["resident_id"]),
        json={"units": 2},
    )
    assert reserved.status_code == 201, reserved.text
    also_reserved = town.client.post(
        f"/v1/premium_campaigns/{second}/purchases",
        headers=town.token(resident["resident_id"]),
        json={"units": 1},
    )
    assert also_reserved.status_code == 201, also_reserved.text
    paid = town.client.post(
        f"/v1/premium_purchases/{reserved.json()['id']}/confirm",
        headers=town.issuer(),
        json={"channel": "counter", "reference": "desk-1"},
    )
    assert paid.status_code == 200, paid.text

    listed = town.client.get("/v1/premium_campaigns", headers=_bearer(town, Role.MUNICIPALITY))
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [c["id"] for c in body["data"]] == [second, first]
    assert body["has_more"] is False
    summer, spring = body["data"]
    assert (summer["sold_units"], summer["paid_units"], summer["paid_price"]) == (1, 0, 0)
    assert (spring["sold_units"], spring["paid_units"]) == (2, 2)
    assert (spring["paid_price"], spring["paid_premium"]) == (20_000, 4_000)

    page = town.client.get(
        "/v1/premium_campaigns", params={"limit": 1}, headers=town.issuer()
    ).json()
    assert ([c["id"] for c in page["data"]], page["has_more"]) == ([second], True)
    rest = town.client.get(
        "/v1/premium_campaigns",
        params={"limit": 1, "starting_after": second},
        headers=town.issuer(),
    ).json()
    assert ([c["id"] for c in rest["data"]], rest["has_more"]) == ([first], False)


def test_campaign_list_keeps_to_the_keys_coin_and_role(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    other_town = new_town(engine, clock)
    ours = _campaign(town, "町の商品券")
    theirs = other_town.client.get(
        "/v1/premium_campaigns", headers=_bearer(other_town, Role.MUNICIPALITY)
    )
    assert theirs.status_code == 200 and theirs.json()["data"] == []
    cursor = other_town.client.get(
        "/v1/premium_campaigns",
        params={"starting_after": ours},
        headers=_bearer(other_town, Role.MUNICIPALITY),
    )
    assert cursor.status_code == 404
    assert cursor.json()["code"] == "campaign_not_found"
    shop = open_shop(town)
    forbidden = town.client.get("/v1/premium_campaigns", headers=shop.headers)
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden"
