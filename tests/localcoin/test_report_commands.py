"""``localcoin report …``: the same figures as the HTTP reports, one JSON object on stdout."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from kit.credentials import Role
from kit.settings import get_settings
from ledger.clock import FixedClock
from localcoin.cli import app
from tests.merchant.shops import funded_resident, open_shop
from tests.settlement.report_books import close_payout, key, pay, tokyo
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    """A town with activity on both sides of the base date 2026-09-30."""
    town = new_town(engine, clock)
    town.clock.set(tokyo(2026, 9, 29))
    shop = open_shop(town, category="food")
    alice = funded_resident(town, 40_000)
    pay(town, shop.merchant, alice.wallet_id, 6_000)
    town.clock.set(tokyo(2026, 10, 1))
    funded_resident(town, 9_000)
    close_payout(town, shop.merchant, 6_000, fee=96)
    town.clock.set(tokyo(2026, 10, 2))
    return town


def run(cli: CliRunner, *args: str) -> tuple[int, dict[str, Any], str]:
    result = cli.invoke(app, list(args))
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return result.exit_code, out, result.stderr


def test_unused_balance_prints_what_the_api_answers(cli: CliRunner, town: Town) -> None:
    exit_code, out, progress = run(
        cli, "report", "unused-balance", "--coin", town.code, "--base-date", "2026-09-30"
    )

    assert exit_code == 0, out
    api = town.client.get(
        "/v1/reports/unused_balance",
        params={"base_date": "2026-09-30"},
        headers=key(town, Role.ISSUER),
    ).json()
    assert out == api
    assert (out["residents_money"], out["merchants"], out["unused_balance"]) == (
        34_000,
        6_000,
        40_000,
    )
    assert "base date" in progress


def test_unused_balance_refusals_are_one_json_object_and_exit_1(cli: CliRunner, town: Town) -> None:
    args = ["report", "unused-balance", "--coin", town.code, "--base-date"]
    assert run(cli, *args, "2026-09-29")[:2] == (
        1,
        {
            "ok": False,
            "code": "base_date_invalid",
            "detail": "2026-09-29 is not a base date: the Act's base dates are 3/31 and 9/30",
        },
    )
    exit_code, out, _ = run(cli, *args, "2026-09-29", "--any-date")
    assert (exit_code, out["statutory"], out["unused_balance"]) == (0, False, 40_000)
    assert run(cli, *args, "30/09/2026")[1]["code"] == "date_invalid"
    unknown = ["report", "unused-balance", "--coin", "NOSUCHCOIN", "--base-date", "2026-09-30"]
    assert run(cli, *unknown)[:2][1]["code"] == "coin_not_found"


def test_fees_prints_the_months_statement(cli: CliRunner, town: Town) -> None:
    exit_code, out, _ = run(cli, "report", "fees", "--coin", town.code, "--month", "2026-10")
    assert exit_code == 0, out
    assert (out["total"], out["by_kind"]["cashout"], out["shares"]) == (96, 96, [])
    assert run(cli, "report", "fees", "--coin", town.code, "--month", "2026-9")[1]["code"] == (
        "month_invalid"
    )


def test_kpi_writes_the_open_data_csv(cli: CliRunner, town: Town, tmp_path: Path) -> None:
    target = tmp_path / "kpi.csv"
    exit_code, out, progress = run(
        cli,
        "report",
        "kpi",
        "--coin",
        town.code,
        "--from",
        "2026-09-25",
        "--to",
        "2026-10-01",
        "--csv",
        str(target),
    )
    assert exit_code == 0, out
    assert (out["from"], out["payments_count"], out["cashout_amount"]) == ("2026-09-25", 1, 6_000)
    assert out["csv"] == str(target)
    text = target.read_text(encoding="utf-8-sig")
    assert text.startswith("metric,date,category,value")
    assert "payments_amount,,food,x" in text  # one resident paid: a small cell, hidden
    assert "wal_" not in text and "mer_" not in text
    assert "writing the CSV" in progress
    refused = run(
        cli, "report", "kpi", "--coin", town.code, "--from", "2026-10-02", "--to", "2026-10-01"
    )
    assert (refused[0], refused[1]["code"]) == (1, "period_invalid")
    short = run(cli, "report", "kpi", "--coin", town.code, "--from", "2026-09-29", "--to",
                "2026-10-01", "--csv", str(tmp_path / "short.csv"))  # fmt: skip
    assert (short[0], short[1]["code"]) == (1, "period_too_short")
