"""``localcoin import``: opening a coin's books from another platform's export, all or nothing."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from kit.credentials import Role
from kit.settings import get_settings
from ledger import entries as ledger_entries
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from ledger.verify import verify_coin
from localcoin import books_import
from localcoin.cli import app
from tests.wallet_api.test_residents_api import Town, new_town

COLUMNS = [
    "record", "ref", "display_name", "tier", "kind", "amount", "expires_at", "name",
    "name_kana", "category", "bank_code", "branch_code", "account_type", "account_number",
    "holder_kana", "balance", "outstanding",
]  # fmt: skip
LATER = "2027-06-30T23:59:59+09:00"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def export(rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode()


def good_rows(outstanding: int = 18_500) -> list[dict[str, object]]:
    return [
        {"record": "resident", "ref": "old-1", "display_name": "山田花子", "tier": "verified"},
        {"record": "lot", "ref": "old-1", "kind": "money", "amount": 10_000},
        {"record": "lot", "ref": "old-1", "kind": "points", "amount": 500, "expires_at": LATER},
        {"record": "resident", "ref": "old-2", "display_name": "佐藤一郎", "tier": "basic"},
        {"record": "lot", "ref": "old-2", "kind": "premium", "amount": 2_000, "expires_at": LATER},
        {"record": "resident", "ref": "old-3", "display_name": "空の財布", "tier": "basic"},
        {
            "record": "merchant",
            "ref": "shop-1",
            "name": "みどり青果店",
            "name_kana": "ミドリセイカテン",
            "category": "grocery",
            "bank_code": "0001",
            "branch_code": "001",
            "account_type": "ordinary",
            "account_number": "1234567",
            "holder_kana": "ミドリセイカテン",
            "balance": 6_000,
        },
        {"record": "total", "outstanding": outstanding},
    ]


def run(cli: CliRunner, town: Town, path: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = cli.invoke(app, ["import", str(path), "--coin", town.code, *extra])
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def counts(town: Town) -> tuple[int, int, int]:
    def read(conn):  # type: ignore[no-untyped-def]
        coin = town.coin.coin.id
        return tuple(
            conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE {column} = :c"), {"c": coin}
            ).scalar_one()
            for table, column in (
                ("residents", "home_coin_id"),
                ("merchants", "coin_id"),
                ("entries", "coin_id"),
            )
        )

    found: tuple[int, int, int] = run_in_transaction(town.engine, read)
    return found


def test_an_export_opens_the_books_once_and_they_verify(
    cli: CliRunner, town: Town, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(export(good_rows()))
    before = counts(town)
    code, rehearsal = run(cli, town, path, "--dry-run")
    assert (code, rehearsal["dry_run"], rehearsal["residents"]) == (0, True, 3)
    assert counts(town) == before

    code, report = run(cli, town, path)
    assert code == 0, report
    assert (report["residents"], report["merchants"], report["outstanding"]) == (3, 1, 18_500)
    assert (report["money"], report["premium"], report["points"]) == (10_000, 2_000, 500)
    assert report["merchant_balances"] == 6_000
    # Two wallets with lots and the merchant: an opening entry each; the residents'
    # and the merchants' clearing chunks gathered; the closing one.
    assert counts(town)[2] - before[2] == 6
    summary = town.client.get(
        "/v1/ledger/summary",
        headers={"Authorization": f"Bearer {town.coin.keys[Role.OPERATOR]}"},
    ).json()
    assert summary["outstanding"] == {"residents": 12_500, "merchants": 6_000, "total": 18_500}
    result = run_in_transaction(town.engine, lambda c: verify_coin(c, coin_id=town.coin.coin.id))
    assert result.ok, result

    again_code, again = run(cli, town, path)
    assert (again_code, again["already_imported"]) == (0, True)
    assert counts(town)[2] - before[2] == 6


def test_a_resident_brought_in_logs_in_after_the_counter_sets_a_pin(
    cli: CliRunner, town: Town, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(export(good_rows()))
    assert run(cli, town, path)[0] == 0
    resident_id = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT r.public_id FROM imported_records i JOIN residents r"
                " ON r.public_id = i.public_id WHERE i.coin_id = :c AND i.ref = 'old-1'"
            ),
            {"c": town.coin.coin.id},
        ).scalar_one(),
    )
    for pin in ("0000", "1234", "9999"):
        refused = town.client.post("/v1/auth/token", json={"resident_id": resident_id, "pin": pin})
        assert refused.status_code == 401
    town.clock.advance(timedelta(hours=1))  # past the lock the guesses above earned
    reset = town.client.post(
        f"/v1/residents/{resident_id}/pin_reset",
        json={"new_pin": "2468", "checked_with": "my_number_card"},
        headers=town.issuer(),
    )
    assert reset.status_code == 200, reset.text
    wallet = town.client.get("/v1/wallet", headers=town.token(resident_id, pin="2468")).json()
    assert (wallet["tier"], wallet["balance"]["money"], wallet["balance"]["points"]) == (
        "verified",
        10_000,
        500,
    )


def test_every_bad_line_is_listed_and_nothing_is_imported(
    cli: CliRunner, town: Town, tmp_path: Path
) -> None:
    rows = good_rows()
    rows[1] = {"record": "lot", "ref": "old-1", "kind": "money", "amount": "10,000"}
    rows[2] = {"record": "lot", "ref": "old-9", "kind": "points", "amount": 500}
    rows[6] = rows[6] | {"bank_code": "12"}
    path = tmp_path / "export.csv"
    path.write_bytes(export(rows))
    before = counts(town)
    code, refused = run(cli, town, path)
    assert (code, refused["ok"], refused["code"]) == (1, False, "import_rows_invalid")
    listed = {(e["line"], e["field"]) for e in refused["errors"]}
    # Line 1 is the header: the file's third record is on line 4.
    assert {(3, "amount"), (4, "expires_at"), (4, "ref"), (8, "bank_account.bank_code")} <= listed
    assert counts(town) == before


def test_totals_that_disagree_refuse_the_file_with_the_difference(
    cli: CliRunner, town: Town, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(export(good_rows(outstanding=18_000)))
    before = counts(town)
    code, refused = run(cli, town, path)
    assert (code, refused["code"]) == (1, "import_totals_disagree")
    assert "a difference of 500" in refused["detail"]
    assert counts(town) == before


def test_a_record_brought_in_before_is_a_bad_line_in_another_file(
    cli: CliRunner, town: Town, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_bytes(export(good_rows()))
    assert run(cli, town, first)[0] == 0
    second = tmp_path / "second.csv"
    rows = [r for r in good_rows() if r.get("ref") in ("old-3", None)]
    rows[-1] = {"record": "total", "outstanding": 0}
    second.write_bytes(export(rows))
    code, refused = run(cli, town, second)
    assert (code, refused["code"]) == (1, "import_rows_invalid")
    assert [e["detail"] for e in refused["errors"]] == ["this resident was imported before"]


def test_entries_past_one_ledger_batch_are_posted_in_several(
    cli: CliRunner, town: Town, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merchants' and the closing entries fill batches too (the ledger takes at most
    BATCH_ENTRIES_MAX at once); a batch of 2 here makes 7 entries span several."""
    monkeypatch.setattr(books_import, "BATCH_ENTRIES_MAX", 2)
    monkeypatch.setattr(ledger_entries, "BATCH_ENTRIES_MAX", 2)
    rows = good_rows(outstanding=18_500 + 700)
    second_shop = dict(rows[-2]) | {"ref": "shop-2", "name": "みどり鮮魚店", "balance": 700}
    rows.insert(-1, second_shop)
    path = tmp_path / "export.csv"
    path.write_bytes(export(rows))
    before = counts(town)
    code, report = run(cli, town, path)
    assert code == 0, report
    assert report["entries"] == 7
    assert counts(town)[2] - before[2] == 7
    result = run_in_transaction(town.engine, lambda c: verify_coin(c, coin_id=town.coin.coin.id))
    assert result.ok, result
