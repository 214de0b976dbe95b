"""``localcoin backup`` (pgBackRest) proven by a point-in-time recovery.

One small cluster of Debian's PostgreSQL 15 archives its WAL with pgBackRest.
After a base backup, payment A is made and the chain head anchored; then,
a moment later, payment B and a second anchor. The data directory is then
lost (server killed, directory deleted) and restored to the instant between
the two: the books verify, the chain head is exactly the first anchor, the
second anchor is not on the chain, and payment B is absent.
"""

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bench.api_town import BenchTown, build_town
from kit.database import make_engine, sqlalchemy_url
from kit.settings import get_settings
from ledger.clock import SystemClock
from localcoin.app import create_app
from localcoin.cli import app as cli_app
from localcoin.migrate import upgrade_to_head
from tests.faults.debian_postgres import (
    PG_BIN,
    PGBACKREST,
    free_port,
    owned_dir,
    require,
    run_as,
    run_tool,
    wait_until_accepting,
)
from tests.wallet_api.test_residents_api import FAST_PINS

STANZA = "localcoin"
ARCHIVE_WAIT_S = 30.0


@dataclass
class ArchivedCluster:
    """A PostgreSQL 15 cluster whose WAL pgBackRest archives into ``home``/repo."""

    home: Path
    port: int

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def config(self) -> Path:
        return self.home / "pgbackrest.conf"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        for folder in ("repo", "log", "lock", "spool"):
            owned_dir(self.home / folder)
        self.config.write_text(
            "[global]\n"
            f"repo1-path={self.home}/repo\n"
            "repo1-retention-full=1\n"
            f"log-path={self.home}/log\n"
            f"lock-path={self.home}/lock\n"
            f"spool-path={self.home}/spool\n"
            "log-level-console=warn\n"
            "start-fast=y\n"
            "compress-type=lz4\n"
            f"[{STANZA}]\n"
            f"pg1-path={self.pgdata}\n"
            f"pg1-port={self.port}\n"
            f"pg1-socket-path={self.home}\n"
        )
        run_tool(
            [str(PG_BIN / "initdb"), "-D", str(self.pgdata), "--auth=trust", "-U", "postgres"],
            self.home,
        )
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            # What docs/operations.md §2 sets in production, on loopback.
            conf.write(
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.home}'\n"
                "wal_level = replica\n"
                "archive_mode = on\n"
                f"archive_command = 'pgbackrest --config={self.config} --stanza={STANZA}"
                " archive-push %p'\n"
            )

    def start(self) -> None:
        run_tool(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.pgdata),
                "-l",
                str(self.home / "pg.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            self.home,
        )
        wait_until_accepting(self.url(), "the restored cluster")

    def crash(self) -> None:
        """Stops without a checkpoint, as a lost machine would."""
        run_tool(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-m", "immediate", "stop"], self.home
        )

    def stop_if_running(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            subprocess.run(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-m", "immediate", "stop"],
                user=run_as(),
                capture_output=True,
                check=False,
            )

    def backup(self, *args: str) -> dict[str, Any]:
        """A ``localcoin backup`` command; pgBackRest runs as the cluster's owner."""
        user = run_as()
        options = ["--config", str(self.config)] + (["--os-user", user] if user else [])
        result = CliRunner().invoke(cli_app, ["backup", *args, *options])
        assert result.exit_code == 0, result.output
        out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        return out


@pytest.fixture
def cluster() -> Iterator[ArchivedCluster]:
    require(PG_BIN / "postgres", PGBACKREST)
    # Not pytest's tmp_path: its parents are private to us, and the servers' user
    # must reach this folder.
    home = owned_dir(Path(tempfile.mkdtemp(prefix="lcpitr-")))
    made = ArchivedCluster(home, free_port())
    try:
        made.init()
        made.start()
        yield made
    finally:
        made.stop_if_running()
        shutil.rmtree(home, ignore_errors=True)


def pay(client: TestClient, town: BenchTown, amount: int, key: str) -> str:
    paid = client.post(
        "/v1/wallet/payments",
        json={"qr_payload": town.shops[0].static_qr, "amount": amount},
        headers={"Authorization": town.residents[0].authorization, "Idempotency-Key": key},
    )
    assert paid.status_code == 201, paid.text
    charge_id: str = paid.json()["id"]
    return charge_id


def ledger_command(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, Any]:
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["ledger", *args])
    finally:
        get_settings.cache_clear()
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def server_now(url: str) -> datetime:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    now: datetime = row[0]
    return now


def archive_everything(url: str) -> None:
    """Closes the current WAL segment and waits until pgBackRest has it: the restore
    must find a commit after the target, or recovery cannot tell it reached it."""
    with psycopg.connect(url, autocommit=True) as conn:
        switched = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
        assert switched is not None
        deadline = time.monotonic() + ARCHIVE_WAIT_S
        while True:
            archived = conn.execute("SELECT last_archived_wal FROM pg_stat_archiver").fetchone()
            if archived is not None and archived[0] is not None and archived[0] >= switched[0]:
                return
            assert time.monotonic() < deadline, f"{switched[0]} not archived in {ARCHIVE_WAIT_S}s"
            time.sleep(0.1)


def charges(url: str, ids: list[str]) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT public_id FROM charges WHERE public_id = ANY(%s) ORDER BY public_id", [ids]
        ).fetchall()
    return [row[0] for row in rows]


def test_a_restore_to_an_instant_between_two_payments_gives_back_the_anchored_books(
    cluster: ArchivedCluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE localcoin")
    url = cluster.url("localcoin")
    upgrade_to_head(sqlalchemy_url(url))
    engine = make_engine(sqlalchemy_url(url), pool_size=2)
    town = build_town(engine, merchants=1, residents=1, funding=10_000)
    backup = cluster.backup("take")
    assert backup["ok"] is True and backup["type"] == "full", backup
    # pgBackRest keeps a backup's stop time in whole seconds and restores to an instant
    # from the backups that stopped before it: the target must be in a later second.
    time.sleep(1.1)

    client = TestClient(create_app(engine, SystemClock(), run_sealer=False, settings=FAST_PINS))
    first = pay(client, town, 700, "pitr-a")
    anchored_first = tmp_path / "anchor-a.json"
    assert ledger_command(url, monkeypatch, "anchor", "--out", str(anchored_first))[0] == 0
    target = server_now(url)
    time.sleep(0.2)
    later = pay(client, town, 300, "pitr-b")
    anchored_later = tmp_path / "anchor-b.json"
    assert ledger_command(url, monkeypatch, "anchor", "--out", str(anchored_later))[0] == 0
    assert charges(url, [first, later]) == sorted([first, later])
    archive_everything(url)
    engine.dispose()

    # The disk is lost: the server dies and its data directory goes.
    cluster.crash()
    shutil.rmtree(cluster.pgdata)
    restored = cluster.backup(
        "restore",
        "--target-time",
        target.isoformat(),
        "--pg-path",
        str(cluster.pgdata),
    )
    assert restored["ok"] is True, restored
    cluster.start()
    wait_for_promotion(url)

    assert charges(url, [first, later]) == [first]
    exit_code, verified = ledger_command(
        url, monkeypatch, "verify", "--anchor", str(anchored_first)
    )
    assert exit_code == 0, verified
    (report,) = [r for r in verified["reports"] if r["code"] == town.coin.code]
    assert report["anchor"]["at_head"] is True
    assert report["chain_head"] == json.loads(anchored_first.read_text())["coins"][-1]["chain_head"]
    exit_code, verified = ledger_command(
        url, monkeypatch, "verify", "--anchor", str(anchored_later)
    )
    assert exit_code == 1
    (report,) = [r for r in verified["reports"] if r["code"] == town.coin.code]
    assert report["anchor"]["on_chain"] is False
    assert report["checks"]["hash_chain"]["ok"] is True


def wait_for_promotion(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        if row is not None and row[0] is False:
            return
        assert time.monotonic() < deadline, "the restored cluster never left recovery"
        time.sleep(0.2)
