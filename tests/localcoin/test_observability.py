"""Request ids in logs and answers, the body size limit, and the metrics operators scrape."""

from collections.abc import Iterator

import pytest
import structlog
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from structlog.testing import capture_logs

from kit.credentials import Role
from kit.settings import Settings
from ledger.clock import FixedClock
from localcoin.app import create_app
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def test_every_answer_and_log_line_carries_the_request_id(town: Town) -> None:
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        response = town.client.post(
            "/v1/residents",
            json={"coin": town.code, "display_name": "花子", "pin": "1234"},
            headers={"X-Request-ID": "req-abc.123"},
        )
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "req-abc.123"
    access = [line for line in logs if line["event"] == "request"]
    assert access and access[-1]["route"] == "/v1/residents"
    assert access[-1]["status"] == 201
    assert all(line.get("request_id") == "req-abc.123" for line in logs), logs


def test_an_unusable_request_id_is_replaced_by_our_own(town: Town) -> None:
    response = town.client.get("/health", headers={"X-Request-ID": "no spaces; allowed"})
    assert response.headers["x-request-id"] != "no spaces; allowed"
    assert len(response.headers["x-request-id"]) == 32
    other = town.client.get("/health")
    assert other.headers["x-request-id"] != response.headers["x-request-id"]


def test_pins_and_keys_never_reach_the_logs(town: Town) -> None:
    with capture_logs() as logs:
        created = town.sign_up(pin="918273")
        town.log_in(created["resident_id"], "918273")
        town.log_in(created["resident_id"], "000000")
        town.top_up(created["wallet_id"], 1_000, "ref-1")
    text = repr(logs)
    assert "918273" not in text and "000000" not in text
    assert town.coin.keys[next(iter(town.coin.keys))] not in text
    for secret in town.coin.keys.values():
        assert secret not in text


def test_a_body_over_the_limit_is_refused_before_it_is_read(
    engine: Engine, clock: FixedClock
) -> None:
    small = Settings(**(FAST_PINS.model_dump() | {"request_body_max_bytes": 2048}))
    client = TestClient(create_app(engine, clock, run_sealer=False, settings=small))
    big = client.post(
        "/v1/residents",
        content=b'{"coin": "X", "display_name": "' + b"a" * 4096 + b'", "pin": "1234"}',
        headers={"Content-Type": "application/json"},
    )
    assert big.status_code == 413
    assert big.headers["content-type"].startswith("application/problem+json")
    assert big.json()["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:
        yield b'{"coin": "X", "display_name": "'
        for _ in range(8):
            yield b"a" * 512
        yield b'", "pin": "1234"}'

    streamed = client.post(
        "/v1/residents", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "request_too_large"


def test_metrics_count_requests_by_route_template_and_read_the_database(town: Town) -> None:
    created = town.sign_up()
    town.top_up(created["wallet_id"], 500, "ref-m")
    town.client.get("/v1/wallet/transactions/no-such-thing")
    verified = town.client.post(
        f"/v1/residents/{created['resident_id']}/verify",
        json={"method": "counter", "reference": "m-1"},
        headers=town.issuer(),
    )
    assert verified.status_code == 200, verified.text
    operator = {"Authorization": f"Bearer {town.coin.keys[Role.OPERATOR]}"}
    body = town.client.get("/metrics", headers=operator).text
    assert 'localcoin_http_requests_total{method="POST",route="/v1/residents",status="201"}' in body
    assert 'route="/v1/topups"' in body
    assert 'route="unmatched"' in body
    assert 'route="/v1/residents/{resident_id}/verify",status="200"' in body
    assert created["wallet_id"] not in body  # ids never become labels
    assert created["resident_id"] not in body
    assert "localcoin_db_up 1.0" in body
    assert "localcoin_ledger_entries" in body
    assert "localcoin_db_pool_connections_in_use" in body
    assert "localcoin_http_request_duration_seconds_bucket" in body


def test_every_answer_says_nosniff_and_production_adds_hsts_and_no_referrer(
    engine: Engine, clock: FixedClock
) -> None:
    local = TestClient(create_app(engine, clock, run_sealer=False, settings=FAST_PINS))
    for answer in (local.get("/health"), local.get("/v1/wallet"), local.get("/nowhere")):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in answer.headers
    production = FAST_PINS.model_copy(update={"environment": "production"})
    served = TestClient(create_app(engine, clock, run_sealer=False, settings=production))
    answer = served.get("/v1/wallet")
    assert answer.status_code == 401
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers.get_list("x-content-type-options") == ["nosniff"]
    page = served.get("/")
    assert page.headers.get_list("x-content-type-options") == ["nosniff"]


def test_metrics_are_for_this_machine_or_the_operator(town: Town) -> None:
    anonymous = town.client.get("/metrics")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated")
    as_bank = town.client.get("/metrics", headers=town.issuer())
    assert (as_bank.status_code, as_bank.json()["code"]) == (403, "forbidden")
    operator = {"Authorization": f"Bearer {town.coin.keys[Role.OPERATOR]}"}
    assert town.client.get("/metrics", headers=operator).status_code == 200
    scraper = TestClient(town.client.app, client=("127.0.0.1", 40000))
    assert "localcoin_http_requests_total" in scraper.get("/metrics").text
