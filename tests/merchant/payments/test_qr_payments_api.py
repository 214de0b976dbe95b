"""Residents paying a merchant's QR they scanned: static stickers and payment intents' codes."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from kit.credentials import Role
from ledger.chart import Standard
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.qr.emvco_qr import crc16_ccitt_false
from merchant.qr.static_qr import static_payload
from tests.merchant.booking_desk import balance, create_intent, events, intent_status, pay
from tests.merchant.shops import Payer, Shop, funded_resident, open_shop
from tests.wallet_api.test_points_api import standard_balance
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town

assert FAST_PINS


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def sticker(town: Town, shop: Shop) -> str:
    payload: str = run_in_transaction(town.engine, lambda c: static_payload(c, shop.merchant))
    return payload


def with_crc(body_without_crc: str) -> str:
    """A payload re-signed with a right CRC: what a forger (or a sloppy printer) can do."""
    body = body_without_crc + "6304"
    return body + f"{crc16_ccitt_false(body.encode('utf-8')):04X}"


def charges_of(town: Town, shop: Shop) -> list[tuple[int, str]]:
    rows = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT amount, source FROM charges WHERE coin_id = :c AND merchant_id = :m"),
            {"c": shop.merchant.coin_id, "m": shop.merchant.id},
        ).all(),
    )
    return [(row[0], row[1]) for row in rows]


def test_a_static_sticker_is_paid_with_the_amount_the_resident_types(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000)
    refused = pay(town, payer, sticker(town, shop))
    assert (refused.status_code, refused.json()["code"]) == (422, "amount_required")
    paid = pay(town, payer, sticker(town, shop), 480)
    assert paid.status_code == 201, paid.text
    body = paid.json()
    assert (body["status"], body["amount"], body["merchant_id"], body["coin"]) == (
        "succeeded",
        480,
        shop.merchant.public_id,
        town.code,
    )
    assert body["id"] == body["charge_id"] and body["payment_intent_id"] is None
    assert balance(town, payer)["total"] == 520
    assert charges_of(town, shop) == [(480, "static_qr")]


def test_a_bad_crc_is_refused_and_nothing_moves(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000)
    intent = create_intent(town, shop, 600)
    payload = intent["qr_payload"]
    broken = payload[:-4] + ("0000" if payload[-4:] != "0000" else "FFFF")
    response = pay(town, payer, broken)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_qr")
    assert "crc_mismatch" in response.json()["detail"]
    assert balance(town, payer)["total"] == 1_000
    assert intent_status(town, shop, intent["id"]) == "requires_payment"
    assert charges_of(town, shop) == []


def test_a_code_in_another_currency_is_invalid(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000)
    payload = sticker(town, shop)
    assert "5303392" in payload
    dollars = with_crc(payload[:-8].replace("5303392", "5303840"))
    response = pay(town, payer, dollars, 100)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_qr")
    assert balance(town, payer)["total"] == 1_000


def test_a_forged_amount_with_a_fresh_crc_is_refused(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    intent = create_intent(town, shop, 3_000)
    cheaper = with_crc(intent["qr_payload"][:-8].replace("54043000", "540210"))
    response = pay(town, payer, cheaper)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_qr")
    assert balance(town, payer)["total"] == 5_000
    assert intent_status(town, shop, intent["id"]) == "requires_payment"


def test_a_dynamic_code_carries_its_amount(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    intent = create_intent(town, shop, 1_000)
    other = pay(town, payer, intent["qr_payload"], 999)
    assert (other.status_code, other.json()["code"]) == (422, "amount_mismatch")
    same = pay(town, payer, intent["qr_payload"], 1_000)
    assert same.status_code == 201, same.text
    assert same.json()["payment_intent_id"] == intent["id"]
    assert charges_of(town, shop) == [(1_000, "payment_intent")]


def test_unknown_and_other_coins_merchants_are_not_found(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000)
    far_town = new_town(engine, clock)
    far_shop = open_shop(far_town)
    payload = sticker(town, shop)
    unknown = with_crc(payload[:-8].replace(shop.merchant.public_id, "mer_" + "x" * 20))
    # Our coin's code with another coin's merchant: not a merchant of this coin.
    elsewhere = with_crc(payload[:-8].replace(shop.merchant.public_id, far_shop.merchant.public_id))
    for code in (unknown, elsewhere):
        response = pay(town, payer, code, 100)
        assert (response.status_code, response.json()["code"]) == (404, "merchant_not_found")
    assert balance(town, payer)["total"] == 1_000


def test_the_resident_pays_from_their_wallet_in_the_codes_coin(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    payer = funded_resident(town, 1_000)
    far_town = new_town(engine, clock)
    far_shop = open_shop(far_town)
    no_wallet = pay(far_town, payer, sticker(far_town, far_shop), 100)
    assert (no_wallet.status_code, no_wallet.json()["code"]) == (404, "wallet_not_found")
    opened = far_town.client.post(
        "/v1/wallets", json={"coin": far_town.code}, headers=payer.headers
    )
    assert opened.status_code == 201, opened.text
    assert far_town.top_up(opened.json()["wallet_id"], 700, "far-1").status_code == 201
    paid = pay(far_town, payer, sticker(far_town, far_shop), 300)
    assert paid.status_code == 201, paid.text
    assert (paid.json()["coin"], paid.json()["wallet_id"]) == (
        far_town.code,
        opened.json()["wallet_id"],
    )
    assert balance(town, payer)["total"] == 1_000
    far = far_town.client.get(
        f"/v1/wallet?coin={far_town.code}", headers=town.token(payer.resident_id)
    ).json()
    assert far["balance"]["total"] == 400


def test_an_expired_intent_cannot_be_paid(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000)
    intent = create_intent(
        town, shop, 500, expires_at=(town.clock.now() + timedelta(minutes=5)).isoformat()
    )
    town.clock.advance(timedelta(minutes=5))
    response = pay(
        town,
        Payer(payer.resident_id, payer.wallet_id, town.token(payer.resident_id)),
        intent["qr_payload"],
    )
    assert (response.status_code, response.json()["code"]) == (409, "payment_intent_expired")
    assert balance(town, payer)["total"] == 1_000


def test_a_canceled_intent_cannot_be_paid(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000)
    intent = create_intent(town, shop, 500)
    canceled = town.client.post(f"/v1/payment_intents/{intent['id']}/cancel", headers=shop.headers)
    assert canceled.status_code == 200, canceled.text
    response = pay(town, payer, intent["qr_payload"])
    assert (response.status_code, response.json()["code"]) == (409, "payment_intent_canceled")
    assert balance(town, payer)["total"] == 1_000


def test_a_paid_intent_cannot_be_paid_again(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000)
    intent = create_intent(town, shop, 400, capture_method="manual")
    assert pay(town, payer, intent["qr_payload"]).status_code == 201
    again = pay(town, payer, intent["qr_payload"])
    assert (again.status_code, again.json()["code"]) == (409, "payment_intent_already_paid")
    assert balance(town, payer)["held"] == 400


@pytest.mark.parametrize("capture_method", ["automatic", "manual"])
def test_concurrent_payers_pay_an_intent_once(town: Town, capture_method: str) -> None:
    shop = open_shop(town)
    payers = [funded_resident(town, 2_000) for _ in range(3)]
    # One resident tapping twice, and two others, all at once.
    attempts = [payers[0], payers[0], payers[1], payers[2]]
    intent = create_intent(town, shop, 1_500, capture_method=capture_method)
    barrier = threading.Barrier(len(attempts))

    def attempt(payer: Payer) -> tuple[int, str]:
        client = TestClient(town.client.app)
        barrier.wait()
        response = client.post(
            "/v1/wallet/payments", json={"qr_payload": intent["qr_payload"]}, headers=payer.headers
        )
        return response.status_code, response.json().get("code", "")

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        results = list(pool.map(attempt, attempts))
    assert sorted(results) == [(201, "")] + [(409, "payment_intent_already_paid")] * 3
    spent = [2_000 - balance(town, p)["available"] for p in payers]
    assert sorted(spent) == [0, 0, 1_500]
    paid_events = [e for e in events(town, shop) if e[1] == intent["id"]]
    assert len(paid_events) == 2  # created, then succeeded or requires_capture


def test_a_hold_larger_than_the_wallet_is_refused(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 999)
    intent = create_intent(town, shop, 1_000, capture_method="manual")
    response = pay(town, payer, intent["qr_payload"])
    assert (response.status_code, response.json()["code"]) == (402, "insufficient_funds")
    assert intent_status(town, shop, intent["id"]) == "requires_payment"
    assert balance(town, payer)["held"] == 0


def test_a_retried_payment_with_its_key_pays_once(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000)
    body = {"qr_payload": sticker(town, shop), "amount": 250}
    headers = payer.headers | {"Idempotency-Key": "tap-1"}
    first = town.client.post("/v1/wallet/payments", json=body, headers=headers)
    again = town.client.post("/v1/wallet/payments", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert balance(town, payer)["total"] == 750


def fees_of(town: Town, shop: Shop) -> list[tuple[int, int]]:
    rows = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT amount, fee FROM charges WHERE coin_id = :c AND merchant_id = :m ORDER BY id"
            ),
            {"c": shop.merchant.coin_id, "m": shop.merchant.id},
        ).all(),
    )
    return [(row[0], row[1]) for row in rows]


def test_a_scanned_payment_takes_the_override_else_the_group_plan_else_the_standard(
    town: Town,
) -> None:
    # The payment reads the merchant and its plan in one statement (payment_context).
    plan = {"payment_bp": 100, "cashout_bp": 150, "btob_bp": 40}
    assert (
        town.client.post(
            "/v1/fee_plans", json={"member_group": "", **plan}, headers=town.issuer()
        ).status_code
        == 200
    )
    chamber = {**plan, "member_group": "chamber", "payment_bp": 50}
    assert town.client.post("/v1/fee_plans", json=chamber, headers=town.issuer()).status_code == 201
    plain, member = open_shop(town), open_shop(town, member_group="chamber")
    payer = funded_resident(town, 5_000)
    assert pay(town, payer, sticker(town, plain), 999).status_code == 201
    assert pay(town, payer, sticker(town, member), 999).status_code == 201
    overridden = town.client.post(
        f"/v1/merchants/{member.merchant.public_id}/fees",
        json={"payment_bp": 300},
        headers=town.issuer(),
    )
    assert overridden.status_code == 200, overridden.text
    assert pay(town, payer, sticker(town, member), 999).status_code == 201
    # 1% of 999 is 9.99, 0.5% is 4.995, 3% is 29.97: each rounded down.
    assert fees_of(town, plain) == [(999, 9)]
    assert fees_of(town, member) == [(999, 4), (999, 29)]


def test_points_past_their_date_are_never_spent_even_before_the_sweep(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000)
    expiry = town.clock.now() + timedelta(days=30)
    granted = town.client.post(
        "/v1/points/grants",
        json={
            "wallet_ids": [payer.wallet_id],
            "amount": 500,
            "reason": "子育て応援ポイント",
            "expires_at": expiry.isoformat(),
        },
        headers={"Authorization": f"Bearer {town.coin.keys[Role.MUNICIPALITY]}"},
    )
    assert granted.status_code == 201, granted.text
    assert balance(town, payer)["total"] == 1_500
    town.clock.set(expiry + timedelta(minutes=1))  # no sweep has run
    fresh = Payer(payer.resident_id, payer.wallet_id, town.token(payer.resident_id))
    refused = pay(town, fresh, sticker(town, shop), 1_200)
    assert (refused.status_code, refused.json()["code"]) == (402, "insufficient_funds")
    paid = pay(town, fresh, sticker(town, shop), 1_000)
    assert paid.status_code == 201, paid.text
    figures = balance(town, payer)
    assert (figures["total"], figures["points"]) == (0, 0)
    assert standard_balance(town, Standard.REVENUE_BREAKAGE) == 500
