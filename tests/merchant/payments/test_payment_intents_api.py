"""Payment intents through the API: create, read, capture (all or part), cancel, QR images."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from ledger.accounts import get_balance
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.qr.emvco_qr import Initiation, parse
from tests.conftest import T0
from tests.merchant.booking_desk import balance, create_intent, events, intent_status, pay
from tests.merchant.shops import funded_resident, open_shop
from tests.merchant.tills import terminal_headers
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town

assert FAST_PINS


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def merchant_balance(town: Town, shop) -> int:  # type: ignore[no-untyped-def]
    posted: int = run_in_transaction(
        town.engine,
        lambda c: (
            get_balance(
                c, coin_id=shop.merchant.coin_id, account_id=shop.merchant.account_id
            ).posted
        ),
    )
    return posted


def test_an_intent_carries_a_dynamic_qr_of_its_amount_and_id(town: Town) -> None:
    shop = open_shop(town)
    intent = create_intent(town, shop, 1_500, reference="ARENA-2026-0042")
    assert intent["status"] == "requires_payment"
    assert intent["id"].startswith("pi_") and len(intent["id"]) <= 25
    assert intent["expires_at"] == (T0 + timedelta(minutes=15)).isoformat()
    qr = parse(intent["qr_payload"])
    assert (qr.initiation, qr.amount_yen, qr.reference) == (Initiation.DYNAMIC, 1_500, intent["id"])
    assert (qr.coin_code, qr.merchant_id) == (town.code, shop.merchant.public_id)
    assert qr.merchant_name_ja == shop.merchant.name
    assert events(town, shop) == [("payment_intent.created", intent["id"])]


def test_a_replayed_create_returns_the_same_intent(town: Town) -> None:
    shop = open_shop(town)
    first = create_intent(town, shop, 800, key="booking-77")
    again = create_intent(town, shop, 800, key="booking-77")
    assert again == first
    listed = town.client.get("/v1/payment_intents", headers=shop.headers).json()
    assert [i["id"] for i in listed["data"]] == [first["id"]]


def test_bad_expiry_is_refused(town: Town) -> None:
    shop = open_shop(town)
    for expires_at in (T0 - timedelta(seconds=1), T0 + timedelta(days=7, seconds=1)):
        response = town.client.post(
            "/v1/payment_intents",
            json={"amount": 100, "reference": "X", "expires_at": expires_at.isoformat()},
            headers=shop.headers,
        )
        assert (response.status_code, response.json()["code"]) == (422, "expires_at_invalid")
    assert town.client.get("/v1/payment_intents", headers=shop.headers).json()["data"] == []


def test_another_merchants_intent_is_not_found(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    shop, rival = open_shop(town), open_shop(town)
    intent = create_intent(town, shop, 500, capture_method="manual")
    far_town = new_town(engine, clock)
    far_shop = open_shop(far_town)
    for who in (rival, far_shop):
        for method, path in (
            ("GET", ""),
            ("GET", "/qr.png"),
            ("GET", "/qr.svg"),
            ("POST", "/capture"),
            ("POST", "/cancel"),
        ):
            response = town.client.request(
                method, f"/v1/payment_intents/{intent['id']}{path}", headers=who.headers, json={}
            )
            assert (response.status_code, response.json()["code"]) == (
                404,
                "payment_intent_not_found",
            ), (method, path)
        assert town.client.get("/v1/payment_intents", headers=who.headers).json()["data"] == []
    assert intent_status(town, shop, intent["id"]) == "requires_payment"


def test_an_unpaid_intent_reads_expired_after_its_time_before_any_sweep(town: Town) -> None:
    shop = open_shop(town)
    intent = create_intent(town, shop, 300)
    town.clock.advance(timedelta(minutes=15))
    assert intent_status(town, shop, intent["id"]) == "expired"
    response = town.client.post(f"/v1/payment_intents/{intent['id']}/cancel", headers=shop.headers)
    assert (response.status_code, response.json()["code"]) == (409, "payment_intent_expired")


def test_automatic_intent_paid_becomes_a_charge(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 2_000)
    intent = create_intent(town, shop, 1_200)
    paid = pay(town, payer, intent["qr_payload"])
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "succeeded"
    got = town.client.get(f"/v1/payment_intents/{intent['id']}", headers=shop.headers).json()
    assert (got["status"], got["charge_id"], got["amount_captured"]) == (
        "succeeded",
        paid.json()["charge_id"],
        1_200,
    )
    assert got["customer_id"].startswith("cus_")
    assert balance(town, payer)["available"] == 800
    assert merchant_balance(town, shop) == 1_200
    assert events(town, shop)[-2:] == [
        ("charge.succeeded", got["charge_id"]),
        ("payment_intent.succeeded", intent["id"]),
    ]
    refused = town.client.post(f"/v1/payment_intents/{intent['id']}/cancel", headers=shop.headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "payment_intent_already_paid")


def hold_for(town: Town, amount: int, funds: int):  # type: ignore[no-untyped-def]
    shop = open_shop(town)
    payer = funded_resident(town, funds)
    intent = create_intent(town, shop, amount, capture_method="manual")
    # From the step-up amount on, the resident confirms with the PIN.
    pin = "1234" if amount >= 10_000 else None
    held = pay(town, payer, intent["qr_payload"], pin=pin)
    assert held.status_code == 201, held.text
    assert (held.json()["status"], held.json()["id"]) == ("requires_capture", intent["id"])
    return shop, payer, intent


def test_a_manual_intent_holds_the_amount_until_captured(town: Town) -> None:
    shop, payer, intent = hold_for(town, 3_000, 5_000)
    figures = balance(town, payer)
    assert (figures["total"], figures["held"], figures["available"]) == (5_000, 3_000, 2_000)
    got = town.client.get(f"/v1/payment_intents/{intent['id']}", headers=shop.headers).json()
    assert (got["status"], got["amount_capturable"]) == ("requires_capture", 3_000)
    assert got["capture_before"] == (T0 + timedelta(days=7)).isoformat()
    captured = town.client.post(
        f"/v1/payment_intents/{intent['id']}/capture", json={}, headers=shop.headers
    )
    assert captured.status_code == 200, captured.text
    assert (captured.json()["status"], captured.json()["amount_captured"]) == ("succeeded", 3_000)
    figures = balance(town, payer)
    assert (figures["total"], figures["held"], figures["available"]) == (2_000, 0, 2_000)
    assert merchant_balance(town, shop) == 3_000


def test_a_partial_capture_moves_exactly_that_and_frees_the_rest(town: Town) -> None:
    run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("UPDATE fee_plans SET payment_bp = 125 WHERE coin_id = :c"),
            {"c": town.coin.coin.id},
        ),
    )
    shop, payer, intent = hold_for(town, 10_000, 12_000)
    # A cancellation fee of 30%: 2,999 captured, the fee on it 37 (rounded down).
    captured = town.client.post(
        f"/v1/payment_intents/{intent['id']}/capture", json={"amount": 2_999}, headers=shop.headers
    )
    assert captured.status_code == 200, captured.text
    figures = balance(town, payer)
    assert (figures["total"], figures["held"], figures["available"]) == (9_001, 0, 9_001)
    assert merchant_balance(town, shop) == 2_999 - 37
    charge_id = captured.json()["charge_id"]
    fee = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT amount, fee, source, reference FROM charges WHERE public_id = :p"),
            {"p": charge_id},
        ).one(),
    )
    assert tuple(fee) == (2_999, 37, "payment_intent", "BK-1")
    again = town.client.post(
        f"/v1/payment_intents/{intent['id']}/capture", json={"amount": 1}, headers=shop.headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "payment_intent_not_capturable")
    assert balance(town, payer)["total"] == 9_001


def test_a_capture_above_the_hold_is_refused_and_moves_nothing(town: Town) -> None:
    shop, payer, intent = hold_for(town, 1_000, 1_000)
    response = town.client.post(
        f"/v1/payment_intents/{intent['id']}/capture", json={"amount": 1_001}, headers=shop.headers
    )
    assert (response.status_code, response.json()["code"]) == (422, "capture_amount_invalid")
    figures = balance(town, payer)
    assert (figures["total"], figures["held"]) == (1_000, 1_000)
    assert intent_status(town, shop, intent["id"]) == "requires_capture"


def test_capture_after_the_deadline_is_refused(town: Town) -> None:
    shop, payer, intent = hold_for(town, 1_000, 1_000)
    town.clock.advance(timedelta(days=7))
    response = town.client.post(
        f"/v1/payment_intents/{intent['id']}/capture", json={}, headers=shop.headers
    )
    assert (response.status_code, response.json()["code"]) == (409, "capture_expired")
    assert merchant_balance(town, shop) == 0
    assert balance(town, payer)["total"] == 1_000


def test_canceling_a_held_intent_releases_the_whole_hold(town: Town) -> None:
    shop, payer, intent = hold_for(town, 4_000, 4_000)
    canceled = town.client.post(
        f"/v1/payment_intents/{intent['id']}/cancel",
        json={"cancellation_reason": "abandoned"},
        headers=shop.headers,
    )
    assert canceled.status_code == 200, canceled.text
    assert (canceled.json()["status"], canceled.json()["cancellation_reason"]) == (
        "canceled",
        "abandoned",
    )
    figures = balance(town, payer)
    assert (figures["total"], figures["held"], figures["available"]) == (4_000, 0, 4_000)
    assert events(town, shop)[-1] == ("payment_intent.canceled", intent["id"])
    capture = town.client.post(
        f"/v1/payment_intents/{intent['id']}/capture", json={}, headers=shop.headers
    )
    assert (capture.status_code, capture.json()["code"]) == (409, "payment_intent_not_capturable")


def test_concurrent_captures_take_the_hold_once(town: Town) -> None:
    shop, payer, intent = hold_for(town, 2_000, 2_000)

    def capture(_: int) -> int:
        client = TestClient(town.client.app)
        response = client.post(
            f"/v1/payment_intents/{intent['id']}/capture", json={}, headers=shop.headers
        )
        return int(response.status_code)

    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = sorted(pool.map(capture, range(3)))
    assert statuses == [200, 409, 409]
    assert merchant_balance(town, shop) == 2_000
    assert balance(town, payer)["total"] == 0


def test_the_qr_images_are_of_the_intents_payload(town: Town) -> None:
    shop = open_shop(town)
    intent = create_intent(town, shop, 700)
    png = town.client.get(f"/v1/payment_intents/{intent['id']}/qr.png", headers=shop.headers)
    assert (png.status_code, png.headers["content-type"]) == (200, "image/png")
    assert png.content.startswith(b"\x89PNG")
    svg = town.client.get(f"/v1/payment_intents/{intent['id']}/qr.svg", headers=shop.headers)
    assert (svg.status_code, svg.headers["content-type"].split(";")[0]) == (200, "image/svg+xml")
    assert "<svg" in svg.text


def test_the_list_pages_newest_first(town: Town) -> None:
    shop = open_shop(town)
    ids = [create_intent(town, shop, 100 + n, reference=f"R{n}")["id"] for n in range(3)]
    first = town.client.get("/v1/payment_intents?limit=2", headers=shop.headers).json()
    assert ([i["id"] for i in first["data"]], first["has_more"]) == ([ids[2], ids[1]], True)
    rest = town.client.get(
        f"/v1/payment_intents?limit=2&starting_after={ids[1]}", headers=shop.headers
    ).json()
    assert ([i["id"] for i in rest["data"]], rest["has_more"]) == ([ids[0]], False)


def test_the_database_refuses_a_succeeded_intent_without_its_charge(town: Town) -> None:
    shop = open_shop(town)
    intent = create_intent(town, shop, 100)
    with pytest.raises(IntegrityError, match="payment_intents_status_columns"):
        run_in_transaction(
            town.engine,
            lambda c: c.execute(
                text("UPDATE payment_intents SET status = 'succeeded' WHERE public_id = :p"),
                {"p": intent["id"]},
            ),
        )


def test_a_paid_intent_is_refunded_by_its_id(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 2_000)
    unpaid = create_intent(town, shop, 500, reference="BK-UNPAID")
    not_yet = town.client.post(
        "/v1/refunds", json={"payment_intent_id": unpaid["id"]}, headers=shop.headers
    )
    assert (not_yet.status_code, not_yet.json()["code"]) == (409, "payment_intent_not_paid")
    intent = create_intent(town, shop, 1_200)
    assert pay(town, payer, intent["qr_payload"]).status_code == 201
    rival = open_shop(town)
    theirs = town.client.post(
        "/v1/refunds", json={"payment_intent_id": intent["id"]}, headers=rival.headers
    )
    assert (theirs.status_code, theirs.json()["code"]) == (404, "payment_intent_not_found")
    refund = town.client.post(
        "/v1/refunds", json={"payment_intent_id": intent["id"], "amount": 200}, headers=shop.headers
    )
    assert refund.status_code == 201, refund.text
    charge_id = town.client.get(f"/v1/payment_intents/{intent['id']}", headers=shop.headers).json()[
        "charge_id"
    ]
    assert (refund.json()["charge_id"], refund.json()["amount"]) == (charge_id, 200)
    assert balance(town, payer)["total"] == 1_000
    assert merchant_balance(town, shop) == 1_000


def test_a_partly_captured_intent_refunds_what_was_captured(town: Town) -> None:
    shop, payer, intent = hold_for(town, 5_000, 5_000)
    captured = town.client.post(
        f"/v1/payment_intents/{intent['id']}/capture", json={"amount": 1_500}, headers=shop.headers
    )
    assert captured.status_code == 200, captured.text
    refund = town.client.post(
        "/v1/refunds", json={"payment_intent_id": intent["id"]}, headers=shop.headers
    )
    assert (refund.status_code, refund.json()["amount"]) == (201, 1_500)
    figures = balance(town, payer)
    assert (figures["total"], figures["held"], figures["available"]) == (5_000, 0, 5_000)
    assert merchant_balance(town, shop) == 0


def test_a_counter_terminal_creates_intents_its_merchant_sees(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 500)
    till = terminal_headers(town, shop)
    created = town.client.post(
        "/v1/payment_intents", json={"amount": 350, "reference": "JUMINHYO-9"}, headers=till
    )
    assert created.status_code == 201, created.text
    intent_id = created.json()["id"]
    assert intent_status(town, shop, intent_id) == "requires_payment"
    assert pay(town, payer, created.json()["qr_payload"]).status_code == 201
    terminal_of_charge = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT c.terminal_id = i.terminal_id AND c.terminal_id IS NOT NULL"
                " FROM payment_intents i JOIN charges c"
                " ON c.coin_id = i.coin_id AND c.id = i.charge_id WHERE i.public_id = :p"
            ),
            {"p": intent_id},
        ).scalar_one(),
    )
    assert terminal_of_charge is True
