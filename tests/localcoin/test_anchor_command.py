"""``localcoin ledger anchor`` records each coin's chain head; ``ledger verify --anchor``
checks later that the chain still passes through it."""

import json
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from ledger.chart import Standard
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0, Books
from tests.localcoin.test_cli import cli, run

__all__ = ["cli"]


def top_up(books: Books, wallet: int, amount: int) -> None:
    request = EntryRequest(
        "topup.counter",
        [debit(books.account(Standard.RESERVE_BANK), amount), credit(wallet, amount)],
    )
    run_in_transaction(
        books.engine,
        lambda conn: post_entry(conn, coin_id=books.coin_id, request=request, posted_at=T0),
    )


def test_the_anchor_is_the_sealed_chain_head_and_is_written_once(
    cli: CliRunner, books: Books, tmp_path: Path
) -> None:
    wallet = books.wallet("resident:1")
    top_up(books, wallet, 1_000)
    top_up(books, wallet, 2_000)
    out = tmp_path / "anchor.json"
    exit_code, anchored = run(cli, "ledger", "anchor", "--coin", books.coin.code, "--out", str(out))
    assert exit_code == 0
    (head,) = anchored["coins"]
    # Anchoring sealed both entries first: the head is the second entry's chain hash.
    stored = run_in_transaction(
        books.engine,
        lambda conn: conn.execute(
            text(
                "SELECT chain_index, encode(chain_hash, 'hex') FROM entry_seals"
                " WHERE coin_id = :c ORDER BY chain_index DESC LIMIT 1"
            ),
            {"c": books.coin_id},
        ).one(),
    )
    assert (head["code"], head["chain_index"], head["chain_head"]) == (
        books.coin.code,
        *stored,
    )
    assert stored[0] == 2
    assert json.loads(out.read_text()) == anchored
    verified = run(cli, "ledger", "verify", "--coin", books.coin.code)[1]
    assert verified["reports"][0]["chain_head"] == head["chain_head"]
    again = run(cli, "ledger", "anchor", "--coin", books.coin.code, "--out", str(out))
    assert again[0] == 1
    assert again[1]["code"] == "anchor_file_exists"


def test_verify_checks_the_chain_still_passes_through_the_anchor(
    cli: CliRunner, books: Books, tmp_path: Path
) -> None:
    wallet = books.wallet("resident:1")
    top_up(books, wallet, 1_000)
    out = tmp_path / "anchor.json"
    assert run(cli, "ledger", "anchor", "--coin", books.coin.code, "--out", str(out))[0] == 0
    exit_code, verified = run(
        cli, "ledger", "verify", "--coin", books.coin.code, "--anchor", str(out)
    )
    assert exit_code == 0
    assert verified["reports"][0]["anchor"]["on_chain"] is True
    assert verified["reports"][0]["anchor"]["at_head"] is True
    # Entries after the anchor extend the chain; the anchor is still on it.
    top_up(books, wallet, 500)
    exit_code, verified = run(
        cli, "ledger", "verify", "--coin", books.coin.code, "--anchor", str(out)
    )
    assert exit_code == 0
    assert (
        verified["reports"][0]["anchor"] | {"on_chain": True, "at_head": False}
        == (verified["reports"][0]["anchor"])
    )
    # A chain rewritten consistently would verify on its own, but not against the anchor.
    document = json.loads(out.read_text())
    document["coins"][0]["chain_head"] = "ab" * 32
    rewritten = tmp_path / "other.json"
    rewritten.write_text(json.dumps(document))
    exit_code, verified = run(
        cli, "ledger", "verify", "--coin", books.coin.code, "--anchor", str(rewritten)
    )
    assert exit_code == 1
    assert verified["ok"] is False
    assert verified["reports"][0]["checks"]["hash_chain"]["ok"] is True
    assert verified["reports"][0]["anchor"]["on_chain"] is False


def test_an_anchored_coin_missing_or_a_bad_file_is_refused(
    cli: CliRunner, books: Books, tmp_path: Path
) -> None:
    gone = tmp_path / "gone.json"
    gone.write_text(
        json.dumps({"coins": [{"code": "NOSUCH", "chain_index": 0, "chain_head": None}]})
    )
    exit_code, out = run(cli, "ledger", "verify", "--anchor", str(gone))
    assert (exit_code, out["code"]) == (2, "anchor_file_invalid")
    assert "NOSUCH" in out["detail"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"coins": [{"code": books.coin.code, "chain_index": 3}]}))
    exit_code, out = run(cli, "ledger", "verify", "--coin", books.coin.code, "--anchor", str(bad))
    assert (exit_code, out["code"]) == (2, "anchor_file_invalid")
