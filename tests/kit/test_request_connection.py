"""Authentication runs on the request's own connection: one pooled connection serves a request.

With a pool of exactly one connection and no overflow, any dependency that
borrowed a second connection would wait for the pool until it timed out.
"""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from ledger.clock import FixedClock
from localcoin.app import create_app
from tests.merchant.shops import funded_resident, open_shop
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town


@pytest.fixture
def single_connection(database_url: str) -> Iterator[Engine]:
    engine = create_engine(
        database_url,
        pool_size=1,
        max_overflow=0,
        pool_timeout=3,
        connect_args={"options": "-c timezone=UTC"},
    )
    yield engine
    engine.dispose()


def test_keys_tokens_and_merchants_are_checked_on_the_requests_connection(
    engine: Engine, clock: FixedClock, single_connection: Engine
) -> None:
    town: Town = new_town(engine, clock)
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    narrow = TestClient(create_app(single_connection, clock, run_sealer=False, settings=FAST_PINS))
    token = narrow.post("/v1/wallet/payment_tokens", headers=payer.headers)
    assert token.status_code == 201, token.text
    charged = narrow.post(
        "/v1/charges",
        json={"payment_token": token.json()["token"], "amount": 700},
        headers=shop.headers | {"Idempotency-Key": "narrow-1"},
    )
    assert charged.status_code == 201, charged.text
    topped = narrow.post(
        "/v1/topups",
        json={"wallet_id": payer.wallet_id, "amount": 100, "channel": "atm", "reference": "n-1"},
        headers=town.issuer(),
    )
    assert topped.status_code == 201, topped.text
    assert narrow.get("/v1/wallet", headers=payer.headers).json()["balance"]["total"] == 4_400
