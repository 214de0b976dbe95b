"""The intent sweeper: holds nobody captured in time go back, unpaid intents expire."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.payments.intent_sweeper import IntentSweeper, sweep_coin_once, sweep_intents
from merchant.webhooks.endpoints import EVENT_TYPES
from tests.merchant.booking_desk import balance, create_intent, events, intent_status, pay
from tests.merchant.shops import Payer, Shop, funded_resident, open_shop
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town

assert FAST_PINS


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def sweep(town: Town) -> tuple[int, int]:
    at = town.clock.now()
    counts: tuple[int, int] = run_in_transaction(
        town.engine, lambda c: sweep_coin_once(c, coin_id=town.coin.coin.id, at=at)
    )
    return counts


def held(town: Town, amount: int) -> tuple[Shop, Payer, str]:
    shop = open_shop(town)
    payer = funded_resident(town, amount)
    intent = create_intent(town, shop, amount, capture_method="manual")
    assert pay(town, payer, intent["qr_payload"]).status_code == 201
    return shop, payer, intent["id"]


def stored_status(town: Town, intent_id: str) -> tuple[str, str | None]:
    row = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT status, cancellation_reason FROM payment_intents WHERE public_id = :p"),
            {"p": intent_id},
        ).one(),
    )
    return row[0], row[1]


def test_a_hold_not_captured_by_its_deadline_is_released(town: Town) -> None:
    shop, payer, intent_id = held(town, 2_500)
    town.clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert sweep(town) == (0, 0)
    assert balance(town, payer)["held"] == 2_500
    town.clock.advance(timedelta(seconds=1))
    assert sweep(town) == (1, 0)
    figures = balance(town, payer)
    assert (figures["total"], figures["held"], figures["available"]) == (2_500, 0, 2_500)
    assert stored_status(town, intent_id) == ("canceled", "capture_expired")
    assert events(town, shop)[-1] == ("payment_intent.canceled", intent_id)
    late = town.client.post(
        f"/v1/payment_intents/{intent_id}/capture", json={}, headers=shop.headers
    )
    assert (late.status_code, late.json()["code"]) == (409, "payment_intent_not_capturable")
    assert sweep(town) == (0, 0)


def test_unpaid_intents_past_their_time_are_marked_expired(town: Town) -> None:
    shop = open_shop(town)
    soon = create_intent(town, shop, 100, reference="A")
    later = create_intent(
        town,
        shop,
        100,
        reference="B",
        expires_at=(town.clock.now() + timedelta(hours=1)).isoformat(),
    )
    town.clock.advance(timedelta(minutes=15))
    assert stored_status(town, soon["id"]) == ("requires_payment", None)
    assert sweep(town) == (0, 1)
    assert stored_status(town, soon["id"]) == ("expired", None)
    assert intent_status(town, shop, later["id"]) == "requires_payment"
    assert events(town, shop)[-1] == ("payment_intent.expired", soon["id"])
    assert sweep(town) == (0, 0)
    # Every type the intent's life wrote is one an integrator can subscribe to.
    assert {kind for kind, _ in events(town, shop)} <= EVENT_TYPES


def test_a_paid_or_captured_intent_is_left_alone(town: Town) -> None:
    shop, payer, intent_id = held(town, 1_000)
    captured = town.client.post(
        f"/v1/payment_intents/{intent_id}/capture", json={"amount": 400}, headers=shop.headers
    )
    assert captured.status_code == 200, captured.text
    town.clock.advance(timedelta(days=30))
    assert sweep(town) == (0, 0)
    assert stored_status(town, intent_id) == ("succeeded", None)
    assert balance(town, payer)["total"] == 600


def test_the_background_thread_sweeps_every_coin(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    other = new_town(engine, clock)
    _, payer, intent_id = held(town, 700)
    other_shop = open_shop(other)
    unpaid = create_intent(other, other_shop, 300)
    clock.advance(timedelta(days=7))
    released, expired = sweep_intents(engine, clock)
    assert (released, expired) >= (1, 1)
    assert stored_status(town, intent_id) == ("canceled", "capture_expired")
    assert stored_status(other, unpaid["id"]) == ("expired", None)
    # The thread runs the same pass on its own: a fresh hold past its deadline goes back.
    _, second_payer, second_id = held(town, 500)
    clock.advance(timedelta(days=7))
    sweeper = IntentSweeper(engine, clock, interval_s=0.02)
    sweeper.start()
    try:
        deadline = time.monotonic() + 10
        while stored_status(town, second_id)[0] != "canceled" and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sweeper.stop()
    assert stored_status(town, second_id) == ("canceled", "capture_expired")
    assert balance(town, second_payer)["held"] == 0
    assert balance(town, payer)["held"] == 0
