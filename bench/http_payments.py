"""QR payments through the HTTP API under many clients, against pgbench on the same PostgreSQL.

    .venv/bin/python -m bench.http_payments --workers 2 --clients 32 --seconds 15

"A payment" is a resident paying a shop's static QR sticker: one
``POST /v1/wallet/payments`` (the QR payload and the amount, the resident's
access token, an ``Idempotency-Key``), answered 201 once the entry is
committed. It is the common flow of the schemes in use (the resident scans
the shop's sticker); the till-scans-phone flow takes two requests.

Starts a throwaway embedded PostgreSQL (unless DATABASE_URL is set: then two
fresh databases there, dropped at the end), then in one run:

1. pgbench: ``pgbench -i -s SCALE`` and ``pgbench -M prepared -c C -j 2 -T S``
   (tpcb-like) in its own database: the reference tps;
2. the API: ``localcoin serve --workers W`` as a subprocess (bench/api_server.py)
   on a migrated database with a coin, ``--merchants`` shops and
   ``--residents`` funded residents (bench/api_town.py);
3. bare_framework: the same requests, clients and server stack against
   bench/bare_app.py, a route of the payment's shape with no work behind it:
   the most a Python route answers on this machine (the framework's ceiling);
4. many_merchants: ``--clients`` concurrent HTTP clients (bench/http_wire.py in
   ``--client-processes`` processes, bench/http_load.py), closed loop, each
   payment from a random resident to a random shop: the sustained rate and
   its latency percentiles;
5. half_load: the same, open loop at half that rate: the latency a customer
   sees at a till when the system is half busy (target p99 < 50 ms);
6. hot_merchant: closed loop, every payment to one shop (a festival stall);
7. database_floor: the payment's own statements run by pgbench against the
   same town, no API in front (bench/payment_floor.py): one payment per
   transaction with pgbench's clients and with the API's, then
   ``--floor-batch`` payments per transaction: the most any API could
   answer here, and whether sharing a commit between payments helps.

CPU seconds of the clients, the API processes and PostgreSQL are read for
each phase, so the client's share of the machine is stated. After the API phases
the books are sealed and verified, and every acknowledged payment (201) must
be a charge in the database: no more, no fewer; after the floor, the books
are verified again and its charges must be exactly the payments pgbench
committed.

Progress on stderr; one JSON object on stdout. Targets are reported, never
enforced.
"""

import argparse
import json
import os
import random
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, text

from bench.api_server import ProcessTreeCpu, api_server, bare_server
from bench.api_town import BenchTown, build_town
from bench.http_load import Outcome, Request, percentiles, run_load, split_plans
from bench.ledger_vs_pgbench import ServerCpu, init_pgbench, quiet_stdout, run_pgbench
from bench.machine import report_head
from bench.payment_floor import FloorRun, prepare_floor_tables, run_floor
from bench.scratch_postgres import (
    console,
    fresh_databases,
    migrated_engine,
    postgres_server,
    server_version,
    url_for_database,
)
from ledger.chain import seal
from ledger.unit_of_work import run_in_transaction
from ledger.verify import verify_coin

AMOUNT_MAX = 100
FUNDING = 100_000  # the basic wallet's cap
WARM_UP_S = 3.0

# The targets on the 2-core reference machine.
TARGET_VS_PGBENCH = 0.5
TARGET_HALF_LOAD_P99_MS = 50.0
TARGET_HOT_VS_MANY = 0.5


def static_qr_payment(rng: random.Random, n: int, data: Any) -> Request:
    """One resident (of this process's share) pays one shop's sticker (of ``shared``)."""
    authorizations, stickers = data
    return (
        "/v1/wallet/payments",
        {"qr_payload": rng.choice(stickers), "amount": rng.randint(1, AMOUNT_MAX)},
        {"Authorization": rng.choice(authorizations), "Idempotency-Key": secrets.token_hex(16)},
    )


class Machine:
    """CPU seconds of the API server and PostgreSQL, to split a phase's CPU by side."""

    def __init__(self, api_pid: int, postmaster: int | None) -> None:
        self.api = ProcessTreeCpu(api_pid)
        self.postgres = ServerCpu(postmaster)

    def read(self) -> tuple[float | None, float | None]:
        return self.api.seconds(), self.postgres.seconds()


def phase(
    name: str,
    town: BenchTown,
    base_url: str,
    machine: Machine,
    args: argparse.Namespace,
    *,
    stickers: list[str],
    rate: float | None = None,
    seconds: float | None = None,
) -> tuple[dict[str, Any], Outcome]:
    plans = split_plans(
        base_url,
        static_qr_payment,
        [buyer.authorization for buyer in town.residents],
        processes=args.client_processes,
        concurrency=args.clients,
        seconds=seconds if seconds is not None else args.seconds,
        rate=rate,
        shared=stickers,
    )
    api_before, pg_before = machine.read()
    with console.status(f"{name}: {args.clients} clients"):
        outcome = run_load(plans)
    api_after, pg_after = machine.read()
    paid = outcome.answers.get("201", 0)
    figures: dict[str, Any] = {
        "payments_per_s": round(paid / outcome.elapsed_s, 1),
        "payments": paid,
        "answers": dict(outcome.answers),
        **percentiles(outcome.latencies_ms),
        "cpu_s": cpu_split(outcome.cpu_s, api_before, api_after, pg_before, pg_after),
    }
    if rate is not None:
        figures["offered_rate_per_s"] = round(rate, 1)
    console.log(
        f"{name}: {figures['payments_per_s']:.0f} payments/s, p50 {figures['p50_ms']} ms,"
        f" p99 {figures['p99_ms']} ms, answers {figures['answers']},"
        f" CPU {figures['cpu_s']}"
    )
    return figures, outcome


def cpu_split(
    client: float,
    api_before: float | None,
    api_after: float | None,
    pg_before: float | None,
    pg_after: float | None,
) -> dict[str, float | None]:
    api = None if api_before is None or api_after is None else api_after - api_before
    pg = None if pg_before is None or pg_after is None else pg_after - pg_before
    split: dict[str, float | None] = {
        "client": round(client, 1),
        "api": None if api is None else round(api, 1),
        "postgres": None if pg is None else round(pg, 1),
    }
    if api is not None and pg is not None:
        split["client_share"] = round(client / (client + api + pg), 3)
    return split


def check_books(engine: Engine, town: BenchTown, acknowledged: int) -> dict[str, Any]:
    with engine.connect() as conn:
        # Tables read by sequential scan during the run (before the checks read
        # everything): where an index is missing.
        scans = conn.execute(
            text(
                "SELECT relname, seq_scan, seq_tup_read FROM pg_stat_user_tables"
                " WHERE seq_tup_read > 10000 ORDER BY seq_tup_read DESC LIMIT 5"
            )
        ).all()
    now = datetime.now(UTC)
    sealed = 0
    while linked := run_in_transaction(engine, lambda c: seal(c, coin_id=town.coin_id, at=now)):
        sealed += linked
    snapshot = engine.execution_options(isolation_level="REPEATABLE READ")
    report = run_in_transaction(snapshot, lambda c: verify_coin(c, coin_id=town.coin_id))
    with engine.connect() as conn:
        charges = _charges(conn, town)
    return {
        "seq_scans": {name: {"scans": n, "rows_read": rows} for name, n, rows in scans},
        "ok": report.ok and charges == acknowledged,
        "verify_ok": report.ok,
        "entries": report.entries,
        "sealed_now": sealed,
        "acknowledged_payments": acknowledged,
        "charges_in_db": charges,
    }


def floor_phases(
    url: str, engine: Engine, town: BenchTown, postmaster: int | None, args: argparse.Namespace
) -> dict[str, Any]:
    """The payment's SQL by pgbench, no API: one per transaction with pgbench's
    clients and with the API's, then ``--floor-batch`` per transaction."""
    with engine.begin() as conn:
        charges_before = _charges(conn, town)
        tables = prepare_floor_tables(conn, coin_id=town.coin_id)
    plans = [(1, args.pgbench_clients), (1, args.clients), (args.floor_batch, args.pgbench_clients)]
    runs: list[FloorRun] = []
    for per_commit, clients in plans:
        with console.status(f"database floor: {per_commit} per commit, {clients} clients"):
            run = run_floor(
                url,
                tables=tables,
                coin_id=town.coin_id,
                coin_code=town.coin.code,
                per_commit=per_commit,
                clients=clients,
                seconds=int(args.seconds),
                cpu=ServerCpu(postmaster),
            )
        console.log(
            f"database floor, {per_commit} per commit, {clients} clients:"
            f" {run.payments_per_s:.0f} payments/s,"
            f" PostgreSQL {run.postgres_cpu_us_per_payment} µs CPU each"
        )
        runs.append(run)
    snapshot = engine.execution_options(isolation_level="REPEATABLE READ")
    report = run_in_transaction(snapshot, lambda c: verify_coin(c, coin_id=town.coin_id))
    with engine.connect() as conn:
        charges = _charges(conn, town) - charges_before
    committed = sum(run.payments for run in runs)
    return {
        "runs": [
            {
                "per_commit": run.per_commit,
                "clients": run.clients,
                "payments_per_s": round(run.payments_per_s, 1),
                "payments": run.payments,
                "postgres_cpu_us_per_payment": run.postgres_cpu_us_per_payment,
            }
            for run in runs
        ],
        "best_one_per_commit_per_s": round(
            max(run.payments_per_s for run in runs if run.per_commit == 1), 1
        ),
        "books": {
            "ok": report.ok and charges == committed,
            "verify_ok": report.ok,
            "committed_payments": committed,
            "charges_in_db": charges,
        },
    }


def _charges(conn: Connection, town: BenchTown) -> int:
    count: int = conn.execute(
        text("SELECT count(*) FROM charges WHERE coin_id = :coin AND source = 'static_qr'"),
        {"coin": town.coin_id},
    ).scalar_one()
    return count


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="API server processes")
    parser.add_argument("--pool-size", type=int, default=10, help="connections per API process")
    parser.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15.0, help="per phase")
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--residents", type=int, default=2_000)
    parser.add_argument("--scale", type=int, default=10, help="pgbench -s")
    parser.add_argument("--pgbench-clients", type=int, default=8)
    parser.add_argument(
        "--floor-batch", type=int, default=10, help="payments per transaction, last floor run"
    )
    args = parser.parse_args(argv)
    quiet_stdout()
    tag = secrets.token_hex(4)
    app_db, pgbench_db = f"bench_http_{tag}", f"bench_pgbench_{tag}"
    out: dict[str, Any] = report_head("http_payments", args)
    out["payment"] = "POST /v1/wallet/payments (static QR), one request per payment"
    with postgres_server() as (url, postmaster), fresh_databases(url, app_db, pgbench_db):
        out["postgres_version"] = server_version(url)
        pgbench_url = url_for_database(url, pgbench_db)
        with console.status(f"pgbench -i -s {args.scale}"):
            init_pgbench(pgbench_url, scale=args.scale)
        with console.status("pgbench tpcb-like"):
            tps, _ = run_pgbench(
                pgbench_url,
                clients=args.pgbench_clients,
                seconds=int(args.seconds),
                cpu=ServerCpu(postmaster),
            )
        console.log(f"pgbench tpcb-like: {tps:.0f} tps")
        out["pgbench_tps"] = round(tps, 1)
        database = url_for_database(url, app_db)
        with migrated_engine(database) as engine:
            with console.status(
                f"opening {args.merchants} shops and {args.residents} funded residents"
            ):
                town = build_town(
                    engine, merchants=args.merchants, residents=args.residents, funding=FUNDING
                )
            with psycopg.connect(database, autocommit=True) as raw:
                raw.execute("VACUUM ANALYZE")
            every_shop = [shop.static_qr for shop in town.shops]
            with bare_server(workers=args.workers) as bare:
                out["bare_framework"], _ = phase(
                    "bare_framework",
                    town,
                    bare.base_url,
                    Machine(bare.pid, postmaster),
                    args,
                    stickers=every_shop,
                )
            acknowledged = 0
            with api_server(database, workers=args.workers, pool_size=args.pool_size) as server:
                machine = Machine(server.pid, postmaster)
                _, warm = phase(
                    "warm-up",
                    town,
                    server.base_url,
                    machine,
                    args,
                    stickers=every_shop,
                    seconds=min(WARM_UP_S, args.seconds),
                )
                many, many_outcome = phase(
                    "many_merchants", town, server.base_url, machine, args, stickers=every_shop
                )
                half, half_outcome = phase(
                    "half_load",
                    town,
                    server.base_url,
                    machine,
                    args,
                    stickers=every_shop,
                    rate=many["payments_per_s"] / 2,
                )
                hot, hot_outcome = phase(
                    "hot_merchant",
                    town,
                    server.base_url,
                    machine,
                    args,
                    stickers=[town.shops[0].static_qr],
                )
                for outcome in (warm, many_outcome, half_outcome, hot_outcome):
                    acknowledged += outcome.answers.get("201", 0)
                out["api_worker_restarts"] = server.worker_restarts()
                out["api_errors"] = server.errors()
            time.sleep(0.5)
            with console.status("sealing and verifying the books"):
                out["books"] = check_books(engine, town, acknowledged)
            console.log(f"books: {out['books']}")
            out["database_floor"] = floor_phases(database, engine, town, postmaster, args)
            console.log(f"books after the floor: {out['database_floor']['books']}")
    out["many_merchants"] = many
    out["half_load"] = half
    out["hot_merchant"] = hot
    vs_pgbench = ratio(many["payments_per_s"], out["pgbench_tps"])
    hot_vs_many = ratio(hot["payments_per_s"], many["payments_per_s"])
    out["ratios"] = {
        "many_merchants_vs_pgbench": vs_pgbench,
        "hot_vs_many_merchants": hot_vs_many,
        "many_merchants_vs_bare_framework": ratio(
            many["payments_per_s"], out["bare_framework"]["payments_per_s"]
        ),
        "bare_framework_vs_pgbench": ratio(
            out["bare_framework"]["payments_per_s"], out["pgbench_tps"]
        ),
        "database_floor_vs_pgbench": ratio(
            out["database_floor"]["best_one_per_commit_per_s"], out["pgbench_tps"]
        ),
        "many_merchants_vs_database_floor": ratio(
            many["payments_per_s"], out["database_floor"]["best_one_per_commit_per_s"]
        ),
    }
    out["targets"] = {
        "many_merchants_vs_pgbench": {
            "target": TARGET_VS_PGBENCH,
            "actual": vs_pgbench,
            "met": vs_pgbench is not None and vs_pgbench >= TARGET_VS_PGBENCH,
        },
        "half_load_p99_ms": {
            "target": TARGET_HALF_LOAD_P99_MS,
            "actual": half["p99_ms"],
            "met": half["p99_ms"] is not None and half["p99_ms"] < TARGET_HALF_LOAD_P99_MS,
        },
        "hot_vs_many_merchants": {
            "target": TARGET_HOT_VS_MANY,
            "actual": hot_vs_many,
            "met": hot_vs_many is not None and hot_vs_many >= TARGET_HOT_VS_MANY,
        },
    }
    out["machine"]["load_average_at_end"] = os.getloadavg()
    out["ok"] = out["books"]["ok"] and out["database_floor"]["books"]["ok"]
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
