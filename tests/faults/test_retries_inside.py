"""Serialization failures and deadlocks are retried inside the request; a database
that cannot be reached is a 503 problem with Retry-After, never a 500.

The failures are injected by a trigger on ``transfers`` that raises the given
SQLSTATE while a sequence (which no rollback resets) is below a threshold, so
the first N attempts of a transfer fail exactly as PostgreSQL would fail them.
"""

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from kit.database import make_engine
from ledger.clock import FixedClock
from ledger.limits import RETRIES_MAX
from ledger.unit_of_work import run_in_transaction
from localcoin.app import create_app
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town
from tests.wallet_api.test_transfers_api import balance, person, send

_names = itertools.count(1)


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


@contextmanager
def failing_transfers(town: Town, sqlstate: str, times: int) -> Iterator[None]:
    """The next ``times`` inserts into this coin's transfers raise ``sqlstate``."""
    name = f"fault_{sqlstate.lower()}_{next(_names)}"
    coin_id = int(town.coin.coin.id)
    statements = [
        f"CREATE SEQUENCE {name}",
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN IF nextval('{name}') <= {times} THEN"
        f" RAISE EXCEPTION 'injected' USING ERRCODE = '{sqlstate}'; END IF;"
        " RETURN NEW; END $$",
        f"CREATE TRIGGER {name} BEFORE INSERT ON transfers FOR EACH ROW"
        f" WHEN (NEW.coin_id = {coin_id}) EXECUTE FUNCTION {name}()",
    ]
    run_in_transaction(town.engine, lambda c: [c.execute(text(s)) for s in statements])
    try:
        yield
    finally:
        run_in_transaction(
            town.engine,
            lambda c: [
                c.execute(text(f"DROP TRIGGER {name} ON transfers")),
                c.execute(text(f"DROP FUNCTION {name}()")),
                c.execute(text(f"DROP SEQUENCE {name}")),
            ],
        )


def transfers_of(town: Town) -> int:
    count: int = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT count(*) FROM transfers WHERE coin_id = :c"), {"c": town.coin.coin.id}
        ).scalar_one(),
    )
    return count


@pytest.mark.parametrize(("sqlstate", "name"), [("40001", "serialization"), ("40P01", "deadlock")])
def test_a_conflict_is_retried_inside_and_the_client_sees_a_normal_answer(
    town: Town, sqlstate: str, name: str
) -> None:
    alice, bob = person(town, "alice", money=10_000), person(town, "bob")
    with failing_transfers(town, sqlstate, times=2):
        response = send(town, alice, bob.wallet_id, 1_000, key=f"k-{name}")
    assert response.status_code == 201, response.text
    assert transfers_of(town) == 1
    assert (balance(town, alice)["money"], balance(town, bob)["money"]) == (9_000, 1_000)
    replay = send(town, alice, bob.wallet_id, 1_000, key=f"k-{name}")
    assert (replay.status_code, replay.json()["id"]) == (201, response.json()["id"])
    assert transfers_of(town) == 1


def test_endless_conflicts_are_a_503_to_retry_not_a_500_and_move_nothing(town: Town) -> None:
    alice, bob = person(town, "alice", money=10_000), person(town, "bob")
    client = TestClient(town.client.app, raise_server_exceptions=False)
    with failing_transfers(town, "40001", times=RETRIES_MAX + 5):
        response = client.post(
            "/v1/wallet/transfers",
            json={"to_wallet_id": bob.wallet_id, "amount": 1_000},
            headers=alice.headers | {"Idempotency-Key": "endless"},
        )
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert response.json()["code"] == "service_unavailable"
    assert transfers_of(town) == 0
    assert balance(town, alice)["money"] == 10_000
    # The key was not spent on the failure: the same retry now goes through, once.
    again = send(town, alice, bob.wallet_id, 1_000, key="endless")
    assert again.status_code == 201, again.text
    assert transfers_of(town) == 1


def test_opposite_transfers_at_once_never_surface_a_database_error(town: Town) -> None:
    alice, bob = person(town, "alice", money=20_000), person(town, "bob", money=20_000)
    client = TestClient(town.client.app, raise_server_exceptions=False)

    def move(n: int) -> int:
        sender, recipient = (alice, bob) if n % 2 else (bob, alice)
        response = client.post(
            "/v1/wallet/transfers",
            json={"to_wallet_id": recipient.wallet_id, "amount": 100 + n},
            headers=sender.headers | {"Idempotency-Key": f"opposite-{n}"},
        )
        status: int = response.status_code
        return status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(move, range(60)))
    assert set(statuses) == {201}
    sent_by_alice = sum(100 + n for n in range(60) if n % 2)
    sent_by_bob = sum(100 + n for n in range(60) if not n % 2)
    assert balance(town, alice)["money"] == 20_000 - sent_by_alice + sent_by_bob
    assert balance(town, alice)["money"] + balance(town, bob)["money"] == 40_000
    assert transfers_of(town) == 60


def test_a_database_that_is_down_is_a_503_problem_with_retry_after(clock: FixedClock) -> None:
    nowhere = make_engine(
        "postgresql+psycopg://postgres@/localcoin?host=/nonexistent-socket-dir&port=1",
        pool_size=1,
    )
    client = TestClient(
        create_app(nowhere, clock, run_sealer=False, settings=FAST_PINS),
        raise_server_exceptions=False,
    )
    for method, path, body in [
        ("POST", "/v1/residents", {"coin": "NONE", "display_name": "x", "pin": "1234"}),
        ("POST", "/v1/topups", {"wallet_id": "wal_x", "amount": 1, "channel": "counter"}),
        ("GET", "/v1/wallet", None),
        ("GET", "/ready", None),
    ]:
        response = client.request(
            method, path, json=body, headers={"Authorization": "Bearer lc_issuer_abc_def"}
        )
        assert response.status_code == 503, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "1"
        problem = response.json()
        assert (problem["code"], problem["status"]) == ("service_unavailable", 503)
        assert "Traceback" not in response.text and "psycopg" not in response.text
    nowhere.dispose()
