"""Operating it: the webhook backlog in /metrics, and what a real server writes to its logs.

Health, readiness and the request metrics are tested in
tests/localcoin/test_observability.py and tests/localcoin/test_serve.py. Here:

- ``/metrics`` reports the webhook backlog (pending deliveries, and when the
  oldest was created) from the deliveries table, so an alert can fire when
  the worker falls behind;
- a real ``localcoin serve`` subprocess with ``LOCALCOIN_LOG_JSON=true``, put
  through sign-up, a wrong and a right log-in, a top-up, a payment token and a
  charge: every stderr line is one JSON object, every request line carries a
  request id (the one the caller sent, when it sent one), and no PIN, API key,
  access token or payment token appears anywhere.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from kit.credentials import Role
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.webhooks.delivery import fan_out
from tests.localcoin.test_serve import empty_database, free_port, wait_ready
from tests.merchant.shops import open_shop
from tests.merchant.webhook_town import add_endpoint, emit, webhook_town
from tests.wallet_api.test_residents_api import Town

__all__ = ["empty_database"]  # a fixture, used by name below


def _gauge(body: str, name: str) -> float:
    line = next(line for line in body.splitlines() if line.startswith(name + " "))
    return float(line.split()[1])


def _fan_out_everything(engine: Engine, clock: FixedClock) -> None:
    # What the worker does first in each pass: an event becomes one delivery per endpoint.
    while run_in_transaction(engine, lambda conn: fan_out(conn, at=clock.now())):
        pass


def _operator(town: Town) -> dict[str, str]:
    return {"Authorization": f"Bearer {town.coin.keys[Role.OPERATOR]}"}


def test_metrics_report_the_webhook_backlog(engine: Engine, clock: FixedClock) -> None:
    town = webhook_town(engine, clock)
    shop = open_shop(town)
    add_endpoint(town, shop, "http://127.0.0.1:9/never-answers")
    _fan_out_everything(engine, clock)
    before = _gauge(
        town.client.get("/metrics", headers=_operator(town)).text,
        "localcoin_webhook_deliveries_pending",
    )
    emit(town, shop)
    emit(town, shop)
    _fan_out_everything(engine, clock)
    body = town.client.get("/metrics", headers=_operator(town)).text
    assert _gauge(body, "localcoin_webhook_deliveries_pending") == before + 2
    oldest = _gauge(body, "localcoin_webhook_oldest_pending_created_timestamp_seconds")
    assert 0 < oldest <= clock.now().timestamp()


PIN = "739164"
WRONG_PIN = "582047"


@pytest.fixture
def json_server(empty_database: str, tmp_path: Path) -> tuple[subprocess.Popen[str], int, Path]:
    port = free_port()
    stderr_path = tmp_path / "stderr.log"
    env = os.environ | {
        "DATABASE_URL": empty_database,
        "LOCALCOIN_LOG_JSON": "true",
        "LOCALCOIN_PIN_HASH_MEMORY_KIB": "1024",
        "LOCALCOIN_PIN_HASH_TIME_COST": "1",
    }
    with stderr_path.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "localcoin.cli", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    return server, port, stderr_path


def test_a_real_server_logs_json_lines_with_request_ids_and_no_secrets(
    json_server: tuple[subprocess.Popen[str], int, Path],
) -> None:
    server, port, stderr_path = json_server
    base = f"http://127.0.0.1:{port}"
    secrets: list[str] = [PIN, WRONG_PIN]
    try:
        assert server.stdout is not None
        demo = json.loads(server.stdout.readline())
        wait_ready(port)
        issuer = {"Authorization": f"Bearer {demo['keys']['issuer']}"}
        merchant_key = demo["merchants"][0]["api_key"]
        secrets += [*demo["keys"].values(), merchant_key]
        with httpx.Client(base_url=base, timeout=10) as client:
            created = client.post(
                "/v1/residents",
                json={"coin": demo["code"], "display_name": "ログ確認", "pin": PIN},
                headers={"X-Request-ID": "signup-1"},
            ).json()
            wrong = client.post(
                "/v1/auth/token", json={"resident_id": created["resident_id"], "pin": WRONG_PIN}
            )
            assert wrong.status_code == 401
            token = client.post(
                "/v1/auth/token", json={"resident_id": created["resident_id"], "pin": PIN}
            ).json()["access_token"]
            secrets.append(token)
            resident = {"Authorization": f"Bearer {token}"}
            topped = client.post(
                "/v1/topups",
                json={
                    "wallet_id": created["wallet_id"],
                    "amount": 5_000,
                    "channel": "counter",
                    "reference": "LOG-1",
                },
                headers=issuer,
            )
            assert topped.status_code == 201, topped.text
            payment = client.post("/v1/wallet/payment_tokens", headers=resident).json()["token"]
            secrets.append(payment)
            charged = client.post(
                "/v1/charges",
                json={"payment_token": payment, "amount": 1_200},
                headers={"Authorization": f"Bearer {merchant_key}"},
            )
            assert charged.status_code == 201, charged.text
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = stderr_path.read_text().splitlines()
    assert lines, "the server wrote no logs"
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line!r}")
    requests = [r for r in records if r.get("event") == "request"]
    assert {r["route"] for r in requests} >= {
        "/v1/residents",
        "/v1/auth/token",
        "/v1/topups",
        "/v1/wallet/payment_tokens",
        "/v1/charges",
    }
    assert all(r.get("request_id") for r in requests)
    assert any(r["request_id"] == "signup-1" for r in requests)
    for line in lines:
        for secret in secrets:
            assert secret not in line, f"a secret reached the logs: {line}"
