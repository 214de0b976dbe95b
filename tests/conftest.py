"""Real PostgreSQL for every test.

With DATABASE_URL set, each test session (each xdist worker) creates its own
database on that server; without it, each starts its own embedded PostgreSQL
(pgserver) in a temporary directory. Either way the schema is built by
``alembic upgrade head``, exactly as in production, and tests commit for real:
the deferred balance checks only fire at COMMIT.

Tests are isolated by coin: every test that needs books gets a fresh coin.
"""

import ast
import itertools
import os
import shutil
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, create_engine, make_url, text

from kit.database import make_engine, sqlalchemy_url
from ledger.accounts import Account, AccountClass, open_account
from ledger.chart import Standard, open_chart
from ledger.clock import FixedClock
from ledger.coins import Coin, create_coin
from ledger.unit_of_work import run_in_transaction
from localcoin.embedded_postgres import throwaway_server
from localcoin.migrate import upgrade_to_head

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _one_parse_at_a_time() -> None:
    """CPython 3.11 (before 3.11.8) counts ast.parse's recursion in state shared by
    every thread, so two threads parsing at once fail with "SystemError: AST
    constructor recursion depth mismatch". pytest parses as it imports (it
    rewrites the asserts of test modules and of every package that ships a
    pytest plugin: anyio, hypothesis, schemathesis), and tests run servers and
    workers in threads that import lazily. One lock makes the parses take turns."""
    if sys.version_info >= (3, 11, 8):
        return
    parse, lock = ast.parse, threading.Lock()

    def parse_alone(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return parse(*args, **kwargs)

    ast.parse = parse_alone


_one_parse_at_a_time()

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL of a PostgreSQL server this session may create databases on."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield sqlalchemy_url(external)
        return
    pgdata = Path(tmp_path_factory.mktemp(f"pg-{_worker()}")) / "pgdata"
    server = throwaway_server(pgdata)
    try:
        yield sqlalchemy_url(server.get_uri())
    finally:
        server.cleanup()


@contextmanager
def migrated_database(server_url: str, name: str) -> Iterator[str]:
    """A fresh database on the server, migrated to head, dropped afterwards."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh database, migrated to head, for this session."""
    with migrated_database(server_url, f"localcoin_test_{_worker()}_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=20)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


_codes = itertools.count(1)


@dataclass(frozen=True)
class Books:
    """A fresh coin with its chart of accounts, for one test."""

    engine: Engine
    coin: Coin
    chart: dict[Standard, Account]

    @property
    def coin_id(self) -> int:
        return self.coin.id

    def account(self, standard: Standard) -> int:
        return self.chart[standard].id

    def wallet(self, name: str, *, lots: bool = True, slots: int = 1) -> int:
        def work(conn):  # type: ignore[no-untyped-def]
            return open_account(
                conn,
                coin_id=self.coin.id,
                code=f"wallet:{name}",
                account_class=AccountClass.LIABILITY,
                tracks_lots=lots,
                balance_slots=slots,
                at=T0,
            ).id

        account_id: int = run_in_transaction(self.engine, work)
        return account_id


def new_books(engine: Engine) -> Books:
    code = f"T{_worker().upper().replace('GW', 'W')}_{os.getpid() % 10000}_{next(_codes)}"[:16]

    def work(conn):  # type: ignore[no-untyped-def]
        coin = create_coin(
            conn, code=code, name=f"Test coin {code}", issuer_name="Test Shinkin", at=T0
        )
        return coin, open_chart(conn, coin_id=coin.id, at=T0)

    coin, chart = run_in_transaction(engine, work)
    return Books(engine, coin, chart)


@pytest.fixture
def books(engine: Engine) -> Books:
    return new_books(engine)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test process: Playwright's sync API allows one
    running instance per thread, so every test that drives a page shares it."""
    executable = shutil.which("chromium")
    if executable is None:
        raise AssertionError("Debian's chromium is needed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()
