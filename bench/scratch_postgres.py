"""Throwaway PostgreSQL servers and databases for benchmarks."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict
from rich.console import Console
from sqlalchemy import Engine, make_url

from kit.database import make_engine, sqlalchemy_url
from localcoin.embedded_postgres import throwaway_server
from localcoin.migrate import upgrade_to_head

console = Console(stderr=True)


@contextmanager
def postgres_server() -> Iterator[tuple[str, int | None]]:
    """The libpq URL of the server to use, DATABASE_URL's or a throwaway pgserver's,
    and the postmaster's pid when the server is ours (to read its CPU time)."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given, None
        return
    home = Path(tempfile.mkdtemp(prefix="localcoin-bench-"))
    home.chmod(0o755)  # pgserver runs postgres as another user when we are root
    server = None
    try:
        console.log(f"starting a throwaway PostgreSQL in {home}")
        server = throwaway_server(home / "pgdata")
        yield server.get_uri(), server.get_pid()
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(home, ignore_errors=True)


def libpq_params(url: str) -> dict[str, str]:
    return {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}


def url_for_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@contextmanager
def fresh_databases(url: str, *names: str) -> Iterator[None]:
    """Creates the databases, and drops them afterwards whatever happens."""
    with psycopg.connect(url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_engine(database: str) -> Iterator[Engine]:
    """The database migrated to head and an engine on it (a small pool: the
    benchmark's own setup and checks), disposed of afterwards."""
    upgrade_to_head(sqlalchemy_url(database))
    engine = make_engine(sqlalchemy_url(database), pool_size=2)
    try:
        yield engine
    finally:
        engine.dispose()


def server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        assert row is not None
        return str(row[0])
