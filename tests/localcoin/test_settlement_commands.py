"""``localcoin settlement run``: closes the day's batch, writes its Zengin file, prints the batch."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from jp_banking.zengin import read_transfer_file
from kit.settings import get_settings
from ledger.clock import FixedClock
from localcoin import settlement_commands
from localcoin.cli import app
from tests.settlement.settlement_day import AFTER_CUT_OFF, cashouts, set_originator
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(settlement_commands, "system_clock", lambda: FixedClock(AFTER_CUT_OFF))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(cli: CliRunner, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli.invoke(app, ["settlement", "run", *args])
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return result.exit_code, out


def test_run_closes_writes_the_file_and_prints_the_batch(
    cli: CliRunner, town: Town, tmp_path: Path
) -> None:
    cashouts(town, [10_000, 5_000])
    set_originator(town)
    exit_code, out = run(cli, "--coin", town.code, "--date", "2026-11-23", "--out", str(tmp_path))
    assert exit_code == 0, out
    assert out["closed_now"] is True
    batch = out["batch"]
    assert (batch["status"], batch["totals"]["count"], batch["totals"]["net"]) == (
        "exported",
        2,
        14_760,
    )
    assert [e["actor"] for e in batch["events"]] == ["cli", "cli", "cli"]
    written = Path(out["file"]).read_bytes()
    read = read_transfer_file(written)
    assert (read.count, read.total_yen) == (2, 14_760)
    again_code, again = run(
        cli, "--coin", town.code, "--date", "2026-11-23", "--out", str(tmp_path)
    )
    assert (again_code, again["closed_now"], again["batch"]["id"]) == (0, False, batch["id"])
    assert Path(again["file"]).read_bytes() == written


def test_run_without_an_originating_account_closes_but_refuses_the_file(
    cli: CliRunner, town: Town, tmp_path: Path
) -> None:
    cashouts(town, [3_000])
    exit_code, out = run(cli, "--coin", town.code, "--date", "2026-11-23", "--out", str(tmp_path))
    assert (exit_code, out["ok"], out["code"]) == (1, False, "originator_not_set")
    assert out["batch"]["status"] == "closed"
    assert list(tmp_path.iterdir()) == []


def test_run_for_an_unknown_coin_or_before_the_cut_off_does_nothing(
    cli: CliRunner, town: Town, tmp_path: Path
) -> None:
    exit_code, out = run(cli, "--coin", "NOSUCHCOIN", "--date", "2026-11-23")
    assert (exit_code, out["code"]) == (2, "coin_not_found")
    exit_code, out = run(cli, "--coin", town.code, "--date", "2026-11-24", "--out", str(tmp_path))
    assert (exit_code, out["code"]) == (2, "cut_off_not_reached")
