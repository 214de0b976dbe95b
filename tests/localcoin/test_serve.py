"""`localcoin serve --demo` on an empty database, as a newcomer runs it."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest
from sqlalchemy import create_engine, make_url, text

from localcoin.cli import default_workers


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    name = f"localcoin_serve_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(database_url: str, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "localcoin.cli", "serve", "--demo", "--port", str(port)],
        env=os.environ | {"DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def wait_ready(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not become ready")


def test_demo_migrates_seeds_prints_logins_and_serves(empty_database: str) -> None:
    port = free_port()
    server = start(empty_database, port)
    try:
        assert server.stdout is not None
        logins = json.loads(server.stdout.readline())
        wait_ready(port)
        assert logins["demo"] == "created"
        assert logins["code"] == "DEMO"
        # Without --workers it uses the machine: one worker process per core
        # (on one core it serves in its own process).
        cores = default_workers()
        assert len(worker_processes(server.pid)) == (cores if cores > 1 else 0)
        summary = httpx.get(
            f"http://127.0.0.1:{port}/v1/ledger/summary",
            headers={"Authorization": f"Bearer {logins['keys']['operator']}"},
        )
        assert summary.status_code == 200
        assert summary.json()["coin"] == "DEMO"
        # The printed logins work: a resident logs in and sees the demo money and points.
        tome = logins["residents"][2]
        token = httpx.post(
            f"http://127.0.0.1:{port}/v1/auth/token",
            json={"resident_id": tome["resident_id"], "pin": tome["pin"]},
        )
        assert token.status_code == 200, token.text
        wallet = httpx.get(
            f"http://127.0.0.1:{port}/v1/wallet",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        ).json()
        assert (wallet["balance"]["money"], wallet["balance"]["points"]) == (10_000, 3_000)
        assert [shop["name"] for shop in logins["merchants"]] == ["みどり青果店", "市民体育館"]
        assert all(shop["api_key"].startswith("lc_merchant_") for shop in logins["merchants"])
    finally:
        server.terminate()
        server.wait(timeout=15)

    # A second start makes the demo's keys afresh: each works, the previous ones are refused.
    port = free_port()
    again = start(empty_database, port)
    try:
        assert again.stdout is not None
        renewed = json.loads(again.stdout.readline())
        wait_ready(port)
        assert renewed["demo"] == "renewed"
        assert set(renewed) == set(logins)
        assert renewed["residents"] == logins["residents"]
        assert [s["merchant_id"] for s in renewed["merchants"]] == [
            s["merchant_id"] for s in logins["merchants"]
        ]
        base = f"http://127.0.0.1:{port}"
        for role, key in renewed["keys"].items():
            assert me(base, key) == (200, role)
            assert me(base, logins["keys"][role])[0] == 401
        for shop, old_shop in zip(renewed["merchants"], logins["merchants"], strict=True):
            assert me(base, shop["api_key"]) == (200, "merchant")
            assert me(base, old_shop["api_key"])[0] == 401
        for resident in renewed["residents"]:
            token = httpx.post(
                f"{base}/v1/auth/token",
                json={"resident_id": resident["resident_id"], "pin": resident["pin"]},
            )
            assert token.status_code == 200, token.text
    finally:
        again.terminate()
        again.wait(timeout=15)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM coins")).scalar_one() == 1
    engine.dispose()


def worker_processes(pid: int) -> list[psutil.Process]:
    """uvicorn's workers: the processes multiprocessing spawned (not its resource tracker)."""
    return [
        child
        for child in psutil.Process(pid).children()
        if any("spawn_main" in part for part in child.cmdline())
    ]


def me(base: str, key: str) -> tuple[int, str | None]:
    answer = httpx.get(f"{base}/v1/me", headers={"Authorization": f"Bearer {key}"})
    return answer.status_code, answer.json().get("role")


def test_reset_starts_the_demo_from_an_empty_database(empty_database: str) -> None:
    first = start(empty_database, free_port())
    try:
        assert first.stdout is not None
        logins = json.loads(first.stdout.readline())
        assert logins["demo"] == "created"
    finally:
        first.terminate()
        first.wait(timeout=15)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "localcoin.cli", "serve", "--demo", "--reset", "--port", str(port)],
        env=os.environ | {"DATABASE_URL": empty_database},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        fresh = json.loads(server.stdout.readline())
        wait_ready(port)
        assert fresh["demo"] == "created"
        assert fresh["residents"][0]["resident_id"] != logins["residents"][0]["resident_id"]
        assert me(f"http://127.0.0.1:{port}", logins["keys"]["operator"])[0] == 401
        assert me(f"http://127.0.0.1:{port}", fresh["keys"]["operator"]) == (200, "operator")
    finally:
        server.terminate()
        server.wait(timeout=15)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM residents")).scalar_one() == 3


def test_reset_refuses_a_database_with_other_coins(empty_database: str) -> None:
    env = os.environ | {"DATABASE_URL": empty_database}
    made = subprocess.run(
        [
            *(sys.executable, "-m", "localcoin.cli", "coin", "create"),
            *("--code", "REAL", "--name", "本物", "--issuer", "信金"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    refused = subprocess.run(
        [sys.executable, "-m", "localcoin.cli", "serve", "--demo", "--reset"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["code"] == "reset_refused"
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT code FROM coins")).scalars().all() == ["REAL"]
    engine.dispose()
