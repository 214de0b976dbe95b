"""A resident's balance and first history page over HTTP, in a small and a large ledger.

    .venv/bin/python -m bench.api_history_scale --entries 1000000

bench/history_scale.py answers this at the ledger; this one asks the API, as
the resident's app does: ``GET /v1/wallet`` (the balance, with lots) and
``GET /v1/wallet/transactions?limit=20`` (the first history page, in words).

Two coins in one throwaway database, each with one resident who has the same
``--own`` entries (counter top-ups of 1 coin spread over half a year): a
small coin with ``--small`` entries between other accounts and a large one
with ``--entries``. The bulk entries are inserted set-based by
bench/history_scale.py's statement (50,000 per commit, through the same
triggers as every posting); the large coin's entries are the time the run
takes, about a minute per million on an idle 2-core machine. Then the real
server (``localcoin serve``, bench/api_server.py) answers ``--repeat``
sequential requests of each kind per coin, warm, and each median is
reported with its large/small ratio (1.0 is flat).

Progress on stderr; one JSON object on stdout. Reports, never asserts.
"""

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
from rich.progress import Progress
from sqlalchemy import Connection, Engine, text

from bench.api_server import api_server
from bench.api_town import BenchTown, build_town
from bench.history_scale import BULK_ACCOUNTS, BULK_BATCH, T0, _bulk
from bench.ledger_vs_pgbench import quiet_stdout
from bench.machine import report_head
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
from ledger.entries import EntryRequest, credit, debit, post_batch
from ledger.unit_of_work import run_in_transaction

SPAN_S = 180 * 24 * 3600  # half a year of activity
OWN_PER_COMMIT = 500
READS = {
    "balance": "/v1/wallet",
    "first_page": "/v1/wallet/transactions?limit=20",
}


def grow(engine: Engine, town: BenchTown, *, entries: int, own: int) -> None:
    """``entries`` bulk entries among other accounts and ``own`` for the resident."""
    coin_id = town.coin_id
    wallet = town.residents[0].account_id

    def accounts(conn: Connection) -> dict[str, int]:
        first = None
        for i in range(BULK_ACCOUNTS):
            account = open_account(
                conn,
                coin_id=coin_id,
                code=f"asset:bulk:{i}",
                account_class=AccountClass.ASSET,
                allow_negative=True,
                at=T0,
            )
            first = first or account.id
        assert first is not None
        reserve = standard_account(conn, coin_id=coin_id, code=Standard.RESERVE_BANK).id
        return {"coin": coin_id, "bulk_first": first, "reserve": reserve}

    ids = run_in_transaction(engine, accounts)
    with Progress(console=console) as progress:
        task = progress.add_task(f"{town.coin.code}: {entries:,} entries", total=entries + own)
        done = 0
        while done < entries:
            n = min(BULK_BATCH, entries - done)
            run_in_transaction(
                engine, partial(_bulk, ids=ids, start=done, n=n, total=entries, span_s=SPAN_S)
            )
            done += n
            progress.advance(task, n)
        for start in range(0, own, OWN_PER_COMMIT):
            requests = [
                EntryRequest("topup.counter", [debit(ids["reserve"], 1), credit(wallet, 1)])
                for _ in range(min(OWN_PER_COMMIT, own - start))
            ]
            at = T0 + timedelta(seconds=SPAN_S * start // max(own, 1))
            run_in_transaction(
                engine, partial(post_batch, coin_id=coin_id, requests=requests, posted_at=at)
            )
            progress.advance(task, len(requests))


def medians_ms(
    client: httpx.Client, towns: dict[str, BenchTown], repeat: int
) -> dict[str, dict[str, float]]:
    """Median time of each read for each coin; the reads are interleaved (small, large,
    small…) so that load from elsewhere on a shared machine falls on both alike."""
    timings: dict[tuple[str, str], list[float]] = {}
    for round_no in range(repeat + 10):
        for size, town in towns.items():
            for read, path in READS.items():
                started = time.perf_counter()
                response = client.get(
                    path, headers={"Authorization": town.residents[0].authorization}
                )
                elapsed = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                if round_no >= 10:  # the first rounds warm the caches
                    timings.setdefault((read, size), []).append(elapsed)
    medians: dict[str, dict[str, float]] = {}
    for (read, size), values in timings.items():
        medians.setdefault(read, {})[f"{size}_ms"] = round(statistics.median(values), 3)
    return medians


def entries_in(engine: Engine, coin_id: int) -> int:
    with engine.connect() as conn:
        count: int = conn.execute(
            text("SELECT count(*) FROM entries WHERE coin_id = :coin"), {"coin": coin_id}
        ).scalar_one()
        return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="the large coin's")
    parser.add_argument("--small", type=int, default=10, help="the small coin's")
    parser.add_argument("--own", type=int, default=2_000, help="the resident's own entries")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    quiet_stdout()
    name = f"bench_api_history_{secrets.token_hex(4)}"
    out: dict[str, Any] = report_head("api_history_scale", args)
    with postgres_server() as (url, _), fresh_databases(url, name):
        out["postgres_version"] = server_version(url)
        database = url_for_database(url, name)
        with migrated_engine(database) as engine:
            towns = {}
            started = time.perf_counter()
            for size, entries in (("small", args.small), ("large", args.entries)):
                towns[size] = build_town(engine, merchants=1, residents=1, funding=0)
                grow(engine, towns[size], entries=entries, own=args.own)
            out["build_s"] = round(time.perf_counter() - started, 1)
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()
            out["entries_in_ledger"] = {
                size: entries_in(engine, town.coin_id) for size, town in towns.items()
            }
            with (
                api_server(database, workers=1, pool_size=2) as server,
                httpx.Client(base_url=server.base_url, timeout=30) as client,
            ):
                medians = medians_ms(client, towns, args.repeat)
    for figures in medians.values():
        figures["ratio"] = round(figures["large_ms"] / figures["small_ms"], 2)
    out["median_ms"] = medians
    out["machine"]["load_average_at_end"] = os.getloadavg()
    console.log(f"medians: {medians}")
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
