"""The ledger against pgbench's tpcb-like workload, on the same PostgreSQL in the same run.

    .venv/bin/python -m bench.ledger_vs_pgbench --clients 8 --seconds 15

Starts a throwaway embedded PostgreSQL (pgserver, in a temporary directory
deleted afterwards) unless DATABASE_URL is set, in which case it creates two
fresh databases on that server and drops them at the end. Then, with the same
number of clients throughout:

1. pgbench: ``pgbench -i -s SCALE`` then ``pgbench -M prepared -c N -j 2 -T S``
   (the built-in tpcb-like bank transfer); its tps is the reference.
2. one_per_commit: N client processes each post one two-account transfer
   (wallet to wallet, random pair) per transaction with ``post_entry_now``:
   the posting statement is the transaction, one round trip.
3. one_per_commit_unit_of_work: the same inside ``run_in_transaction``
   (BEGIN, the call, COMMIT: three round trips), as a request that writes more
   than the entry does.
4. batched: ``--batch`` transfers per transaction with ``post_batch_now``.
5. hot: every transfer pays one merchant wallet opened with
   ``balance_slots=16``; and hot_single_slot, the same with one balance row,
   for comparison.

Each client is its own process with its own connection (in one process the GIL
would be the bottleneck). Rates count committed transfers per second. After
the load the coin is sealed and verified: the books must be intact.

Progress goes to stderr; one JSON object goes to stdout. No timed assertions:
the targets are reported, never enforced.
"""

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import secrets
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import structlog
from sqlalchemy import Connection, Engine

from bench.machine import machine_facts
from bench.scratch_postgres import (
    console,
    fresh_databases,
    libpq_params,
    postgres_server,
    server_version,
    url_for_database,
)
from kit.database import make_engine, sqlalchemy_url
from ledger.accounts import AccountClass, open_account
from ledger.chain import seal
from ledger.chart import Standard, open_chart
from ledger.coins import create_coin
from ledger.entries import (
    EntryRequest,
    credit,
    debit,
    post_batch,
    post_batch_now,
    post_entry,
    post_entry_now,
    transfer,
)
from ledger.errors import LedgerError
from ledger.unit_of_work import run_in_transaction
from ledger.verify import verify_coin
from localcoin.embedded_postgres import pg_bin_dir
from localcoin.migrate import upgrade_to_head


def quiet_stdout() -> None:
    """stdout carries the one JSON object: warnings and logs go to stderr."""
    warnings.filterwarnings("ignore")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))


WALLET_FUNDING = 10_000_000
TRANSFER_AMOUNT_MAX = 100
FUND_BATCH = 500

WORKLOADS = (
    "pgbench",
    "one_per_commit",
    "one_per_commit_unit_of_work",
    "batched",
    "hot",
    "hot_single_slot",
)

# The targets on the 2-core reference machine.
TARGET_ONE_PER_COMMIT = 0.5  # x pgbench tps
TARGET_BATCHED = 2.0  # x pgbench tps
TARGET_HOT = 0.5  # x one_per_commit


@dataclass(frozen=True, slots=True)
class Setup:
    url: str
    coin_id: int
    wallet_ids: list[int]
    hot_merchant_id: int
    single_slot_merchant_id: int
    reserve_id: int


@dataclass(frozen=True, slots=True)
class WorkerPlan:
    """What one client process does: ``mode`` is one_per_commit, batched or hot."""

    mode: str
    url: str
    coin_id: int
    wallet_ids: list[int]
    merchant_id: int | None
    batch: int
    seconds: float
    seed: int
    unit_of_work: bool


@dataclass(frozen=True, slots=True)
class WorkerResult:
    transfers: int
    commits: int
    refusals: int
    elapsed: float
    cpu: float


# --- the server ---------------------------------------------------------------------


class ServerCpu:
    """CPU seconds spent by a local PostgreSQL: the postmaster, its live children
    and the children it has reaped (the backends of finished clients)."""

    def __init__(self, postmaster_pid: int | None) -> None:
        self.pid = postmaster_pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def _times(self, pid: int) -> list[int]:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return [int(f) for f in fields[11:15]]  # utime stime cutime cstime

    def seconds(self) -> float | None:
        if self.pid is None or not Path(f"/proc/{self.pid}").exists():
            return None
        total = sum(self._times(self.pid))
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        for child in children:
            with suppress(FileNotFoundError, ProcessLookupError):
                total += sum(self._times(int(child))[:2])
        return total / self.tick


def per_unit_us(before: float | None, after: float | None, units: int) -> float | None:
    if before is None or after is None or units == 0:
        return None
    return round((after - before) / units * 1e6, 1)


# --- pgbench ------------------------------------------------------------------------


def pgbench_env(url: str) -> tuple[list[str], dict[str, str]]:
    params = libpq_params(url)
    env = dict(os.environ)
    for key, var in (
        ("host", "PGHOST"),
        ("port", "PGPORT"),
        ("user", "PGUSER"),
        ("password", "PGPASSWORD"),
        ("dbname", "PGDATABASE"),
    ):
        if key in params:
            env[var] = params[key]
    return [str(pg_bin_dir() / "pgbench")], env


def init_pgbench(url: str, *, scale: int) -> None:
    command, env = pgbench_env(url)
    subprocess.run(
        [*command, "-i", "-q", "-s", str(scale)], env=env, check=True, capture_output=True
    )


@dataclass(frozen=True, slots=True)
class PgbenchRun:
    """What one timed pgbench run did, and the server's CPU seconds around it."""

    tps: float
    transactions: int
    failed: int
    cpu_before: float | None
    cpu_after: float | None

    def server_us_per(self, units: int) -> float | None:
        return per_unit_us(self.cpu_before, self.cpu_after, units)


def timed_pgbench(
    url: str, options: list[str], *, clients: int, seconds: int, cpu: ServerCpu
) -> PgbenchRun:
    """Runs ``pgbench -M prepared`` with ``options`` for ``seconds``. Raises if
    pgbench fails or prints no count."""
    command, env = pgbench_env(url)
    before = cpu.seconds()
    done = subprocess.run(
        [
            *command,
            *options,
            "-M",
            "prepared",
            "-c",
            str(clients),
            "-j",
            str(min(2, clients)),
            "-T",
            str(seconds),
        ],
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    time.sleep(0.2)  # let the postmaster reap the backends
    after = cpu.seconds()
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if tps is None:
        tps = re.search(r"tps = ([0-9.]+)", done.stdout)
    processed = re.search(r"actually processed: (\d+)", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    if tps is None or processed is None:
        raise RuntimeError(f"no tps in pgbench's output:\n{done.stdout}")
    return PgbenchRun(
        tps=float(tps.group(1)),
        transactions=int(processed.group(1)),
        failed=int(failed.group(1)) if failed else 0,
        cpu_before=before,
        cpu_after=after,
    )


def run_pgbench(
    url: str, *, clients: int, seconds: int, cpu: ServerCpu
) -> tuple[float, float | None]:
    """pgbench's tps and the server's CPU microseconds per transaction."""
    run = timed_pgbench(url, [], clients=clients, seconds=seconds, cpu=cpu)
    return run.tps, run.server_us_per(run.transactions)


# --- the ledger ---------------------------------------------------------------------


def ledger_engine(url: str, pool_size: int = 1) -> Engine:
    """The application's engine (make_engine)."""
    return make_engine(sqlalchemy_url(url), pool_size=pool_size)


def set_up_ledger(url: str, *, wallets: int) -> Setup:
    sa_url = ledger_engine(url).url.render_as_string(hide_password=False)
    upgrade_to_head(sa_url)
    engine = ledger_engine(url)
    now = datetime.now(UTC)

    def open_books(conn: Connection) -> Setup:
        coin = create_coin(conn, code="BENCH", name="bench coin", issuer_name="bench", at=now)
        chart = open_chart(conn, coin_id=coin.id, at=now)
        ids = [
            open_account(
                conn,
                coin_id=coin.id,
                code=f"wallet:resident:{n}",
                account_class=AccountClass.LIABILITY,
                tracks_lots=False,
                at=now,
            ).id
            for n in range(wallets)
        ]
        hot = open_account(
            conn,
            coin_id=coin.id,
            code="wallet:merchant:hot",
            account_class=AccountClass.LIABILITY,
            balance_slots=16,
            at=now,
        )
        single = open_account(
            conn,
            coin_id=coin.id,
            code="wallet:merchant:single",
            account_class=AccountClass.LIABILITY,
            balance_slots=1,
            at=now,
        )
        return Setup(url, coin.id, ids, hot.id, single.id, chart[Standard.RESERVE_BANK].id)

    setup = run_in_transaction(engine, open_books)
    for start in range(0, wallets, FUND_BATCH):
        chunk = setup.wallet_ids[start : start + FUND_BATCH]
        requests = [
            EntryRequest(
                "topup.bench",
                [debit(setup.reserve_id, WALLET_FUNDING), credit(wallet, WALLET_FUNDING)],
            )
            for wallet in chunk
        ]
        run_in_transaction(
            engine,
            partial(post_batch, coin_id=setup.coin_id, requests=requests, posted_at=now),
        )
    engine.dispose()
    with psycopg.connect(url, autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE")
    return setup


def worker(plan: WorkerPlan, barrier: Any, results: Any) -> None:
    """One client: connects, waits for the others, then posts for ``plan.seconds``."""
    quiet_stdout()
    rng = random.Random(plan.seed)
    engine = ledger_engine(plan.url)
    with engine.connect() as conn:  # the connection is made before the clock starts
        conn.exec_driver_sql("SELECT 1")
    coin_id = plan.coin_id
    wallets = plan.wallet_ids
    posted_at = datetime.now(UTC)

    def one_transfer() -> EntryRequest:
        amount = rng.randint(1, TRANSFER_AMOUNT_MAX)
        if plan.merchant_id is not None:
            payer = rng.choice(wallets)
            return EntryRequest(
                "payment", transfer(from_account=payer, to_account=plan.merchant_id, amount=amount)
            )
        payer, payee = rng.sample(wallets, 2)
        return EntryRequest("p2p", transfer(from_account=payer, to_account=payee, amount=amount))

    commit_one: Callable[[], object]
    per_commit = 1
    if plan.mode == "batched":
        per_commit = plan.batch

        def commit_one() -> object:
            requests = [one_transfer() for _ in range(per_commit)]
            return post_batch_now(engine, coin_id=coin_id, requests=requests, posted_at=posted_at)
    elif plan.unit_of_work:
        # BEGIN, the posting call and COMMIT: three round trips, as a request
        # that writes more than the entry (an outbox row, a stored response) does.
        def commit_one() -> object:
            request = one_transfer()
            return run_in_transaction(
                engine,
                lambda conn: post_entry(
                    conn, coin_id=coin_id, request=request, posted_at=posted_at
                ),
            )
    else:

        def commit_one() -> object:
            return post_entry_now(
                engine, coin_id=coin_id, request=one_transfer(), posted_at=posted_at
            )

    transfers = commits = refusals = 0
    barrier.wait()
    cpu_started = time.process_time()
    started = time.monotonic()
    deadline = started + plan.seconds
    while time.monotonic() < deadline:
        try:
            commit_one()
        except LedgerError:
            refusals += 1
            continue
        transfers += per_commit
        commits += 1
    elapsed = time.monotonic() - started
    cpu = time.process_time() - cpu_started
    engine.dispose()
    results.put(WorkerResult(transfers, commits, refusals, elapsed, cpu))


def run_ledger(
    setup: Setup,
    *,
    mode: str,
    clients: int,
    seconds: int,
    batch: int,
    cpu: ServerCpu,
    merchant_id: int | None = None,
    unit_of_work: bool = False,
) -> dict[str, float | int | None]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(clients + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=worker,
            args=(
                WorkerPlan(
                    mode,
                    setup.url,
                    setup.coin_id,
                    setup.wallet_ids,
                    merchant_id,
                    batch,
                    seconds,
                    secrets.randbits(32),
                    unit_of_work,
                ),
                barrier,
                results,
            ),
        )
        for _ in range(clients)
    ]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=120)
    before = cpu.seconds()
    done = [results.get(timeout=seconds + 300) for _ in procs]
    after = cpu.seconds()  # the clients' connections are still open: their backends count
    for proc in procs:
        proc.join()
    transfers = sum(r.transfers for r in done)
    rate = sum(r.transfers / r.elapsed for r in done)
    return {
        "transfers_per_s": round(rate, 1),
        "commits_per_s": round(sum(r.commits / r.elapsed for r in done), 1),
        "transfers": transfers,
        "refusals": sum(r.refusals for r in done),
        "client_cpu_us_per_transfer": per_unit_us(0, sum(r.cpu for r in done), transfers),
        "server_cpu_us_per_transfer": per_unit_us(before, after, transfers),
    }


def verify_books(setup: Setup) -> dict[str, Any]:
    engine = ledger_engine(setup.url)
    now = datetime.now(UTC)
    sealed = 0
    while True:
        linked = run_in_transaction(engine, lambda c: seal(c, coin_id=setup.coin_id, at=now))
        sealed += linked
        if linked == 0:
            break
    snapshot = engine.execution_options(isolation_level="REPEATABLE READ")
    report = run_in_transaction(snapshot, lambda c: verify_coin(c, coin_id=setup.coin_id))
    engine.dispose()
    failed = {n: c["failures"] for n, c in report.as_dict()["checks"].items() if c["failures"]}
    return {
        "ok": report.ok,
        "entries": report.entries,
        "postings": report.postings,
        "sealed_now": sealed,
        "failed_checks": failed,
    }


# --- main ---------------------------------------------------------------------------


def median_sample(samples: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The round whose ``key`` is the median (the lower one of an even count)."""
    ordered = sorted(samples, key=lambda x: x[key])
    return dict(ordered[(len(ordered) - 1) // 2])


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--scale", type=int, default=10, help="pgbench -s")
    parser.add_argument(
        "--wallets", type=int, default=10_000, help="funded resident wallets (a city-scale coin)"
    )
    parser.add_argument("--batch", type=int, default=100, help="transfers per commit, batched")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every workload this many times, interleaved; report the medians",
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        choices=list(WORKLOADS),
        help="run only these workloads (default: all)",
    )
    args = parser.parse_args(argv)
    quiet_stdout()
    wanted = set(args.only or WORKLOADS)
    tag = secrets.token_hex(4)
    ledger_db, pgbench_db = f"bench_ledger_{tag}", f"bench_pgbench_{tag}"
    out: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "clients": args.clients,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "machine": machine_facts(),
    }
    with postgres_server() as (url, postmaster), fresh_databases(url, ledger_db, pgbench_db):
        cpu = ServerCpu(postmaster)
        out["postgres_version"] = server_version(url)
        console.log(
            f"PostgreSQL {out['postgres_version']}, {args.clients} clients, "
            f"{args.seconds} s per workload"
        )
        pgbench_url = url_for_database(url, pgbench_db)
        if "pgbench" in wanted:
            with console.status(f"pgbench -i -s {args.scale}"):
                init_pgbench(pgbench_url, scale=args.scale)
        with console.status(f"migrating and opening {args.wallets} funded wallets"):
            setup = set_up_ledger(url_for_database(url, ledger_db), wallets=args.wallets)
        workloads = [
            ("one_per_commit", "one_per_commit", None, False),
            ("one_per_commit_unit_of_work", "one_per_commit", None, True),
            ("batched", "batched", None, False),
            ("hot", "hot", setup.hot_merchant_id, False),
            ("hot_single_slot", "hot", setup.single_slot_merchant_id, False),
        ]
        samples: dict[str, list[dict[str, Any]]] = {}
        # Rounds interleave the workloads, so that a burst of load from elsewhere on
        # a shared machine hits all of them; each figure is the median of its rounds.
        for round_no in range(1, args.rounds + 1):
            if "pgbench" in wanted:
                with console.status(f"round {round_no}: pgbench tpcb-like"):
                    tps, server_us = run_pgbench(
                        pgbench_url, clients=args.clients, seconds=args.seconds, cpu=cpu
                    )
                console.log(f"round {round_no}: pgbench tpcb-like {tps:.0f} tps")
                samples.setdefault("pgbench", []).append(
                    {"tps": round(tps, 1), "server_cpu_us_per_transaction": server_us}
                )
            for name, mode, merchant, unit_of_work in workloads:
                if name not in wanted:
                    continue
                with console.status(f"round {round_no}: ledger {name}"):
                    figures = run_ledger(
                        setup,
                        mode=mode,
                        clients=args.clients,
                        seconds=args.seconds,
                        batch=args.batch,
                        cpu=cpu,
                        merchant_id=merchant,
                        unit_of_work=unit_of_work,
                    )
                samples.setdefault(name, []).append(figures)
                console.log(
                    f"round {round_no}: ledger {name} {figures['transfers_per_s']:.0f} "
                    f"transfers/s ({figures['commits_per_s']:.0f} commits/s, "
                    f"{figures['refusals']} refused; CPU us/transfer: client "
                    f"{figures['client_cpu_us_per_transfer']}, server "
                    f"{figures['server_cpu_us_per_transfer']})"
                )
        pgbench_tps = None
        if "pgbench" in samples:
            chosen = median_sample(samples["pgbench"], "tps")
            pgbench_tps = chosen["tps"]
            out["pgbench"] = {
                **chosen,
                "scale": args.scale,
                "mode": "prepared",
                "threads": min(2, args.clients),
                "rounds": [x["tps"] for x in samples["pgbench"]],
            }
            out["pgbench_tps"] = pgbench_tps
        for name, _, _, _ in workloads:
            if name not in samples:
                continue
            chosen_round: dict[str, Any] = {
                **median_sample(samples[name], "transfers_per_s"),
                "rounds": [x["transfers_per_s"] for x in samples[name]],
            }
            if name == "batched":
                chosen_round["batch"] = args.batch
            if name.startswith("hot"):
                chosen_round["balance_slots"] = 16 if name == "hot" else 1
            out[name] = chosen_round
            out[f"{name}_per_s"] = chosen_round["transfers_per_s"]
        with console.status("sealing and verifying the books"):
            out["verify"] = verify_books(setup)
        console.log(f"books verified: ok={out['verify']['ok']}")
    ratios: dict[str, float | None] = {}
    one = out.get("one_per_commit_per_s")
    if pgbench_tps:
        for name in WORKLOADS[1:]:
            if f"{name}_per_s" in out:
                ratios[f"{name}_vs_pgbench"] = ratio(out[f"{name}_per_s"], pgbench_tps)
    if one:
        for name in ("hot", "hot_single_slot"):
            if f"{name}_per_s" in out:
                ratios[f"{name}_vs_one_per_commit"] = ratio(out[f"{name}_per_s"], one)
    out["ratios"] = ratios
    out["targets"] = {
        "one_per_commit_vs_pgbench": {
            "target": TARGET_ONE_PER_COMMIT,
            "actual": ratios.get("one_per_commit_vs_pgbench"),
        },
        "batched_vs_pgbench": {
            "target": TARGET_BATCHED,
            "actual": ratios.get("batched_vs_pgbench"),
        },
        "hot_vs_one_per_commit": {
            "target": TARGET_HOT,
            "actual": ratios.get("hot_vs_one_per_commit"),
        },
    }
    for target in out["targets"].values():
        target["met"] = None if target["actual"] is None else target["actual"] >= target["target"]
    out["ok"] = out["verify"]["ok"]
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
