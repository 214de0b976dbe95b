"""The premium-sale rush: thousands of buyers at once while the shops keep taking payments.

    .venv/bin/python -m bench.premium_rush --buyers 3000 --units 3000 --seconds 30

Real launches failed here: a first-come sale suspended within half an hour,
another whose rush stopped the payments in shops. The rush may queue; the
tills may not. Through the real API server (bench/api_server.py, ``localcoin
serve --workers W``) on a throwaway PostgreSQL:

1. set-up: a coin with shops and funded residents (the tills' customers),
   ``--buyers`` more residents, and a campaign opened by the municipality
   over the API (10,000 yen buys 12,000 coin, ``--limit`` units per
   resident, ``--units`` on sale);
2. normal: ordinary static-QR payments (bench/http_payments.py's payment),
   open loop at ``--payment-rate`` per second for ``--seconds``: their p99;
3. rush: the same payments at the same rate, and at the same moment every
   buyer asks for ``--limit`` units and then one more (``POST
   /v1/premium_campaigns/{id}/purchases``), the requests shuffled so that a
   buyer's two may overlap, from ``--rush-clients`` concurrent clients;
   twice as many units are asked for as are on sale.

Reported: the rush's latency and how long it took to serve every buyer;
the payments' p99 during the rush against their normal p99 (target: at most
2x). Checked in the database afterwards: units sold never above the total,
the campaign's counter equal to the purchases', no resident above the limit,
every acknowledged purchase (201) present and no other, and the books verify.

Progress on stderr; one JSON object on stdout. Targets reported, never enforced.
"""

import argparse
import json
import os
import random
import secrets
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
from sqlalchemy import Engine, text

from bench.api_server import api_server
from bench.api_town import BenchTown, add_residents, build_town
from bench.http_load import Outcome, Request, percentiles, run_groups, split_plans
from bench.http_payments import FUNDING, check_books, static_qr_payment
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
from kit.credentials import Role

PRICE = 10_000
FACE_VALUE = 12_000
WARM_UP_S = 3.0
TARGET_P99_RATIO = 2.0


def premium_purchase(rng: random.Random, n: int, data: Any) -> Request:
    """The n-th of this process's (authorization, units) asks, for campaign ``shared``."""
    asks, campaign_id = data
    authorization, units = asks[n]
    return (
        f"/v1/premium_campaigns/{campaign_id}/purchases",
        {"units": units},
        {"Authorization": authorization, "Idempotency-Key": secrets.token_hex(16)},
    )


def open_campaign(base_url: str, town: BenchTown, *, units: int, limit: int) -> str:
    now = datetime.now(UTC)
    response = httpx.post(
        f"{base_url}/v1/premium_campaigns",
        json={
            "name": "プレミアム付商品券 (bench)",
            "price": PRICE,
            "face_value": FACE_VALUE,
            "per_resident_limit": limit,
            "total_units": units,
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
            "premium_expires_at": (now + timedelta(days=180)).isoformat(),
        },
        headers={
            "Authorization": f"Bearer {town.keys[Role.MUNICIPALITY]}",
            "Idempotency-Key": secrets.token_hex(16),
        },
        timeout=30,
    )
    response.raise_for_status()
    campaign_id: str = response.json()["id"]
    return campaign_id


def check_sale(
    engine: Engine, town: BenchTown, campaign_id: str, acknowledged: int
) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.total_units, c.sold_units, c.per_resident_limit,"
                " (SELECT coalesce(sum(p.units), 0) FROM premium_purchases p"
                "   WHERE p.coin_id = c.coin_id AND p.campaign_id = c.id"
                "   AND p.status <> 'released'),"
                " (SELECT count(*) FROM premium_purchases p"
                "   WHERE p.coin_id = c.coin_id AND p.campaign_id = c.id),"
                " (SELECT coalesce(max(w.units), 0) FROM ("
                "   SELECT sum(p.units) AS units FROM premium_purchases p"
                "   WHERE p.coin_id = c.coin_id AND p.campaign_id = c.id"
                "   AND p.status <> 'released' GROUP BY p.wallet_id) w)"
                " FROM premium_campaigns c WHERE c.coin_id = :coin AND c.public_id = :pid"
            ),
            {"coin": town.coin_id, "pid": campaign_id},
        ).one()
    total, sold, limit, purchased_units, purchases, most_by_one = row
    return {
        "ok": (
            sold <= total
            and sold == purchased_units
            and most_by_one <= limit
            and purchases == acknowledged
        ),
        "total_units": total,
        "sold_units": sold,
        "units_in_purchases": purchased_units,
        "most_units_held_by_one_resident": most_by_one,
        "per_resident_limit": limit,
        "purchases_in_db": purchases,
        "purchases_acknowledged": acknowledged,
    }


def payments_figures(outcome: Outcome) -> dict[str, Any]:
    paid = outcome.answers.get("201", 0)
    return {
        "payments_per_s": round(paid / outcome.elapsed_s, 1) if outcome.elapsed_s else None,
        "payments": paid,
        "answers": dict(outcome.answers),
        **percentiles(outcome.latencies_ms),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="API server processes")
    parser.add_argument("--pool-size", type=int, default=10, help="connections per API process")
    parser.add_argument("--buyers", type=int, default=3_000)
    parser.add_argument("--units", type=int, default=3_000, help="units on sale")
    parser.add_argument("--limit", type=int, default=2, help="units one resident may buy")
    parser.add_argument("--payment-rate", type=float, default=100.0, help="payments/s, offered")
    parser.add_argument("--payment-clients", type=int, default=16)
    parser.add_argument("--rush-clients", type=int, default=64)
    parser.add_argument("--client-processes", type=int, default=2, help="per load")
    parser.add_argument("--seconds", type=float, default=30.0, help="per phase")
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--residents", type=int, default=1_000, help="funded payers")
    args = parser.parse_args(argv)
    quiet_stdout()
    name = f"bench_rush_{secrets.token_hex(4)}"
    out: dict[str, Any] = report_head("premium_rush", args)
    with postgres_server() as (url, _), fresh_databases(url, name):
        out["postgres_version"] = server_version(url)
        database = url_for_database(url, name)
        with migrated_engine(database) as engine:
            with console.status("opening shops, payers and buyers"):
                town = build_town(
                    engine, merchants=args.merchants, residents=args.residents, funding=FUNDING
                )
                buyers = add_residents(engine, town.coin, count=args.buyers, funding=0)
            with psycopg.connect(database, autocommit=True) as raw:
                raw.execute("VACUUM ANALYZE")
            payers = [buyer.authorization for buyer in town.residents]
            stickers = [shop.static_qr for shop in town.shops]
            asks = [(b.authorization, args.limit) for b in buyers]
            asks += [(b.authorization, 1) for b in buyers]
            random.shuffle(asks)

            def payments(seconds: float) -> list[Any]:
                return split_plans(
                    server.base_url,
                    static_qr_payment,
                    payers,
                    processes=args.client_processes,
                    concurrency=args.payment_clients,
                    seconds=seconds,
                    rate=args.payment_rate,
                    shared=stickers,
                )

            with api_server(database, workers=args.workers, pool_size=args.pool_size) as server:
                campaign_id = open_campaign(
                    server.base_url, town, units=args.units, limit=args.limit
                )
                with console.status("warm-up"):
                    (warm,) = run_groups([payments(min(WARM_UP_S, args.seconds))])
                with console.status(f"normal: {args.payment_rate:.0f} payments/s"):
                    (normal,) = run_groups([payments(args.seconds)])
                console.log(f"normal: {payments_figures(normal)}")
                rush_plans = split_plans(
                    server.base_url,
                    premium_purchase,
                    asks,
                    processes=args.client_processes,
                    concurrency=args.rush_clients,
                    seconds=args.seconds,
                    per_item=True,
                    shared=campaign_id,
                )
                with console.status(f"rush: {len(asks)} purchase requests during payments"):
                    during, rush = run_groups([payments(args.seconds), rush_plans])
                console.log(f"during the rush: {payments_figures(during)}")
                out["api_worker_restarts"] = server.worker_restarts()
                out["api_errors"] = server.errors()
            acknowledged_payments = sum(o.answers.get("201", 0) for o in (warm, normal, during))
            with console.status("checking the sale and the books"):
                out["sale"] = check_sale(engine, town, campaign_id, rush.answers.get("201", 0))
                out["books"] = check_books(engine, town, acknowledged_payments)
            console.log(f"sale: {out['sale']}; books ok: {out['books']['ok']}")
    served = sum(rush.answers.values())
    out["rush"] = {
        "requests_asked": len(asks),
        "requests_answered": served,
        "seconds_to_answer_all": round(rush.elapsed_s, 2) if served == len(asks) else None,
        "answered_per_s": round(served / rush.elapsed_s, 1) if rush.elapsed_s else None,
        "answers": dict(rush.answers),
        **percentiles(rush.latencies_ms),
    }
    out["payments_normal"] = payments_figures(normal)
    out["payments_during_rush"] = payments_figures(during)
    normal_p99 = out["payments_normal"]["p99_ms"]
    during_p99 = out["payments_during_rush"]["p99_ms"]
    p99_ratio = round(during_p99 / normal_p99, 2) if normal_p99 and during_p99 else None
    out["targets"] = {
        "payments_p99_during_rush_vs_normal": {
            "target": TARGET_P99_RATIO,
            "actual": p99_ratio,
            "met": p99_ratio is not None and p99_ratio <= TARGET_P99_RATIO,
        }
    }
    out["machine"]["load_average_at_end"] = os.getloadavg()
    out["ok"] = out["sale"]["ok"] and out["books"]["ok"]
    json.dump(out, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
