"""The HTTP benchmarks still run end to end (tiny sizes; the figures are not judged),
and the multi-worker server's connections get TCP_NODELAY."""

import asyncio
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import Engine, text

from kit.credentials import Role
from ledger.clock import FixedClock
from localcoin.cli import listening_socket
from tests.bench.test_benchmarks_run import run_bench
from tests.conftest import T0
from tests.merchant.shops import funded_resident
from tests.own_loop import run_on_own_loop
from tests.wallet_api.test_residents_api import new_town
from wallet_api import rush_gate


def test_http_payments_reports_every_phase_and_every_payment_is_in_the_books() -> None:
    out = run_bench(
        "bench.http_payments",
        "--seconds",
        "1",
        "--scale",
        "1",
        "--clients",
        "4",
        "--residents",
        "20",
        "--merchants",
        "3",
        "--pgbench-clients",
        "2",
    )
    assert out["pgbench_tps"] > 0
    for phase in ("bare_framework", "many_merchants", "half_load", "hot_merchant"):
        figures = out[phase]
        assert figures["payments"] > 0, phase
        assert set(figures["answers"]) == {"201"}, figures["answers"]
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
        assert figures["cpu_s"]["client_share"] is not None
    assert out["half_load"]["offered_rate_per_s"] > 0
    assert out["ratios"]["many_merchants_vs_bare_framework"] > 0
    assert set(out["targets"]) == {
        "many_merchants_vs_pgbench",
        "half_load_p99_ms",
        "hot_vs_many_merchants",
    }
    books = out["books"]
    assert books["verify_ok"] is True
    assert books["charges_in_db"] == books["acknowledged_payments"] > 0
    floor = out["database_floor"]
    assert [(run["per_commit"], run["clients"]) for run in floor["runs"]] == [
        (1, 2),
        (1, 4),
        (10, 2),
    ]
    assert all(run["payments"] > 0 for run in floor["runs"])
    # pgbench's payments are real ones: each a charge, and the books still balance.
    assert floor["books"]["verify_ok"] is True
    assert floor["books"]["charges_in_db"] == floor["books"]["committed_payments"] > 0
    assert out["ratios"]["database_floor_vs_pgbench"] > 0


def test_premium_rush_never_oversells_and_reports_the_payments_beside_it() -> None:
    out = run_bench(
        "bench.premium_rush",
        "--buyers",
        "30",
        "--units",
        "25",
        "--limit",
        "2",
        "--seconds",
        "2",
        "--residents",
        "10",
        "--merchants",
        "2",
        "--payment-rate",
        "10",
        "--payment-clients",
        "2",
        "--rush-clients",
        "8",
    )
    sale = out["sale"]
    # 30 buyers ask for 3 units each (2, then 1 more) of 25: sold out, nobody above 2.
    assert sale["ok"] is True
    assert sale["sold_units"] == sale["total_units"] == 25
    assert sale["most_units_held_by_one_resident"] <= 2
    assert sale["purchases_in_db"] == sale["purchases_acknowledged"] > 0
    assert out["rush"]["requests_answered"] == out["rush"]["requests_asked"] == 60
    assert "409 sold_out" in out["rush"]["answers"]
    assert out["payments_normal"]["payments"] > 0
    assert out["payments_during_rush"]["payments"] > 0
    assert out["targets"]["payments_p99_during_rush_vs_normal"]["actual"] is not None
    assert out["books"]["ok"] is True


def test_api_history_scale_reports_both_reads_for_both_ledgers() -> None:
    out = run_bench("bench.api_history_scale", "--entries", "300", "--own", "30", "--repeat", "3")
    assert out["entries_in_ledger"]["large"] > out["entries_in_ledger"]["small"]
    assert set(out["median_ms"]) == {"balance", "first_page"}
    for figures in out["median_ms"].values():
        assert figures["small_ms"] > 0 and figures["large_ms"] > 0


def test_the_workers_shared_socket_gives_accepted_connections_tcp_nodelay() -> None:
    """Without it every keep-alive response waits out a delayed ACK (about 40 ms)."""
    listening = listening_socket("127.0.0.1", 0)
    port = listening.getsockname()[1]

    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def on_connect(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listening)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            nodelay = await accepted
            writer.close()
            return nodelay

    assert run_on_own_loop(accept_one) != 0


def test_a_rush_of_purchases_holds_at_most_the_gates_connections(
    engine: Engine, clock: FixedClock
) -> None:
    """Purchases beyond the gate wait in the process, not on a pooled connection."""
    town = new_town(engine, clock)
    town.client.app.state.signups_per_window = 100  # type: ignore[attr-defined]
    campaign = town.client.post(
        "/v1/premium_campaigns",
        json={
            "name": "rush",
            "price": 10_000,
            "face_value": 12_000,
            "per_resident_limit": 1,
            "total_units": 100,
            "starts_at": T0.isoformat(),
            "ends_at": (T0 + timedelta(days=1)).isoformat(),
            "premium_expires_at": (T0 + timedelta(days=90)).isoformat(),
        },
        headers={"Authorization": f"Bearer {town.coin.keys[Role.MUNICIPALITY]}"},
    ).json()
    buyers = [funded_resident(town, 0) for _ in range(rush_gate.IN_FLIGHT_MAX + 3)]
    path = f"/v1/premium_campaigns/{campaign['id']}/purchases"
    with town.client as client, engine.connect() as blocker:
        # Every purchase takes the campaign's row first: hold it, so purchases pile up.
        blocker.execute(
            text("SELECT 1 FROM premium_campaigns WHERE public_id = :pid FOR UPDATE"),
            {"pid": campaign["id"]},
        )
        with ThreadPoolExecutor(len(buyers)) as pool:
            answers = [
                pool.submit(client.post, path, json={"units": 1}, headers=buyer.headers)
                for buyer in buyers
            ]
            waiting_at_gate, waiting_in_db = wait_for_queues(engine, 3)
            blocker.rollback()
            statuses = [answer.result().status_code for answer in answers]
    assert (waiting_at_gate, waiting_in_db) == (3, rush_gate.IN_FLIGHT_MAX)
    assert statuses == [201] * len(buyers)
    sold = town.client.get(
        f"/v1/premium_campaigns/{campaign['id']}",
        headers={"Authorization": f"Bearer {town.coin.keys[Role.MUNICIPALITY]}"},
    ).json()["sold_units"]
    assert sold == len(buyers)


def wait_for_queues(engine: Engine, at_gate: int) -> tuple[int, int]:
    """Polls until ``at_gate`` requests wait at the gate; then counts the sessions
    waiting for a lock in the database (at most a few seconds)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        queued = sum(len(gate._waiters or ()) for gate in list(rush_gate._gates.values()))
        if queued >= at_gate:
            with engine.connect() as conn:
                locked = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
            if locked >= rush_gate.IN_FLIGHT_MAX:
                return queued, int(locked)
        time.sleep(0.02)
    raise AssertionError("the purchases never queued")
