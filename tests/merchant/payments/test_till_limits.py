"""A till can do what a till does: refund its own recent, small charges and list its own."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from ledger.clock import FixedClock
from tests.merchant.shops import Payer, Shop, funded_resident, open_shop
from tests.merchant.tills import charge, payment_token, terminal_headers, wallet_balance
from tests.wallet_api.test_residents_api import Town, new_town

# A till's limits unless the merchant sets its own (POST /v1/merchant/till_limits).
TERMINAL_REFUND_WINDOW = timedelta(days=7)
TERMINAL_REFUND_MAX = 10_000


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def taken_at(town: Town, till: dict[str, str], payer: Payer, amount: int) -> str:
    answer = charge(town.client, till, amount=amount, token=payment_token(town, payer))
    assert answer.status_code == 201, answer.text
    charge_id: str = answer.json()["id"]
    return charge_id


def refund(town: Town, headers: dict[str, str], charge_id: str, amount: int | None = None):  # type: ignore[no-untyped-def]
    body: dict[str, object] = {"charge_id": charge_id}
    if amount is not None:
        body["amount"] = amount
    return town.client.post("/v1/refunds", json=body, headers=headers)


@pytest.fixture
def shop(town: Town) -> tuple[Shop, dict[str, str], dict[str, str], Payer]:
    owner = open_shop(town)
    return (
        owner,
        terminal_headers(town, owner),
        terminal_headers(town, owner),
        funded_resident(town, 50_000),
    )


def test_a_till_refunds_its_own_charge(town: Town, shop: tuple) -> None:  # type: ignore[type-arg]
    _, till, _, payer = shop
    charge_id = taken_at(town, till, payer, 800)
    assert refund(town, till, charge_id, 300).status_code == 201
    assert wallet_balance(town, payer)["total"] == 50_000 - 500


def test_a_till_cannot_refund_another_tills_charge_but_the_merchant_can(
    town: Town,
    shop: tuple,  # type: ignore[type-arg]
) -> None:
    owner, till, other_till, payer = shop
    charge_id = taken_at(town, till, payer, 800)
    refused = refund(town, other_till, charge_id)
    assert (refused.status_code, refused.json()["code"]) == (403, "terminal_key_not_allowed")
    assert wallet_balance(town, payer)["total"] == 50_000 - 800
    assert refund(town, owner.headers, charge_id).status_code == 201


def test_a_till_cannot_refund_an_old_charge(town: Town, shop: tuple) -> None:  # type: ignore[type-arg]
    owner, till, _, payer = shop
    charge_id = taken_at(town, till, payer, 800)
    town.clock.advance(TERMINAL_REFUND_WINDOW + timedelta(minutes=1))
    refused = refund(town, till, charge_id)
    assert (refused.status_code, refused.json()["code"]) == (403, "terminal_key_not_allowed")
    assert refund(town, owner.headers, charge_id).status_code == 201


def test_a_till_cannot_refund_a_large_amount(town: Town, shop: tuple) -> None:  # type: ignore[type-arg]
    owner, till, _, payer = shop
    charge_id = taken_at(town, till, payer, TERMINAL_REFUND_MAX + 1)
    refused = refund(town, till, charge_id)
    assert (refused.status_code, refused.json()["code"]) == (403, "terminal_key_not_allowed")
    assert refund(town, till, charge_id, TERMINAL_REFUND_MAX).status_code == 201
    assert refund(town, owner.headers, charge_id).status_code == 201


def test_each_merchant_sets_what_its_tills_may_refund(town: Town, shop: tuple) -> None:  # type: ignore[type-arg]
    owner, till, _, payer = shop
    shown = town.client.get("/v1/merchant", headers=owner.headers).json()["till_limits"]
    assert shown == {"refund_days": 7, "refund_max": 10_000}
    tighter = town.client.post(
        "/v1/merchant/till_limits",
        json={"refund_days": 1, "refund_max": 500},
        headers=owner.headers,
    )
    assert tighter.json() == {"refund_days": 1, "refund_max": 500}
    charge_id = taken_at(town, till, payer, 800)
    too_much = refund(town, till, charge_id, 501)
    assert (too_much.status_code, too_much.json()["code"]) == (403, "terminal_key_not_allowed")
    assert refund(town, till, charge_id, 500).status_code == 201
    town.clock.advance(timedelta(days=1, minutes=1))
    too_old = refund(town, till, charge_id, 100)
    assert (too_old.status_code, too_old.json()["code"]) == (403, "terminal_key_not_allowed")
    # Another shop keeps the defaults.
    other = open_shop(town)
    assert town.client.get("/v1/merchant", headers=other.headers).json()["till_limits"] == {
        "refund_days": 7,
        "refund_max": 10_000,
    }


def test_a_till_cannot_set_its_own_limits(town: Town, shop: tuple) -> None:  # type: ignore[type-arg]
    owner, till, _, _ = shop
    refused = town.client.post("/v1/merchant/till_limits", json={"refund_max": 10**9}, headers=till)
    assert (refused.status_code, refused.json()["code"]) == (403, "terminal_key_not_allowed")
    shown = town.client.get("/v1/merchant", headers=owner.headers).json()["till_limits"]
    assert shown["refund_max"] == 10_000


@pytest.mark.parametrize(
    "body", [{"refund_days": 91}, {"refund_days": -1}, {"refund_max": "500"}, {"refund_max": 1.5}]
)
def test_till_limits_out_of_bounds_are_refused_and_change_nothing(
    town: Town,
    shop: tuple,  # type: ignore[type-arg]
    body: dict[str, object],
) -> None:
    owner = shop[0]
    refused = town.client.post("/v1/merchant/till_limits", json=body, headers=owner.headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "validation_error")
    shown = town.client.get("/v1/merchant", headers=owner.headers).json()["till_limits"]
    assert shown == {"refund_days": 7, "refund_max": 10_000}


def test_a_till_lists_its_own_charges_only(town: Town, shop: tuple) -> None:  # type: ignore[type-arg]
    owner, till, other_till, payer = shop
    mine = taken_at(town, till, payer, 100)
    theirs = taken_at(town, other_till, payer, 200)
    listed = town.client.get("/v1/charges", headers=till).json()["data"]
    assert [c["id"] for c in listed] == [mine]
    everything = town.client.get("/v1/charges", headers=owner.headers).json()["data"]
    assert {c["id"] for c in everything} == {mine, theirs}
