"""Does reading an account cost the same in a small ledger and a large one?

    .venv/bin/python -m bench.history_scale --entries 1000000

Builds two coins in one throwaway database: a small one (``--small`` entries)
and a large one (``--entries``), each with one resident wallet that has the
same ``--own`` postings of its own among everyone else's. Then, for each coin,
it times (median of ``--repeat`` runs, warm cache):

- balance: the wallet's current balance;
- first_page / deep_page: a 20-line history page, newest first, and the page
  after ``--own // 2`` lines (by cursor);
- balance_as_of_recent / balance_as_of_old: the balance just before an instant
  near the end and near the start of the wallet's history.

and prints each figure with its large/small ratio (1.0 means flat). The bulk
entries are inserted by SQL in batches and go through the same triggers as
every posting. A benchmark, not a test: it reports, never asserts.
"""

import argparse
import json
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from rich.progress import Progress
from sqlalchemy import Connection, Engine, text

from bench.scratch_postgres import (
    console,
    fresh_databases,
    postgres_server,
    server_version,
    url_for_database,
)
from kit.database import make_engine, sqlalchemy_url
from ledger.accounts import AccountClass, get_balance, open_account
from ledger.chart import Standard, open_chart
from ledger.coins import create_coin
from ledger.entries import EntryRequest, credit, debit, post_batch
from ledger.history import account_history, balance_as_of
from ledger.unit_of_work import run_in_transaction
from localcoin.migrate import upgrade_to_head

T0 = datetime(2026, 4, 1, tzinfo=UTC)
BULK_ACCOUNTS = 2_000
BULK_BATCH = 50_000
PAGE = 20


def build_coin(engine: Engine, *, code: str, entries: int, own: int) -> dict[str, int]:
    """A coin with ``entries`` bulk entries among others and ``own`` for the wallet."""

    def accounts(conn: Connection) -> dict[str, int]:
        coin = create_coin(conn, code=code, name=code, issuer_name="bench", at=T0)
        chart = open_chart(conn, coin_id=coin.id, at=T0)
        wallet = open_account(
            conn,
            coin_id=coin.id,
            code="wallet:resident:1",
            account_class=AccountClass.LIABILITY,
            tracks_lots=True,
            at=T0,
        )
        first = None
        for i in range(BULK_ACCOUNTS):
            account = open_account(
                conn,
                coin_id=coin.id,
                code=f"asset:bulk:{i}",
                account_class=AccountClass.ASSET,
                allow_negative=True,
                at=T0,
            )
            first = first or account.id
        assert first is not None
        return {
            "coin": coin.id,
            "wallet": wallet.id,
            "reserve": chart[Standard.RESERVE_BANK].id,
            "bulk_first": first,
        }

    ids = run_in_transaction(engine, accounts)
    span_s = 180 * 24 * 3600  # half a year of activity
    with Progress(console=console) as progress:
        task = progress.add_task(f"{code}: {entries:,} entries", total=entries + own)
        done = 0
        while done < entries:
            n = min(BULK_BATCH, entries - done)
            run_in_transaction(
                engine,
                partial(_bulk, ids=ids, start=done, n=n, total=entries, span_s=span_s),
            )
            done += n
            progress.advance(task, n)
        for start in range(0, own, 500):
            requests = [
                EntryRequest(
                    "topup.counter", [debit(ids["reserve"], 100), credit(ids["wallet"], 100)]
                )
                for _ in range(min(500, own - start))
            ]
            # The wallet's own entries are spread over the same half year.
            at = T0 + timedelta(seconds=span_s * start // max(own, 1))
            run_in_transaction(
                engine,
                partial(post_batch, coin_id=ids["coin"], requests=requests, posted_at=at),
            )
            progress.advance(task, len(requests))
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return ids


def _bulk(
    conn: Connection, ids: dict[str, int], start: int, n: int, total: int, span_s: int
) -> None:
    conn.execute(
        text(
            "WITH e AS ("
            " INSERT INTO entries (coin_id, kind, posted_at)"
            " SELECT :coin, 'bulk',"
            "        :t0 + make_interval(secs => (:start + g)::bigint * :span / :total)"
            " FROM generate_series(1, :n) g RETURNING id, posted_at)"
            " INSERT INTO postings (coin_id, entry_id, idx, account_id, amount, posted_at)"
            " SELECT :coin, e.id, s.idx, :first + ((e.id * 7 + s.idx) % :accounts),"
            "        CASE s.idx WHEN 0 THEN 10 ELSE -10 END, e.posted_at"
            " FROM e CROSS JOIN (VALUES (0::smallint), (1::smallint)) s(idx)"
            " ORDER BY e.id, 4"
        ),
        {
            "coin": ids["coin"],
            "t0": T0,
            "start": start,
            "span": span_s,
            "total": total,
            "n": n,
            "first": ids["bulk_first"],
            "accounts": BULK_ACCOUNTS,
        },
    )


def median_ms(engine: Engine, repeat: int, work: Callable[[Connection], Any]) -> float:
    timings = []
    with engine.connect() as conn:
        for _ in range(repeat):
            started = time.perf_counter()
            work(conn)
            timings.append((time.perf_counter() - started) * 1000)
            conn.rollback()
    return round(statistics.median(timings), 3)


def measure(engine: Engine, ids: dict[str, int], *, own: int, repeat: int) -> dict[str, float]:
    coin, wallet = ids["coin"], ids["wallet"]
    with engine.connect() as conn:
        history = account_history(conn, coin_id=coin, account_id=wallet, limit=200)
        cursor = history.lines[-1].cursor
        for _ in range(max(0, own // 2 // 200 - 1)):
            page = account_history(
                conn, coin_id=coin, account_id=wallet, limit=200, starting_after=cursor
            )
            cursor = page.lines[-1].cursor
    recent = T0 + timedelta(days=179)
    old = T0 + timedelta(days=1)
    return {
        "balance": median_ms(
            engine, repeat, lambda c: get_balance(c, coin_id=coin, account_id=wallet)
        ),
        "first_page": median_ms(
            engine,
            repeat,
            lambda c: account_history(c, coin_id=coin, account_id=wallet, limit=PAGE),
        ),
        "deep_page": median_ms(
            engine,
            repeat,
            lambda c: account_history(
                c, coin_id=coin, account_id=wallet, limit=PAGE, starting_after=cursor
            ),
        ),
        "balance_as_of_recent": median_ms(
            engine, repeat, lambda c: balance_as_of(c, coin_id=coin, account_id=wallet, at=recent)
        ),
        "balance_as_of_old": median_ms(
            engine, repeat, lambda c: balance_as_of(c, coin_id=coin, account_id=wallet, at=old)
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--entries", type=int, default=1_000_000, help="bulk entries in the large coin"
    )
    parser.add_argument("--small", type=int, default=10, help="bulk entries in the small coin")
    parser.add_argument("--own", type=int, default=2_000, help="the wallet's own entries")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    database = f"bench_history_{secrets.token_hex(4)}"
    with postgres_server() as (server, _), fresh_databases(server, database):
        url = sqlalchemy_url(url_for_database(server, database))
        upgrade_to_head(url)
        engine = make_engine(url, pool_size=2)
        small = build_coin(engine, code="SMALL", entries=args.small, own=args.own)
        large = build_coin(engine, code="LARGE", entries=args.entries, own=args.own)
        small_ms = measure(engine, small, own=args.own, repeat=args.repeat)
        large_ms = measure(engine, large, own=args.own, repeat=args.repeat)
        version = server_version(server)
        engine.dispose()
    figures = {
        name: {
            "small_ms": small_ms[name],
            "large_ms": large_ms[name],
            "ratio": round(large_ms[name] / small_ms[name], 2) if small_ms[name] else None,
        }
        for name in small_ms
    }
    json.dump(
        {
            "benchmark": "history_scale",
            "entries_small": args.small,
            "entries_large": args.entries,
            "wallet_entries": args.own,
            "repeat": args.repeat,
            "postgres": version,
            "median_ms": figures,
        },
        sys.stdout,
        indent=2,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
