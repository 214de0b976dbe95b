"""The bank-style checker: transfers through the API while PostgreSQL is SIGKILLed and
restarted and the API process is killed and restarted; then the books must equal
what the clients were told (see tests/faults/bank_checker.py).

The default suite runs a short schedule (one PostgreSQL kill, one API restart);
``-m slow`` runs the full one (two PostgreSQL kills, one API restart, more
clients and more operations between faults).
"""

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import text

from kit.credentials import Role
from kit.database import make_engine, sqlalchemy_url
from ledger.unit_of_work import run_in_transaction
from localcoin.coin_setup import NewCoin, set_up_coin
from localcoin.migrate import upgrade_to_head
from tests.faults.bank_checker import (
    Client,
    Record,
    Resident,
    expected_balances,
    wait_for,
)
from tests.faults.cluster import ApiServer, Postgres, free_port, postgres

DATABASE = "localcoin"
INITIAL_BALANCE = 5_000
# How long the database stays dead: long enough that clients hit it.
DOWNTIME_S = 0.5
FAULT_WAIT_S = 60.0


@dataclass
class Scheme:
    pg: Postgres
    api: ApiServer
    url: str
    coin: NewCoin


@pytest.fixture
def scheme(tmp_path: Path) -> Iterator[Scheme]:
    with postgres() as pg:
        with psycopg.connect(pg.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        url = sqlalchemy_url(pg.url_for(DATABASE))
        upgrade_to_head(url)
        engine = make_engine(url, pool_size=1)
        now = datetime.now(UTC)
        coin = run_in_transaction(
            engine,
            lambda c: set_up_coin(
                c, code="FAULTS", name="障害試験コイン", issuer_name="試験信金", at=now
            ),
        )
        engine.dispose()
        api = ApiServer(pg.url_for(DATABASE), free_port(), tmp_path / "api.log")
        api.start()
        try:
            yield Scheme(pg, api, url, coin)
        finally:
            api.stop()


def sign_up(scheme: Scheme, n: int) -> httpx.Response:
    """Each sign-up from an address of its own (127.0.0.0/8 is all loopback): the API
    limits sign-ups per address, and this checker needs more than that limit."""
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{n + 2}")
    with httpx.Client(base_url=scheme.api.base_url, transport=transport, timeout=30) as http:
        return http.post(
            "/v1/residents", json={"coin": "FAULTS", "display_name": f"住民{n}", "pin": "1234"}
        )


def open_residents(scheme: Scheme, count: int) -> list[Resident]:
    issuer = {"Authorization": f"Bearer {scheme.coin.keys[Role.ISSUER]}"}
    made = []
    with httpx.Client(base_url=scheme.api.base_url, timeout=30) as http:
        for n in range(count):
            created = sign_up(scheme, n)
            assert created.status_code == 201, created.text
            rid, wid = created.json()["resident_id"], created.json()["wallet_id"]
            verified = http.post(
                f"/v1/residents/{rid}/verify",
                json={"method": "my_number_card", "reference": f"KYC-{n}"},
                headers=issuer,
            )
            assert verified.status_code == 200, verified.text
            topped = http.post(
                "/v1/topups",
                json={
                    "wallet_id": wid,
                    "amount": INITIAL_BALANCE,
                    "channel": "counter",
                    "reference": f"dep-{n}",
                },
                headers=issuer,
            )
            assert topped.status_code == 201, topped.text
            token = http.post("/v1/auth/token", json={"resident_id": rid, "pin": "1234"})
            assert token.status_code == 200, token.text
            made.append(Resident(rid, wid, token.json()["access_token"]))
    return made


def run_checker(
    scheme: Scheme, *, residents: int, clients: int, faults: list[str], ops_between: int
) -> Record:
    """Runs the clients through ``faults`` ("pg": kill and restart PostgreSQL, "api":
    kill and restart the API), ``ops_between`` acknowledged transfers apart."""
    people = open_residents(scheme, residents)
    record = Record()
    stop = threading.Event()
    workers = [Client(scheme.api.base_url, people, record, stop, seed) for seed in range(clients)]
    for worker in workers:
        worker.start()
    try:
        for fault in [*faults, "none"]:
            target = record.acked_count() + ops_between
            wait_for(
                lambda target=target: record.acked_count() >= target,
                FAULT_WAIT_S,
                f"{target} acks",
            )
            if fault == "pg":
                scheme.pg.kill()
                time.sleep(DOWNTIME_S)
                scheme.pg.start()
            elif fault == "api":
                scheme.api.kill()
                scheme.api.start()
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=FAULT_WAIT_S)
    assert all(w.error is None for w in workers), [w.error for w in workers]
    assert not any(w.is_alive() for w in workers)
    check_books(scheme, people, record)
    return record


def check_books(scheme: Scheme, people: list[Resident], record: Record) -> None:
    # The database said nothing a client could not act on: no 500, no stack trace.
    assert "500" not in record.statuses, record.bodies_of_5xx[:3]
    assert all(b.startswith("503 application/problem+json") for b in record.bodies_of_5xx), (
        record.bodies_of_5xx[:3]
    )
    initial = {p.wallet_id: INITIAL_BALANCE for p in people}
    expected = expected_balances(initial, record.acked)
    engine = make_engine(scheme.url, pool_size=1)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT w.public_id, sum(b.posted)::bigint FROM wallets w"
                    " JOIN account_balances b ON b.coin_id = w.coin_id AND b.account_id = w.account_id"
                    " WHERE w.coin_id = :coin AND w.public_id = ANY(:ids) GROUP BY w.public_id"
                ),
                {"coin": scheme.coin.coin.id, "ids": list(initial)},
            ).all()
            transfers = conn.execute(
                text("SELECT public_id FROM transfers WHERE coin_id = :coin"),
                {"coin": scheme.coin.coin.id},
            ).scalars()
            in_db = sorted(transfers)
    finally:
        engine.dispose()
    actual = {row[0]: row[1] for row in rows}
    assert all(balance >= 0 for balance in actual.values())
    assert sum(actual.values()) == sum(initial.values())
    # Every acknowledged transfer is in the books, once; nothing else moved money.
    acked_ids = sorted(op.transfer_id for op in record.acked)
    assert len(set(acked_ids)) == len(acked_ids)
    assert in_db == acked_ids
    assert actual == expected
    verify = subprocess.run(
        [sys.executable, "-m", "localcoin.cli", "ledger", "verify"],
        env=os.environ | {"DATABASE_URL": scheme.pg.url_for(DATABASE)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr[-2000:]
    assert json.loads(verify.stdout.strip().splitlines()[-1])["ok"] is True


def test_transfers_survive_a_database_kill_and_an_api_restart(scheme: Scheme) -> None:
    record = run_checker(scheme, residents=6, clients=4, faults=["pg", "api"], ops_between=40)
    assert (scheme.pg.kills, scheme.api.kills) == (1, 1)
    assert len(record.acked) >= 120
    # The kill was seen by clients (503 while the database was away, no answer
    # while the API was), and they got through it by asking again.
    assert record.statuses["503"] and record.statuses["ConnectError"], record.statuses


@pytest.mark.slow
def test_transfers_survive_two_database_kills_and_an_api_restart(scheme: Scheme) -> None:
    record = run_checker(
        scheme, residents=12, clients=8, faults=["pg", "api", "pg"], ops_between=300
    )
    assert (scheme.pg.kills, scheme.api.kills) == (2, 1)
    assert len(record.acked) >= 1_200
    assert record.statuses["503"] and record.statuses["ConnectError"], record.statuses
