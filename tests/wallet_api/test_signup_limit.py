"""Sign-up rate limiting: a few sign-ups per client address per window, counted in the database."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from localcoin.app import create_app
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town
from wallet_api.signup_limit import SIGNUPS_PER_WINDOW, WINDOW, forget_old_windows, window_start


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def sign_up(client: TestClient, town: Town, pin: str = "1234"):  # type: ignore[no-untyped-def]
    return client.post("/v1/residents", json={"coin": town.code, "display_name": "a", "pin": pin})


def test_a_burst_of_sign_ups_from_one_address_is_refused_with_retry_after(town: Town) -> None:
    for _ in range(SIGNUPS_PER_WINDOW):
        assert sign_up(town.client, town).status_code == 201
    refused = sign_up(town.client, town)
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert refused.headers["content-type"] == "application/problem+json"
    # T0 is 01:00 UTC, the start of a window: the whole window is left.
    assert int(refused.headers["Retry-After"]) == WINDOW.total_seconds()
    town.clock.advance(timedelta(minutes=4))
    assert int(sign_up(town.client, town).headers["Retry-After"]) == 6 * 60
    town.clock.advance(timedelta(minutes=6))
    assert sign_up(town.client, town).status_code == 201


def test_the_limit_is_per_address(town: Town) -> None:
    for _ in range(SIGNUPS_PER_WINDOW):
        assert sign_up(town.client, town).status_code == 201
    elsewhere = TestClient(town.client.app, client=("203.0.113.9", 50000))
    assert sign_up(elsewhere, town).status_code == 201
    assert sign_up(town.client, town).status_code == 429


def test_the_count_holds_across_worker_processes(town: Town, engine: Engine) -> None:
    # Two apps stand for two workers: only the database is shared.
    other_worker = TestClient(create_app(engine, town.clock, run_sealer=False, settings=FAST_PINS))
    for n in range(SIGNUPS_PER_WINDOW):
        client = town.client if n % 2 else other_worker
        assert sign_up(client, town).status_code == 201
    assert sign_up(other_worker, town).status_code == 429
    assert sign_up(town.client, town).status_code == 429


def test_refused_sign_ups_use_up_nothing(town: Town) -> None:
    for _ in range(SIGNUPS_PER_WINDOW):
        assert sign_up(town.client, town, pin="12").status_code == 422
    assert sign_up(town.client, town).status_code == 201


def test_concurrent_sign_ups_never_exceed_the_limit(town: Town) -> None:
    barrier = threading.Barrier(10)

    def attempt(_: int) -> int:
        client = TestClient(town.client.app)
        barrier.wait()
        return int(sign_up(client, town).status_code)

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(attempt, range(10)))
    assert statuses.count(201) == SIGNUPS_PER_WINDOW
    assert statuses.count(429) == 10 - SIGNUPS_PER_WINDOW
    residents = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT count(*) FROM residents WHERE home_coin_id = :c"),
            {"c": town.coin.coin.id},
        ).scalar_one(),
    )
    assert residents == SIGNUPS_PER_WINDOW


def test_the_limit_is_per_coin(town: Town, engine: Engine, clock: FixedClock) -> None:
    for _ in range(SIGNUPS_PER_WINDOW):
        assert sign_up(town.client, town).status_code == 201
    assert sign_up(town.client, new_town(engine, clock)).status_code == 201


def test_ended_windows_are_forgotten(town: Town) -> None:
    assert sign_up(town.client, town).status_code == 201
    later = town.clock.now() + WINDOW
    assert window_start(later) == window_start(town.clock.now()) + WINDOW
    forgotten = run_in_transaction(town.engine, lambda c: forget_old_windows(c, now=later))
    assert forgotten >= 1
    left = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT count(*) FROM signup_counts WHERE coin_id = :c"),
            {"c": town.coin.coin.id},
        ).scalar_one(),
    )
    assert left == 0


def test_a_retried_sign_up_under_its_key_counts_once(town: Town) -> None:
    body = {"coin": town.code, "display_name": "retry", "pin": "1234"}
    for _ in range(SIGNUPS_PER_WINDOW + 2):
        response = town.client.post("/v1/residents", json=body, headers={"Idempotency-Key": "k"})
        assert response.status_code == 201
    for _ in range(SIGNUPS_PER_WINDOW - 1):
        assert sign_up(town.client, town).status_code == 201
    assert sign_up(town.client, town).status_code == 429


def test_an_ipv6_64_counts_as_one_address(town: Town) -> None:
    for n in range(SIGNUPS_PER_WINDOW):
        one_line = TestClient(town.client.app, client=(f"2001:db8:1:2::{n + 1:x}", 50000))
        assert sign_up(one_line, town).status_code == 201
    same_64 = TestClient(town.client.app, client=("2001:db8:1:2:ffff::9", 50000))
    assert sign_up(same_64, town).status_code == 429
    next_64 = TestClient(town.client.app, client=("2001:db8:1:3::1", 50000))
    assert sign_up(next_64, town).status_code == 201


def test_a_clerk_at_the_counter_signs_up_residents_without_the_address_limit(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    for _ in range(SIGNUPS_PER_WINDOW + 3):
        made = town.client.post(
            "/v1/residents",
            json={"coin": town.code, "display_name": "窓口で登録", "pin": "1234"},
            headers=town.issuer(),
        )
        assert made.status_code == 201, made.text
    # Another coin's issuer key is no clerk of this coin: the address limit holds.
    other = new_town(engine, clock)
    for _ in range(SIGNUPS_PER_WINDOW):
        assert sign_up(town.client, town).status_code == 201
    stranger = town.client.post(
        "/v1/residents",
        json={"coin": town.code, "display_name": "a", "pin": "1234"},
        headers=other.issuer(),
    )
    assert stranger.status_code == 429


def test_the_limit_is_a_setting(engine: Engine, clock: FixedClock, town: Town) -> None:
    app = create_app(
        engine,
        clock,
        run_sealer=False,
        settings=FAST_PINS.model_copy(update={"signups_per_window": 2}),
    )
    client = TestClient(app, client=("198.51.100.7", 50000))
    assert [sign_up(client, town).status_code for _ in range(3)] == [201, 201, 429]
