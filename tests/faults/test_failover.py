"""Automatic failover with pg_auto_failover under steady payments: nothing acknowledged is
lost, nothing is paid twice, the books verify on the new primary, the old primary
comes back as a standby, and the write outage is measured.

The formation (tests/faults/formation.py): a monitor, a primary and two standbys of
Debian's PostgreSQL 15, synchronous to any one of the two standbys. The API is
``localcoin serve`` in a subprocess with ``DATABASE_URL`` set to the URI
``pg_autoctl show uri`` prints (every node, ``target_session_attrs=read-write``).
Clients pay shops' static QR codes, each payment retried under its key until
definite (tests/faults/payment_load.py). Figures are printed as one JSON line
per run (``pytest -s`` shows them; docs/faults.md quotes them).

The default suite runs one failover of the primary under light load; ``-m slow``
runs a standby lost first, then the primary, and a primary frozen (SIGSTOP) as
behind a network partition.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from bench.api_town import BenchTown, build_town
from kit.database import make_engine, sqlalchemy_url
from localcoin.migrate import upgrade_to_head
from tests.faults.cluster import ApiServer
from tests.faults.debian_postgres import PG_AUTOCTL, PG_BIN, free_port, require
from tests.faults.formation import Formation, NodeState, Service, in_state, new_formation
from tests.faults.payment_load import Outage, PayingClient, Record, outage_around

FUNDING = 100_000
ACKS_WAIT_S = 180.0
# The target for the outage with these (test) timeouts.
OUTAGE_TARGET_S = 15.0
# Longer than the monitor takes to promote after a single loss (about 7 s).
NO_PROMOTION_WAIT_S = 12.0


@dataclass
class Scheme:
    formation: Formation
    url: str
    engine: Engine
    town: BenchTown
    api: ApiServer
    entries_before: int


def with_user(uri: str, user: str) -> str:
    """``pg_autoctl show uri`` names no user (libpq then takes the system user's name)."""
    scheme, rest = uri.split("://", 1)
    return f"{scheme}://{user}@{rest}"


@pytest.fixture
def scheme() -> Iterator[Scheme]:
    require(PG_AUTOCTL, PG_BIN / "postgres")
    home = Path(tempfile.mkdtemp(prefix="lcfailover-"))
    formation = new_formation(home)
    api: ApiServer | None = None
    engine: Engine | None = None
    try:
        formation.create()
        printed = formation.uri()
        assert "target_session_attrs=read-write" in printed, printed
        url = with_user(printed, "postgres")
        upgrade_to_head(sqlalchemy_url(url))
        engine = make_engine(sqlalchemy_url(url), pool_size=2)
        town = build_town(engine, merchants=3, residents=12, funding=FUNDING)
        entries_before = count_entries(engine, town)
        api = ApiServer(url, free_port(), home / "api.log")
        api.start()
        yield Scheme(formation, url, engine, town, api, entries_before)
    finally:
        try:
            if api is not None:
                with contextlib.suppress(ProcessLookupError):  # it died by itself
                    api.stop()
            if engine is not None:
                engine.dispose()
        finally:
            formation.stop()
            shutil.rmtree(home, ignore_errors=True)


def count_entries(engine: Engine, town: BenchTown) -> int:
    with engine.connect() as conn:
        count: int = conn.execute(
            text("SELECT count(*) FROM entries WHERE coin_id = :c"), {"c": town.coin_id}
        ).scalar_one()
    return count


@dataclass
class Run:
    """Payments flowing while the test does things to the formation."""

    scheme: Scheme
    record: Record
    stop: threading.Event
    workers: list[PayingClient]

    def wait_for_acks(self, more: int) -> None:
        target = self.record.acked_count() + more
        deadline = time.monotonic() + ACKS_WAIT_S
        while self.record.acked_count() < target:
            assert time.monotonic() < deadline, f"fewer than {target} acks in {ACKS_WAIT_S}s"
            assert all(w.is_alive() for w in self.workers), [w.error for w in self.workers]
            time.sleep(0.05)

    def finish(self) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join(timeout=ACKS_WAIT_S)
        assert all(w.error is None for w in self.workers), [w.error for w in self.workers]
        assert not any(w.is_alive() for w in self.workers)


@pytest.fixture
def payments(scheme: Scheme) -> Iterator[Callable[[int], Run]]:
    runs: list[Run] = []

    def start(clients: int) -> Run:
        record, stop = Record(), threading.Event()
        buyers = scheme.town.residents
        workers = [
            PayingClient(scheme.api.base_url, scheme.town, buyers[n::clients], record, stop, n)
            for n in range(clients)
        ]
        for worker in workers:
            worker.start()
        run = Run(scheme, record, stop, workers)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.stop.set()


def new_primary_other_than(old: Service) -> Callable[[dict[str, NodeState]], bool]:
    def promoted(states: dict[str, NodeState]) -> bool:
        return any(
            s.reported == s.goal == "primary" and s.name != old.name for s in states.values()
        )

    return promoted


def is_secondary(node: Service) -> Callable[[dict[str, NodeState]], bool]:
    return lambda states: in_state(states, node, "secondary")


def check_books(scheme: Scheme, record: Record) -> dict[str, int]:
    """Everything acknowledged is in the books once; nothing else is; replays answer
    the first answer again; ``localcoin ledger verify`` passes on the new primary.
    Returns the counts docs/faults.md quotes."""
    assert record.abandoned == [], f"{len(record.abandoned)} payments ran out of retries"
    assert "500" not in record.statuses, record.bodies_of_5xx[:3]
    assert all(b.startswith("503 application/problem+json") for b in record.bodies_of_5xx), (
        record.bodies_of_5xx[:3]
    )
    # The test's own pool still holds connections to the node that is gone.
    scheme.engine.dispose()
    acked_ids = [a.charge_id for a in record.acked]
    assert len(set(acked_ids)) == len(acked_ids), "two payments were given one charge"
    with scheme.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.public_id, c.entry_id, c.amount, e.id IS NOT NULL FROM charges c"
                " LEFT JOIN entries e ON e.coin_id = c.coin_id AND e.id = c.entry_id"
                " WHERE c.coin_id = :c"
            ),
            {"c": scheme.town.coin_id},
        ).all()
        spent: dict[int, int] = dict(
            conn.execute(
                text(
                    "SELECT account_id, sum(posted)::bigint FROM account_balances"
                    " WHERE coin_id = :c AND account_id = ANY(:ids) GROUP BY account_id"
                ),
                {"c": scheme.town.coin_id, "ids": [b.account_id for b in scheme.town.residents]},
            ).all()
        )
    in_books = {row[0]: row for row in rows}
    lost = set(acked_ids) - set(in_books)
    duplicated = set(in_books) - set(acked_ids)
    assert not lost, f"acknowledged but not in the books: {sorted(lost)[:5]}"
    assert not duplicated, f"in the books but never acknowledged: {sorted(duplicated)[:5]}"
    assert all(row[3] for row in rows), "a charge without its entry"
    assert len({row[1] for row in rows}) == len(rows), "two charges share an entry"
    # Nothing but these payments was posted since the town was set up.
    assert count_entries(scheme.engine, scheme.town) == scheme.entries_before + len(rows)
    paid: Counter[str] = Counter()
    for ack in record.acked:
        paid[ack.authorization] += ack.request["amount"]
        assert ack.body["amount"] == ack.request["amount"] == in_books[ack.charge_id][2]
    assert spent == {b.account_id: FUNDING - paid[b.authorization] for b in scheme.town.residents}
    replays_same = replay(scheme, record)
    verify = subprocess.run(
        [sys.executable, "-m", "localcoin.cli", "ledger", "verify"],
        env=os.environ | {"DATABASE_URL": scheme.url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr[-2000:]
    assert json.loads(verify.stdout.strip().splitlines()[-1])["ok"] is True
    return {
        "acknowledged": len(acked_ids),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "replayed_same": replays_same,
    }


def replay(scheme: Scheme, record: Record) -> int:
    """Every acknowledged payment sent again under its key: the same answer, no new money."""
    with httpx.Client(base_url=scheme.api.base_url, timeout=30) as http:
        for ack in record.acked:
            again = http.post(
                "/v1/wallet/payments",
                json=ack.request,
                headers={"Authorization": ack.authorization, "Idempotency-Key": ack.key},
            )
            assert again.status_code == 201, again.text
            assert again.json() == ack.body
    return len(record.acked)


def report(
    variant: str, outage: Outage, failover_s: float, counts: dict[str, int], record: Record
) -> None:
    figures: dict[str, Any] = {
        "variant": variant,
        "outage_s": round(outage.back_after_s, 2),
        "longest_silence_s": round(outage.gap_s, 2),
        "monitor_failover_s": round(failover_s, 2),
        **counts,
        "answers": dict(record.statuses),
    }
    print("failover figures: " + json.dumps(figures))


def test_the_primary_killed_under_payments_fails_over_with_nothing_lost(
    scheme: Scheme, payments: Callable[[int], Run]
) -> None:
    formation = scheme.formation
    run = payments(2)
    run.wait_for_acks(20)
    old = formation.primary()
    fault_at = time.monotonic()
    old.kill()
    failover_s = formation.wait_for(new_primary_other_than(old), "a standby promoted")
    run.wait_for_acks(20)
    run.finish()
    outage = outage_around(run.record.ack_times(), fault_at)
    old.restart()
    formation.wait_for(is_secondary(old), f"{old.name} back as a standby")
    counts = check_books(scheme, run.record)
    report("primary SIGKILLed", outage, failover_s, counts, run.record)
    if formation.test_timeouts:  # the target is for the test timeouts
        assert outage.back_after_s < OUTAGE_TARGET_S, outage
    assert counts["lost"] == counts["duplicated"] == 0


@pytest.mark.slow
def test_a_standby_lost_first_then_the_primary(
    scheme: Scheme, payments: Callable[[int], Run]
) -> None:
    formation = scheme.formation
    run = payments(4)
    run.wait_for_acks(50)
    standby = formation.standbys()[0]
    standby_lost_at = time.monotonic()
    standby.kill()
    # The other standby acknowledges every commit: payments go on.
    run.wait_for_acks(50)
    standby_outage = outage_around(run.record.ack_times(), standby_lost_at)
    old = formation.primary()
    fault_at = time.monotonic()
    old.kill()
    # Two of three nodes gone: the one left may lack a commit that only the lost
    # standby confirmed (ANY 1 of 2), so the monitor promotes nobody on its own.
    time.sleep(NO_PROMOTION_WAIT_S)
    assert formation.primary_or_none() is None, formation.states()
    standby.restart()
    failover_s = formation.wait_for(new_primary_other_than(old), "a standby promoted")
    old.restart()
    run.wait_for_acks(50)
    run.finish()
    outage = outage_around(run.record.ack_times(), fault_at)
    formation.wait_for(
        lambda s: is_secondary(old)(s) and is_secondary(standby)(s), "both back as standbys"
    )
    counts = check_books(scheme, run.record)
    report("standby SIGKILLed, then the primary", outage, failover_s, counts, run.record)
    print(f"failover figures: standby loss outage_s={standby_outage.back_after_s:.2f}")
    assert standby_outage.back_after_s < OUTAGE_TARGET_S, standby_outage
    assert counts["lost"] == counts["duplicated"] == 0


@pytest.mark.slow
def test_a_frozen_primary_is_replaced_and_rejoins_when_it_wakes(
    scheme: Scheme, payments: Callable[[int], Run]
) -> None:
    formation = scheme.formation
    run = payments(4)
    run.wait_for_acks(50)
    old = formation.primary()
    fault_at = time.monotonic()
    old.freeze()
    try:
        failover_s = formation.wait_for(new_primary_other_than(old), "a standby promoted")
        run.wait_for_acks(50)
    finally:
        # Woken, the old primary learns from the monitor that it was demoted; commits
        # it had in flight wait for a standby that no longer follows it and fail.
        old.thaw()
    run.finish()
    outage = outage_around(run.record.ack_times(), fault_at)
    formation.wait_for(is_secondary(old), f"{old.name} back as a standby")
    counts = check_books(scheme, run.record)
    report("primary SIGSTOPped (partition)", outage, failover_s, counts, run.record)
    assert counts["lost"] == counts["duplicated"] == 0
