"""The localcoin command as an operator runs it: JSON on stdout, progress on stderr."""

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from kit.settings import get_settings
from ledger.chart import Standard
from ledger.coins import find_coin
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.lots import LotKind
from ledger.unit_of_work import run_in_transaction
from localcoin.cli import app, is_loopback
from localcoin.migrate import alembic_config
from tests.conftest import T0, Books

_codes = itertools.count(1)


def fresh_code() -> str:
    return f"CLI{os.getpid() % 100000}X{next(_codes)}"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(cli: CliRunner, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = cli.invoke(app, list(args))
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def test_coin_create_prints_the_coin_and_three_keys(cli: CliRunner, engine: Engine) -> None:
    code = fresh_code()
    exit_code, out = run(
        cli,
        "coin",
        "create",
        "--code",
        code,
        "--name",
        "さるぼぼコイン",
        "--issuer",
        "飛騨信用組合",
    )
    assert exit_code == 0
    assert out["code"] == code
    assert set(out["keys"]) == {"operator", "issuer", "municipality"}
    assert all(key.startswith(f"lc_{role}_") for role, key in out["keys"].items())
    coin = run_in_transaction(engine, lambda conn: find_coin(conn, code))
    assert coin.id == out["coin_id"]
    assert coin.name == "さるぼぼコイン"
    chart = run_in_transaction(
        engine,
        lambda conn: (
            conn.execute(
                text("SELECT code FROM accounts WHERE coin_id = :c ORDER BY code"), {"c": coin.id}
            )
            .scalars()
            .all()
        ),
    )
    assert set(chart) == {s.value for s in Standard}


def test_coin_create_twice_is_refused_with_a_code(cli: CliRunner) -> None:
    code = fresh_code()
    assert run(cli, "coin", "create", "--code", code, "--name", "a", "--issuer", "b")[0] == 0
    exit_code, out = run(cli, "coin", "create", "--code", code, "--name", "a", "--issuer", "b")
    assert exit_code == 1
    assert out == {
        "ok": False,
        "code": "coin_exists",
        "detail": f"a coin with code {code!r} exists",
    }


def test_db_upgrade_reports_the_head_revision(cli: CliRunner) -> None:
    exit_code, out = run(cli, "db", "upgrade")
    assert exit_code == 0
    assert out["ok"] is True
    head = ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()
    assert out["revision"] == head


def test_ledger_verify_passes_on_clean_books_and_seals_them(cli: CliRunner, books: Books) -> None:
    wallet = books.wallet("resident:1")
    run_in_transaction(
        books.engine,
        lambda conn: post_entry(
            conn,
            coin_id=books.coin_id,
            request=EntryRequest(
                "topup.counter",
                [debit(books.account(Standard.RESERVE_BANK), 1000), credit(wallet, 1000)],
            ),
            posted_at=T0,
        ),
    )
    exit_code, out = run(cli, "ledger", "verify", "--coin", books.coin.code)
    assert exit_code == 0
    assert out["ok"] is True
    (report,) = out["reports"]
    assert report["entries"] == 1
    assert report["postings"] == 2
    assert report["sealed_now"] == 1
    assert report["sealed"] == 1
    assert report["unsealed"] == 0


def test_ledger_verify_exits_non_zero_when_the_books_were_tampered(
    cli: CliRunner, books: Books
) -> None:
    wallet = books.wallet("resident:1")
    reserve = books.account(Standard.RESERVE_BANK)
    run_in_transaction(
        books.engine,
        lambda conn: post_entry(
            conn,
            coin_id=books.coin_id,
            request=EntryRequest("topup.counter", [debit(reserve, 1000), credit(wallet, 1000)]),
            posted_at=T0,
        ),
    )
    assert run(cli, "ledger", "verify", "--coin", books.coin.code)[0] == 0
    # Someone with superuser rights edits the cached balance behind the ledger's back.
    with books.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE account_balances SET posted = posted + 1 WHERE coin_id = :c AND account_id = :a"
            ),
            {"c": books.coin_id, "a": wallet},
        )
    exit_code, out = run(cli, "ledger", "verify", "--coin", books.coin.code)
    assert exit_code == 1
    assert out["ok"] is False
    failures = out["reports"][0]["checks"]["balances_equal_postings"]["failures"]
    assert failures == [f"account {wallet} caches 1001 but its postings sum to 1000"]


def test_ledger_verify_of_an_unknown_coin_is_a_clear_error(cli: CliRunner) -> None:
    exit_code, out = run(cli, "ledger", "verify", "--coin", "NOSUCHCOIN")
    assert exit_code == 2
    assert out["code"] == "coin_not_found"


def test_points_expire_moves_expired_points_to_breakage(cli: CliRunner, books: Books) -> None:
    wallet = books.wallet("resident:1")
    municipality = books.account(Standard.RECEIVABLE_MUNICIPALITY)
    end_of_november_jst = T0.replace(day=30, hour=15)  # 2026-12-01 00:00 in Tokyo
    run_in_transaction(
        books.engine,
        lambda conn: post_entry(
            conn,
            coin_id=books.coin_id,
            request=EntryRequest(
                "points.grant",
                [
                    debit(municipality, 300),
                    credit(
                        wallet, 300, lot_kind=LotKind.POINTS, lot_expires_at=end_of_november_jst
                    ),
                ],
            ),
            posted_at=T0,
        ),
    )
    exit_code, out = run(
        cli, "points", "expire", "--coin", books.coin.code, "--as-of", "2026-11-29"
    )
    assert (exit_code, out["lots_expired"], out["amount"]) == (0, 0, 0)
    exit_code, out = run(
        cli, "points", "expire", "--coin", books.coin.code, "--as-of", "2026-11-30"
    )
    assert (exit_code, out["lots_expired"], out["amount"]) == (0, 1, 300)
    assert out["as_of"] == (end_of_november_jst).isoformat()
    exit_code, out = run(
        cli, "points", "expire", "--coin", books.coin.code, "--as-of", "2026-11-30"
    )
    assert (out["lots_expired"], out["amount"]) == (0, 0)


def test_results_go_to_stdout_and_progress_to_stderr(database_url: str, books: Books) -> None:
    env = os.environ | {"DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "localcoin.cli", "ledger", "verify", "--coin", books.coin.code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True
    assert len(done.stdout.strip().splitlines()) == 1
    assert "verifying coins" in done.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "coin.example-city.jp"])
def test_serve_on_a_reachable_address_refuses_the_development_secrets(
    cli: CliRunner, host: str
) -> None:
    # LOCALCOIN_ENVIRONMENT is "local" here: the address, not the label, decides.
    exit_code, out = run(cli, "serve", "--host", host)
    assert exit_code == 1
    assert out["code"] == "development_secrets_refused"
    assert "LOCALCOIN_TOKEN_MASTER_KEY" in out["detail"]
    assert "LOCALCOIN_SECRETS_KEY" in out["detail"]


def test_loopback_addresses_may_use_the_development_secrets() -> None:
    assert all(is_loopback(host) for host in ("127.0.0.1", "::1", "localhost", "127.0.0.9"))
    assert not any(is_loopback(host) for host in ("0.0.0.0", "10.0.0.1", "example.jp"))
