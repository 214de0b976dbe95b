"""Closing a day's settlement batch: many payments across many merchants, then the batch.

    .venv/bin/python -m bench.settlement_batch --payments 1000000 --merchants 10000

Starts a throwaway embedded PostgreSQL (pgserver, deleted afterwards) unless
DATABASE_URL is set, in which case it creates a fresh database there and drops
it at the end. Then:

1. set-up (not timed as the batch): a coin, ``--merchants`` merchants each on
   a daily payout schedule, the issuer's originating account, payer wallets
   funded from the reserve, and ``--payments`` payments (payer → merchant,
   ``ledger.post_batch``, 1,000 entries per commit) spread over the merchants;
2. close: ``close_batch`` in one transaction, as ``localcoin settlement run``
   does: the schedules ask one payout per merchant, each hold is captured in
   one entry;
3. file: ``export_batch`` builds and checks the Zengin file, written to a
   temporary directory.

Memory: the process's resident set is sampled before the close and at its
peak after the file (``ru_maxrss``); closing reads payouts and merchants, never
the day's payments, so its memory depends on the number of merchants, not on
the number of payments. ``--payments`` can be raised to check.

Progress on stderr; one JSON object on stdout. The target (close + file under
60 s) is reported, never enforced. After the batch the coin is verified.
"""

import argparse
import json
import random
import resource
import secrets
import sys
import tempfile
import time
import warnings
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, Engine

from bench.api_town import open_bench_shop
from bench.machine import machine_facts
from bench.scratch_postgres import (
    console,
    fresh_databases,
    migrated_engine,
    postgres_server,
    server_version,
    url_for_database,
)
from ledger.accounts import AccountClass, open_account
from ledger.chart import Standard, standard_account
from ledger.clock import BUSINESS_TZ
from ledger.entries import EntryRequest, credit, debit, post_batch_now
from ledger.limits import BATCH_ENTRIES_MAX
from ledger.unit_of_work import run_in_transaction
from ledger.verify import verify_coin
from localcoin.coin_setup import set_up_coin
from settlement.batch_files import export_batch
from settlement.batches import close_batch
from settlement.originator import SettlementSettings, checked_originator, save_settings
from settlement.payout_schedules import Frequency, set_schedule

DAY = date(2026, 11, 24)  # a Tuesday
PAID_AT = datetime(2026, 11, 24, 11, 0, tzinfo=BUSINESS_TZ).astimezone(UTC)
CLOSE_AT = datetime(2026, 11, 24, 16, 0, tzinfo=BUSINESS_TZ).astimezone(UTC)
PAYMENT_AMOUNT_MAX = 5_000
MERCHANTS_PER_COMMIT = 500
PAYMENTS_PER_PAYER = 1_000
TARGET_S = 60


def quiet_stdout() -> None:
    """stdout carries the one JSON object: warnings and logs go to stderr."""
    warnings.filterwarnings("ignore")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))


def rss_mb() -> float:
    """The process's peak resident set so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def set_up(engine: Engine, *, merchants: int) -> tuple[int, list[int]]:
    """A coin whose merchants all cash out daily; returns the coin and merchant accounts."""
    coin = run_in_transaction(
        engine,
        lambda c: set_up_coin(
            c,
            code=f"B{secrets.token_hex(3).upper()}",
            name="bench",
            issuer_name="bench",
            at=PAID_AT,
        ),
    ).coin
    originator = checked_originator(
        requester_code="1",
        name="ﾍﾞﾝﾁｼﾝｷﾝ",
        bank_code="0001",
        branch_code="001",
        account_type="ordinary",
        account_number="1",
    )
    run_in_transaction(
        engine,
        lambda c: save_settings(
            c,
            coin_id=coin.id,
            settings=SettlementSettings(
                cut_off=datetime(2000, 1, 1, 15).time(), originator=originator
            ),
            at=PAID_AT,
        ),
    )
    accounts: list[int] = []
    with console.status(f"opening {merchants} merchants") as status:
        for start in range(0, merchants, MERCHANTS_PER_COMMIT):
            count = min(MERCHANTS_PER_COMMIT, merchants - start)
            accounts += run_in_transaction(
                engine, partial(_open_merchants, coin_id=coin.id, count=count)
            )
            status.update(f"opening merchants: {len(accounts)}/{merchants}")
    return coin.id, accounts


def _open_merchants(conn: Connection, *, coin_id: int, count: int) -> list[int]:
    opened = []
    for index in range(count):
        merchant = open_bench_shop(conn, coin_id=coin_id, index=index, at=PAID_AT)
        set_schedule(
            conn,
            merchant=merchant,
            frequency=Frequency.DAILY,
            weekday=None,
            min_amount=1,
            at=PAID_AT,
        )
        opened.append(merchant.account_id)
    return opened


def pay(engine: Engine, *, coin_id: int, merchants: list[int], payments: int) -> int:
    """Posts the day's payments; returns their total."""
    rng = random.Random(7)
    payers = max(1, payments // PAYMENTS_PER_PAYER)
    funding = PAYMENTS_PER_PAYER * PAYMENT_AMOUNT_MAX * 2
    reserve = run_in_transaction(
        engine, lambda c: standard_account(c, coin_id=coin_id, code=Standard.RESERVE_BANK).id
    )
    wallets = run_in_transaction(
        engine,
        lambda c: [
            open_account(
                c,
                coin_id=coin_id,
                code=f"wallet:resident:bench{n}",
                account_class=AccountClass.LIABILITY,
                at=PAID_AT,
            ).id
            for n in range(payers)
        ],
    )
    for start in range(0, payers, BATCH_ENTRIES_MAX):
        post_batch_now(
            engine,
            coin_id=coin_id,
            requests=[
                EntryRequest("topup.counter", (debit(reserve, funding), credit(wallet, funding)))
                for wallet in wallets[start : start + BATCH_ENTRIES_MAX]
            ],
            posted_at=PAID_AT,
        )
    total = 0
    with console.status(f"posting {payments} payments") as status:
        for start in range(0, payments, BATCH_ENTRIES_MAX):
            requests = []
            for n in range(start, min(payments, start + BATCH_ENTRIES_MAX)):
                amount = rng.randint(1, PAYMENT_AMOUNT_MAX)
                payer = wallets[n % payers]
                requests.append(
                    EntryRequest(
                        "payment",
                        (debit(payer, amount), credit(merchants[n % len(merchants)], amount)),
                    )
                )
                total += amount
            post_batch_now(engine, coin_id=coin_id, requests=requests, posted_at=PAID_AT)
            if start % 50_000 == 0:
                status.update(f"posting payments: {start}/{payments}")
    return total


def run_batch(engine: Engine, *, coin_id: int, out_dir: Path) -> dict[str, Any]:
    rss_before = rss_mb()
    started = time.perf_counter()
    closing = run_in_transaction(
        engine,
        lambda c: close_batch(c, coin_id=coin_id, business_date=DAY, actor="bench", at=CLOSE_AT),
    )
    closed = time.perf_counter()
    _, data = run_in_transaction(
        engine,
        lambda c: export_batch(
            c,
            coin_id=coin_id,
            batch_public_id=closing.batch.public_id,
            actor="bench",
            at=CLOSE_AT + timedelta(seconds=1),
        ),
    )
    (out_dir / "zengin.txt").write_bytes(data)
    done = time.perf_counter()
    batch = closing.batch
    return {
        "payouts": batch.payout_count,
        "net_total": batch.net_total,
        "fee_total": batch.fee_total,
        "close_s": round(closed - started, 2),
        "file_s": round(done - closed, 2),
        "total_s": round(done - started, 2),
        "file_bytes": len(data),
        "rss_mb_before": round(rss_before, 1),
        "rss_mb_peak": round(rss_mb(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--merchants", type=int, default=10_000)
    args = parser.parse_args(argv)
    quiet_stdout()
    name = f"bench_settlement_{secrets.token_hex(4)}"
    out: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "payments": args.payments,
        "merchants": args.merchants,
        "machine": machine_facts(),
    }
    with postgres_server() as (url, _), fresh_databases(url, name):
        out["postgres_version"] = server_version(url)
        database = url_for_database(url, name)
        with migrated_engine(database) as engine:
            set_up_started = time.perf_counter()
            coin_id, merchants = set_up(engine, merchants=args.merchants)
            out["payments_total"] = pay(
                engine, coin_id=coin_id, merchants=merchants, payments=args.payments
            )
            out["set_up_s"] = round(time.perf_counter() - set_up_started, 2)
            console.log("closing the batch and writing its file")
            with tempfile.TemporaryDirectory() as tmp:
                out["batch"] = run_batch(engine, coin_id=coin_id, out_dir=Path(tmp))
            out["target"] = {"total_s_max": TARGET_S, "met": out["batch"]["total_s"] < TARGET_S}
            with engine.connect() as conn:
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                out["verify"] = verify_coin(conn, coin_id=coin_id).as_dict()
                conn.rollback()
    sys.stdout.write(json.dumps(out, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
