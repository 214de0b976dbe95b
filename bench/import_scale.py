"""Moving a coin in: ``localcoin import`` of a large export, against the ledger's own floor.

    .venv/bin/python -m bench.import_scale --residents 100000 --merchants 1000

Starts a throwaway embedded PostgreSQL (pgserver, deleted afterwards) unless
DATABASE_URL is set, in which case it creates fresh databases there and drops
them at the end. Then:

1. writes an export (CSV, as docs/migration.md describes) of ``--residents``
   residents (one in five verified; each with money, and one in two with
   points and one in five with premium, each lot with its own expiry) and
   ``--merchants`` merchants with balances, and its stated total;
2. import: ``import_books`` in one transaction on a fresh coin, as
   ``localcoin import FILE --coin CODE`` runs it (parse and check included);
3. reference, in the same run on a second fresh coin: as many lot-tracked
   accounts opened in one statement and the same opening entries posted
   straight to the ledger (``post_batch``), without residents, wallets,
   parsing or checks — the ledger's floor under the import.

Progress on stderr; one JSON object on stdout: seconds, residents per second,
the ratio import / reference, and whether the target (100,000 residents under
60 s) was met — reported, never enforced. The imported coin is verified.
"""

import argparse
import csv
import io
import json
import random
import secrets
import sys
import time
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine

from bench.machine import machine_facts
from bench.scratch_postgres import (
    console,
    fresh_databases,
    migrated_engine,
    postgres_server,
    server_version,
    url_for_database,
)
from ledger.accounts import AccountClass, open_account, open_accounts
from ledger.entries import EntryRequest, credit, debit, post_batch
from ledger.limits import BATCH_ENTRIES_MAX
from ledger.unit_of_work import run_in_transaction
from ledger.verify import verify_coin
from localcoin.books_import import RESIDENTS_PER_STATEMENT as CHUNK
from localcoin.books_import import import_books
from localcoin.coin_setup import set_up_coin
from localcoin.import_file import ExportFile, parse_export

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TARGET_RESIDENTS = 100_000
TARGET_S = 60
COLUMNS = [
    "record", "ref", "display_name", "tier", "kind", "amount", "expires_at", "name",
    "name_kana", "category", "bank_code", "branch_code", "account_type", "account_number",
    "holder_kana", "balance", "outstanding",
]  # fmt: skip
SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤"]


def export_bytes(residents: int, merchants: int, seed: int = 7) -> bytes:
    """A plausible export of another platform, its total stated right."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    total = 0
    expiry = (AT + timedelta(days=200)).isoformat()
    for n in range(residents):
        ref = f"old-{n}"
        tier = "verified" if n % 5 == 0 else "basic"
        name = f"{rng.choice(SURNAMES)}{n}"
        writer.writerow({"record": "resident", "ref": ref, "display_name": name, "tier": tier})
        lots = [("money", rng.randint(1, 20_000), "")]
        if n % 2 == 0:
            lots.append(("points", rng.randint(1, 3_000), expiry))
        if n % 5 == 0:
            lots.append(("premium", rng.randint(1, 5_000), expiry))
        for kind, amount, expires in lots:
            writer.writerow(
                {"record": "lot", "ref": ref, "kind": kind, "amount": amount, "expires_at": expires}
            )
            total += amount
    for n in range(merchants):
        balance = rng.randint(0, 200_000)
        writer.writerow(
            {
                "record": "merchant",
                "ref": f"shop-{n}",
                "name": f"商店{n}",
                "name_kana": "ｼﾖｳﾃﾝ",
                "category": "food",
                "bank_code": "0001",
                "branch_code": "001",
                "account_type": "ordinary",
                "account_number": f"{n % 10_000_000:07d}",
                "holder_kana": "ｼﾖｳﾃﾝ",
                "balance": balance,
            }
        )
        total += balance
    writer.writerow({"record": "total", "outstanding": total})
    return out.getvalue().encode()


def fresh_coin(engine: Engine, prefix: str) -> Any:
    return run_in_transaction(
        engine,
        lambda c: set_up_coin(
            c,
            code=f"{prefix}{secrets.token_hex(3).upper()}",
            name="bench",
            issuer_name="bench",
            at=AT,
        ),
    ).coin


def run_import(engine: Engine, export: ExportFile) -> dict[str, Any]:
    coin = fresh_coin(engine, "I")
    total = len(export.residents) + len(export.merchants)
    with console.status(f"importing {total} residents and merchants") as status:
        step = max(1, total // 20)

        def progress(done: int, of: int) -> None:
            if done % step == 0:
                status.update(f"importing: {done}/{of}")

        started = time.perf_counter()
        report = run_in_transaction(
            engine,
            lambda c: import_books(c, coin=coin, export=export, at=AT, progress=progress),
        )
        took = time.perf_counter() - started
    with engine.connect() as conn:
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        verified = verify_coin(conn, coin_id=coin.id).as_dict()
        conn.rollback()
    return {"s": round(took, 2), "entries": report.entries, "verify": verified}


def run_reference(engine: Engine, export: ExportFile) -> dict[str, Any]:
    """The import's opening entries, straight into the ledger: its floor."""
    coin = fresh_coin(engine, "R")

    def open_clearing(conn: Any, code: str) -> int:
        return open_account(
            conn, coin_id=coin.id, code=code, account_class=AccountClass.ASSET, at=AT
        ).id

    started = time.perf_counter()

    def post(conn: Any) -> int:
        main = open_clearing(conn, "clearing:bench")
        wallets = open_accounts(
            conn,
            coin_id=coin.id,
            codes=[f"wallet:bench:{n}" for n in range(len(export.residents))],
            account_class=AccountClass.LIABILITY,
            tracks_lots=True,
            at=AT,
        )
        requests: list[EntryRequest] = []
        posted = 0

        def add(request: EntryRequest) -> None:
            nonlocal posted, requests
            requests.append(request)
            if len(requests) == BATCH_ENTRIES_MAX:
                post_batch(conn, coin_id=coin.id, requests=requests, posted_at=AT)
                posted += len(requests)
                requests = []

        # Split clearing, as the import does (localcoin/books_import.py's module doc).
        for start in range(0, len(wallets), CHUNK):
            chunk = open_clearing(conn, f"clearing:bench:{start}")
            residents = export.residents[start : start + CHUNK]
            for wallet, resident in zip(wallets[start : start + CHUNK], residents, strict=True):
                legs = [
                    credit(wallet, lot.amount, lot_kind=lot.kind, lot_expires_at=lot.expires_at)
                    for lot in resident.lots
                ]
                add(EntryRequest("bench.opening", [debit(chunk, resident.total), *legs]))
            amount = sum(r.total for r in residents)
            add(EntryRequest("bench.gather", [debit(main, amount), credit(chunk, amount)]))
        if requests:
            post_batch(conn, coin_id=coin.id, requests=requests, posted_at=AT)
            posted += len(requests)
        return posted

    with console.status("reference: the same entries straight into the ledger"):
        posted = run_in_transaction(engine, post)
    return {"s": round(time.perf_counter() - started, 2), "entries": posted}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=TARGET_RESIDENTS)
    parser.add_argument("--merchants", type=int, default=1_000)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    out: dict[str, Any] = {
        "benchmark": "import_scale",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "residents": args.residents,
        "merchants": args.merchants,
        "machine": machine_facts(),
    }
    raw = export_bytes(args.residents, args.merchants)
    started = time.perf_counter()
    export = parse_export(raw)
    out["file_mb"] = round(len(raw) / 2**20, 1)
    out["parse_s"] = round(time.perf_counter() - started, 2)
    lots = sum(len(r.lots) for r in export.residents)
    out["lots"] = lots
    name = f"bench_import_{secrets.token_hex(4)}"
    with postgres_server() as (url, _), fresh_databases(url, name):
        out["postgres_version"] = server_version(url)
        with migrated_engine(url_for_database(url, name)) as engine:
            out["import"] = run_import(engine, export)
            out["reference"] = run_reference(engine, export)
    whole_s = out["parse_s"] + out["import"]["s"]
    out["residents_per_s"] = round(args.residents / whole_s) if whole_s else None
    out["ratio_import_to_reference"] = round(out["import"]["s"] / out["reference"]["s"], 2)
    out["target"] = {
        "residents": TARGET_RESIDENTS,
        "s_max": TARGET_S,
        "met": args.residents >= TARGET_RESIDENTS and whole_s < TARGET_S,
    }
    sys.stdout.write(json.dumps(out, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
