"""Database URLs with several hosts (a failover formation), and connections that give up on dead hosts."""

import json
import os

import pytest
from sqlalchemy import Engine, make_url, text
from typer.testing import CliRunner

from kit.database import CONNECT_TIMEOUT_S, TCP_USER_TIMEOUT_MS, make_engine, sqlalchemy_url
from kit.settings import get_settings
from localcoin.cli import app as cli_app


def connect_args(url: str) -> dict[str, object]:
    engine = make_engine(url)
    try:
        args = dict(engine.dialect.create_connect_args(make_url(url))[1])
        return args
    finally:
        engine.dispose()


def test_the_multi_host_form_pg_autoctl_prints_is_read_as_libpq_reads_it() -> None:
    printed = "postgresql://app:secret@10.0.0.1:5432,10.0.0.2:5433/localcoin?target_session_attrs=read-write"
    args = connect_args(sqlalchemy_url(printed))
    assert (args["host"], args["port"]) == ("10.0.0.1,10.0.0.2", "5432,5433")
    assert (args["dbname"], args["user"], args["password"]) == ("localcoin", "app", "secret")
    assert args["target_session_attrs"] == "read-write"
    query_form = "postgresql://app@/localcoin?host=10.0.0.1:5432&host=10.0.0.2:5433"
    assert connect_args(sqlalchemy_url(query_form))["host"] == "10.0.0.1,10.0.0.2"
    # Without credentials, and a single host, as before.
    assert connect_args(sqlalchemy_url("postgresql://h1:1,h2:2/db"))["host"] == "h1,h2"
    assert sqlalchemy_url("postgresql://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"


def test_a_connection_skips_a_dead_host_and_finds_the_primary(engine: Engine) -> None:
    real = engine.url
    socket_dir = real.query["host"]
    assert isinstance(socket_dir, str)
    port = real.port or 5432
    # The first host refuses at once (nothing listens on port 1); libpq goes on to the next.
    url = (
        f"postgresql://{real.username}:@127.0.0.1:1,{socket_dir.replace('/', '%2F')}:{port}"
        f"/{real.database}?target_session_attrs=read-write"
    )
    failover = make_engine(sqlalchemy_url(url))
    try:
        with failover.connect() as conn:
            assert conn.execute(text("SELECT NOT pg_is_in_recovery()")).scalar_one() is True
    finally:
        failover.dispose()


def test_connections_time_out_and_keep_alive(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        raw = engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            used = driver.info.get_parameters()
        finally:
            raw.close()
    finally:
        engine.dispose()
    assert used["connect_timeout"] == str(CONNECT_TIMEOUT_S)
    assert used["keepalives"] == "1" and int(used["keepalives_idle"]) > 0
    # A query sent to a vanished host fails in seconds, not after TCP's 15 minutes.
    assert used["tcp_user_timeout"] == str(TCP_USER_TIMEOUT_MS)


def test_the_command_line_migrates_through_a_multi_host_url(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = engine.url
    socket_dir = real.query["host"]
    assert isinstance(socket_dir, str)
    url = (
        f"postgresql://{real.username}:@127.0.0.1:1,{socket_dir.replace('/', '%2F')}:"
        f"{real.port or 5432}/{real.database}?target_session_attrs=read-write"
    )
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["db", "upgrade"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["ok"] is True


def test_sessions_run_in_utc_without_startup_options(engine: Engine, database_url: str) -> None:
    """PgBouncer refuses startup options; the zone comes from the role or one SET."""
    assert "options" not in connect_args(database_url)
    # Roles are the server's, not the database's: one per test process.
    clerk = f"localcoin_tokyo_clerk_{os.getpid()}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {clerk}"))
        conn.execute(text(f"CREATE ROLE {clerk} LOGIN"))
        conn.execute(text(f"ALTER ROLE {clerk} SET timezone = 'Asia/Tokyo'"))
    as_clerk = make_url(database_url).set(username=clerk)
    tokyo = make_engine(as_clerk.render_as_string(hide_password=False))
    try:
        with tokyo.connect() as conn:
            assert conn.execute(text("SHOW timezone")).scalar_one() == "UTC"
            # The role's zone was what the server started the session in.
            started_in = conn.execute(
                text("SELECT reset_val FROM pg_settings WHERE name = 'TimeZone'")
            ).scalar_one()
            assert started_in == "Asia/Tokyo"
    finally:
        tokyo.dispose()
        with engine.begin() as conn:
            conn.execute(text(f"DROP ROLE {clerk}"))
