"""A town whose API lets webhooks go to loopback (the test receiver), and ways to drive delivery."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from localcoin.app import create_app
from merchant.webhooks.delivery import PassReport, deliver_pass
from merchant.webhooks.http_poster import HttpPoster
from merchant.webhooks.outbox import Event, record_event
from tests.merchant.shops import Shop
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town

PRIVATE_OK = FAST_PINS.model_copy(update={"webhook_allow_private_urls": True})


def webhook_town(engine: Engine, clock: FixedClock) -> Town:
    town = new_town(engine, clock)
    app = create_app(engine, clock, run_sealer=False, settings=PRIVATE_OK)
    return Town(engine, clock, town.coin, TestClient(app))


def add_endpoint(town: Town, shop: Shop, url: str, events: list[str] | None = None) -> Any:
    response = town.client.post(
        "/v1/webhook_endpoints",
        json={"url": url, "events": events or ["*"]},
        headers=shop.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def emit(
    town: Town, shop: Shop, type_: str = "charge.succeeded", data: dict[str, Any] | None = None
) -> Event:
    """An event in the outbox, committed, as a charge would leave it."""
    event: Event = run_in_transaction(
        town.engine,
        lambda conn: record_event(
            conn,
            coin_id=shop.merchant.coin_id,
            merchant_id=shop.merchant.id,
            type_=type_,
            data=data or {"id": "ch_test", "amount": 500},
            at=town.clock.now(),
        ),
    )
    return event


def run_pass(town: Town) -> PassReport:
    """One worker pass, as the background thread runs it, on the town's clock."""
    poster = HttpPoster(timeout_s=5)
    try:
        return deliver_pass(town.engine, town.clock, poster=poster, allow_private=True)
    finally:
        poster.close()
