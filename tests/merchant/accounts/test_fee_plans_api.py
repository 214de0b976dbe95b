"""Fee plans and merchants' own rates through the API, and the rate a charge is taken at."""

import pytest
from sqlalchemy import Engine

from kit.credentials import Role
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.accounts.fees import FeeKind, rate_for
from merchant.accounts.merchants import find_merchant
from merchant.payments.charges import Source, record_charge
from tests.conftest import T0
from tests.merchant.shops import Shop, funded_resident, open_shop
from tests.wallet_api.test_residents_api import Town, new_town
from wallet_api.residents import find_wallet
from wallet_api.rules import get_rules


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def put_plan(town: Town, group: str, payment: int, cashout: int = 150, btob: int = 40):  # type: ignore[no-untyped-def]
    return town.client.post(
        "/v1/fee_plans",
        json={"member_group": group, "payment_bp": payment, "cashout_bp": cashout, "btob_bp": btob},
        headers=town.issuer(),
    )


def set_fees(town: Town, shop: Shop, body: dict[str, int | None]):  # type: ignore[no-untyped-def]
    return town.client.post(
        f"/v1/merchants/{shop.merchant.public_id}/fees", json=body, headers=town.issuer()
    )


def payment_rate(town: Town, shop: Shop) -> int:
    coin_id = town.coin.coin.id

    def work(conn):  # type: ignore[no-untyped-def]
        merchant = find_merchant(conn, coin_id=coin_id, merchant_public_id=shop.merchant.public_id)
        return rate_for(conn, merchant, FeeKind.PAYMENT)

    rate: int = run_in_transaction(town.engine, work)
    return rate


def charge_fee(town: Town, shop: Shop, amount: int) -> int:
    coin_id = town.coin.coin.id
    payer = funded_resident(town, amount)

    def work(conn):  # type: ignore[no-untyped-def]
        return record_charge(
            conn,
            rules=get_rules(conn, coin_id=coin_id),
            merchant=find_merchant(
                conn, coin_id=coin_id, merchant_public_id=shop.merchant.public_id
            ),
            wallet=find_wallet(conn, coin_id=coin_id, wallet_public_id=payer.wallet_id),
            amount=amount,
            source=Source.STATIC_QR,
            at=T0,
        ).fee

    fee: int = run_in_transaction(town.engine, work)
    return fee


def test_a_new_coin_has_the_standard_plan(town: Town) -> None:
    plans = town.client.get("/v1/fee_plans", headers=town.issuer()).json()
    assert plans == {
        "data": [{"member_group": "", "payment_bp": 0, "cashout_bp": 160, "btob_bp": 50}],
        "has_more": False,
    }


def test_a_plan_is_created_then_replaced(town: Town) -> None:
    created = put_plan(town, "chamber", 10)
    assert (created.status_code, created.json()["payment_bp"]) == (201, 10)
    replaced = put_plan(town, "chamber", 20)
    assert (replaced.status_code, replaced.json()["payment_bp"]) == (200, 20)
    groups = town.client.get("/v1/fee_plans", headers=town.issuer()).json()["data"]
    assert [(p["member_group"], p["payment_bp"]) for p in groups] == [("", 0), ("chamber", 20)]


def test_the_rate_is_override_then_group_then_standard_and_a_charge_uses_it(town: Town) -> None:
    assert put_plan(town, "", 100).status_code == 200
    assert put_plan(town, "chamber", 50).status_code == 201
    plain, member = open_shop(town), open_shop(town, member_group="chamber")
    assert (payment_rate(town, plain), payment_rate(town, member)) == (100, 50)
    # 999 at 1% is 9.99 and at 0.5% 4.995: each rounded down.
    assert (charge_fee(town, plain, 999), charge_fee(town, member, 999)) == (9, 4)

    overridden = set_fees(town, member, {"payment_bp": 300})
    assert overridden.status_code == 200, overridden.text
    assert overridden.json()["fee_overrides"] == {
        "payment_bp": 300,
        "cashout_bp": None,
        "btob_bp": None,
    }
    assert overridden.json()["fees"] == {"payment_bp": 300, "cashout_bp": 150, "btob_bp": 40}
    assert payment_rate(town, member) == 300
    assert charge_fee(town, member, 999) == 29

    # A rate not sent stays; null clears it, back to the group's plan.
    set_fees(town, member, {"cashout_bp": 0})
    cleared = set_fees(town, member, {"payment_bp": None}).json()
    assert cleared["fee_overrides"] == {"payment_bp": None, "cashout_bp": 0, "btob_bp": None}
    assert payment_rate(town, member) == 50
    assert charge_fee(town, member, 999) == 4


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"member_group": "Chamber!", "payment_bp": 0, "cashout_bp": 0, "btob_bp": 0},
            "member_group_invalid",
        ),
        (
            {"member_group": "x", "payment_bp": 10_001, "cashout_bp": 0, "btob_bp": 0},
            "validation_error",
        ),
        (
            {"member_group": "x", "payment_bp": -1, "cashout_bp": 0, "btob_bp": 0},
            "validation_error",
        ),
    ],
)
def test_bad_plans_are_refused_and_nothing_changes(
    town: Town, body: dict[str, object], code: str
) -> None:
    refused = town.client.post("/v1/fee_plans", json=body, headers=town.issuer())
    assert (refused.status_code, refused.json()["code"]) == (422, code)
    assert len(town.client.get("/v1/fee_plans", headers=town.issuer()).json()["data"]) == 1


def test_a_bad_override_is_refused_and_nothing_changes(town: Town) -> None:
    shop = open_shop(town)
    refused = set_fees(town, shop, {"payment_bp": 20_000})
    assert (refused.status_code, refused.json()["code"]) == (422, "validation_error")
    assert payment_rate(town, shop) == 0


def test_fee_plans_are_the_coins_own(town: Town, engine: Engine, clock: FixedClock) -> None:
    elsewhere = new_town(engine, clock)
    shop = open_shop(town)
    assert put_plan(elsewhere, "", 900).status_code == 200
    assert payment_rate(town, shop) == 0
    foreign = set_fees(elsewhere, shop, {"payment_bp": 900})
    assert (foreign.status_code, foreign.json()["code"]) == (404, "merchant_not_found")
    assert payment_rate(town, shop) == 0
    merchant_key = town.client.get("/v1/fee_plans", headers=shop.headers)
    assert (merchant_key.status_code, merchant_key.json()["code"]) == (403, "forbidden")
    operator = {"Authorization": f"Bearer {town.coin.keys[Role.OPERATOR]}"}
    assert town.client.get("/v1/fee_plans", headers=operator).status_code == 200


def test_a_replayed_plan_change_answers_the_same(town: Town) -> None:
    body = {"member_group": "chamber", "payment_bp": 5, "cashout_bp": 5, "btob_bp": 5}
    headers = town.issuer() | {"Idempotency-Key": "plan-1"}
    first = town.client.post("/v1/fee_plans", json=body, headers=headers)
    again = town.client.post("/v1/fee_plans", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
