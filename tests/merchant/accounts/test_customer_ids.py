"""A merchant knows its customers by an id of its own: stable at that shop, different at
every other, never the wallet id that would link a resident across shops."""

import json

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from merchant.accounts.customer_ids import customer_id
from tests.merchant.booking_desk import create_intent, pay
from tests.merchant.shops import Payer, Shop, funded_resident, open_shop
from tests.merchant.tills import charged
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def event_data(town: Town, shop: Shop) -> list[str]:
    """Every webhook payload recorded for the shop, as the text its endpoint receives."""
    with town.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT data::text FROM webhook_events WHERE coin_id = :coin AND merchant_id = :m"
            ),
            {"coin": shop.merchant.coin_id, "m": shop.merchant.id},
        ).scalars()
        return list(rows)


def wallet_and_resident(payer: Payer) -> tuple[str, str]:
    return payer.wallet_id, payer.resident_id


def test_one_resident_has_an_id_per_shop_and_no_shop_sees_the_wallet(town: Town) -> None:
    greengrocer, baker = open_shop(town), open_shop(town, name="パン屋")
    payer = funded_resident(town, 5_000)
    first = charged(town, greengrocer, payer, 100)
    again = charged(town, greengrocer, payer, 200)
    elsewhere = charged(town, baker, payer, 300)

    assert first["customer_id"].startswith("cus_")
    assert first["customer_id"] == again["customer_id"]
    assert first["customer_id"] != elsewhere["customer_id"]
    listed = town.client.get("/v1/charges", headers=greengrocer.headers).json()["data"]
    assert {line["customer_id"] for line in listed} == {first["customer_id"]}
    one = town.client.get(f"/v1/charges/{first['id']}", headers=greengrocer.headers).json()
    assert one["customer_id"] == first["customer_id"]
    for shop, answers in ((greengrocer, [first, again, *listed, one]), (baker, [elsewhere])):
        seen = [json.dumps(a) for a in answers] + event_data(town, shop)
        assert [s for s in seen if any(i in s for i in wallet_and_resident(payer))] == []
    assert all(first["customer_id"] in data for data in event_data(town, greengrocer))


def test_an_intent_names_its_payer_as_the_shops_charges_do(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 2_000)
    at_the_till = charged(town, shop, payer, 100)
    intent = create_intent(town, shop, 500)
    assert pay(town, payer, intent["qr_payload"]).status_code == 201
    got = town.client.get(f"/v1/payment_intents/{intent['id']}", headers=shop.headers).json()
    assert got["customer_id"] == at_the_till["customer_id"]
    assert "wallet_id" not in got
    assert [d for d in event_data(town, shop) if payer.wallet_id in d] == []


def test_the_id_is_keyed_per_merchant() -> None:
    a, b = bytes(range(32)), bytes(range(1, 33))
    assert customer_id(a, 7) == customer_id(a, 7)
    assert len({customer_id(a, 7), customer_id(b, 7), customer_id(a, 8)}) == 3
