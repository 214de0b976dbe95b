"""The webhook worker and the settlement batch, SIGKILLed at chosen and at random points.

Both run as real ``localcoin`` subprocesses (tests.faults.frozen_cli) against a
database of this module's own, so no other test's outbox or payouts mix in.
Chosen points cover each step boundary (lease taken / POST answered but not
recorded / outcome committed; mid-close before COMMIT / closed but not
exported); random points come from a seeded generator. Afterwards:

- webhooks: every delivery is ``delivered``; the receiver, deduplicating by
  event id, has seen every event; nothing is marked delivered that the
  receiver did not get; a kill between answer and record does send again (at
  least once, never zero).
- settlement: one batch, exported; each payout paid exactly once (one
  ``payout.close`` entry each); totals and the Zengin file add up; the
  ledger's integrity checks (what ``ledger verify`` runs) pass.
"""

import os
import random
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from jp_banking.zengin import read_transfer_file
from kit.database import make_engine
from ledger.clock import FixedClock
from ledger.verify import verify_coin
from localcoin.sealer import seal_coin
from merchant.webhooks.delivery import LEASE
from tests.conftest import T0, migrated_database
from tests.faults.killing import Run, run_cli
from tests.merchant.shops import open_shop
from tests.merchant.webhook_receiver import running_receiver
from tests.merchant.webhook_town import add_endpoint, emit, webhook_town
from tests.settlement.settlement_day import AFTER_CUT_OFF, DAY, cashouts, set_originator
from tests.wallet_api.test_residents_api import new_town

SEED = 20261123
EVENTS = 30
PAYOUTS = 10
RANDOM_KILL_MAX_S = 0.6


@pytest.fixture(scope="module")
def own_url(server_url: str) -> Iterator[str]:
    """A database of this module's own, migrated to head."""
    with migrated_database(server_url, f"localcoin_faults_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="module")
def own_engine(own_url: str) -> Iterator[Engine]:
    engine = make_engine(own_url, pool_size=5)
    yield engine
    engine.dispose()


HEAVY = [False, pytest.param(True, marks=pytest.mark.slow, id="heavy")]


@pytest.mark.parametrize("heavy", HEAVY)
def test_a_webhook_worker_killed_anywhere_delivers_every_event(
    own_url: str, own_engine: Engine, clock: FixedClock, heavy: bool
) -> None:
    town = webhook_town(own_engine, clock)
    shop = open_shop(town)
    rng = random.Random(SEED)
    with running_receiver() as receiver:
        add_endpoint(town, shop, receiver.url)
        count = EVENTS * 3 if heavy else EVENTS
        events = {emit(town, shop, data={"n": n}).public_id for n in range(count)}
        chosen = ["claimed:3", "sent:2", "recorded:4"]
        if heavy:
            chosen += ["sent:5", "claimed:1", "recorded:1", "sent:17"]
        schedule = chosen + ["random"] * (6 if heavy else 1) + ["none"]
        runs: list[Run] = []
        for number, point in enumerate(schedule):
            # Each run is a lease later, so deliveries a killed run had claimed come due.
            at = T0 + (number + 1) * (LEASE + timedelta(minutes=1))
            delay = rng.uniform(0, RANDOM_KILL_MAX_S) if point == "random" else None
            runs.append(
                run_cli(
                    own_url,
                    at,
                    "none" if point == "random" else point,
                    ["webhooks", "deliver"],
                    kill_after_s=delay,
                )
            )
        seen = receiver.event_ids()
    assert [r.killed for r in runs[: len(chosen)]] == [True] * len(chosen)
    final = runs[-1]
    assert not final.killed and final.returncode == 0, final
    rows = own_engine.connect().execute(
        text(
            "SELECT e.public_id, d.status FROM webhook_deliveries d JOIN webhook_events e"
            " ON e.coin_id = d.coin_id AND e.id = d.event_id WHERE d.coin_id = :coin"
        ),
        {"coin": town.coin.coin.id},
    )
    statuses = {event: status for event, status in rows}
    # Nothing lost: every event has its delivery, delivered; the receiver saw each.
    assert set(statuses) == events
    assert set(statuses.values()) == {"delivered"}
    assert set(seen) == events
    # A kill after the receiver answered but before it was recorded sends again.
    counts = Counter(seen)
    assert any(count > 1 for count in counts.values()), counts


@pytest.mark.parametrize("heavy", HEAVY)
def test_a_settlement_run_killed_mid_close_pays_each_payout_exactly_once(
    own_url: str, own_engine: Engine, clock: FixedClock, tmp_path: Path, heavy: bool
) -> None:
    town = new_town(own_engine, clock)
    n_payouts = PAYOUTS * 3 if heavy else PAYOUTS
    # One payer per shop: more sign-ups than one address may make by default.
    town.client.app.state.signups_per_window = 100  # type: ignore[attr-defined]
    amounts = [1_000 * (n + 1) for n in range(n_payouts)]
    made = cashouts(town, amounts)
    set_originator(town)
    coin_id = town.coin.coin.id
    args = ["settlement", "run", "--coin", town.code, "--date", DAY.isoformat()]
    args += ["--out", str(tmp_path)]
    rng = random.Random(SEED)

    def state() -> tuple[str | None, int]:
        with own_engine.connect() as conn:
            status = conn.execute(
                text("SELECT status FROM settlement_batches WHERE coin_id = :c"), {"c": coin_id}
            ).scalar_one_or_none()
            closes = conn.execute(
                text("SELECT count(*) FROM entries WHERE coin_id = :c AND kind = 'payout.close'"),
                {"c": coin_id},
            ).scalar_one()
        return status, closes

    # The last payout written is the latest point before COMMIT: everything but the commit.
    points = [f"payout:{n_payouts}"]
    if heavy:
        points += ["payout:1", f"payout:{n_payouts // 2}"]
    for point in points:
        run = run_cli(own_url, AFTER_CUT_OFF, point, args, kill_after_s=None)
        assert run.killed, run
        # The close is one transaction: killed before COMMIT, nothing of it is left.
        assert state() == (None, 0)
    for _ in range(3 if heavy else 0):
        at_random = run_cli(
            own_url, AFTER_CUT_OFF, "none", args, kill_after_s=rng.uniform(0, RANDOM_KILL_MAX_S)
        )
        assert state() in {(None, 0), ("closed", n_payouts), ("exported", n_payouts)}, at_random
    # Killed after the close committed, before the file: the next run exports it.
    assert run_cli(own_url, AFTER_CUT_OFF, "export", args, kill_after_s=None).killed
    assert state() in {("closed", n_payouts), ("exported", n_payouts)}
    finished = run_cli(own_url, AFTER_CUT_OFF, "none", args, kill_after_s=None)
    assert finished.returncode == 0 and finished.result is not None, finished
    assert state() == ("exported", n_payouts)
    if heavy:
        again = run_cli(own_url, AFTER_CUT_OFF, "none", args, kill_after_s=None)
        assert again.result is not None and again.result["closed_now"] is False
        assert Path(again.result["file"]).read_bytes() == Path(finished.result["file"]).read_bytes()
        assert state() == ("exported", n_payouts)

    with own_engine.connect() as conn:
        payouts = conn.execute(
            text(
                "SELECT p.public_id, p.status, p.entry_id, p.amount, p.fee FROM payouts p"
                " WHERE p.coin_id = :c"
            ),
            {"c": coin_id},
        ).all()
        per_payout = conn.execute(
            text(
                "SELECT count(*) FROM entries e JOIN payouts p"
                " ON p.coin_id = e.coin_id AND p.entry_id = e.id"
                " WHERE e.coin_id = :c AND e.kind = 'payout.close'"
            ),
            {"c": coin_id},
        ).scalar_one()
    assert {p.public_id for p in payouts} == {m.payout.public_id for m in made}
    assert {p.status for p in payouts} == {"in_batch"}
    assert len({p.entry_id for p in payouts}) == n_payouts == per_payout
    batch = finished.result["batch"]
    net = sum(p.amount - p.fee for p in payouts)
    assert (batch["totals"]["count"], batch["totals"]["net"]) == (n_payouts, net)
    assert sum(p.amount for p in payouts) == sum(amounts)
    written = read_transfer_file(Path(finished.result["file"]).read_bytes())
    assert (written.count, written.total_yen) == (n_payouts, net)
    # As ``localcoin ledger verify`` does: seal, then check from one snapshot.
    seal_coin(own_engine, coin_id, clock)
    with own_engine.connect() as conn:
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        report = verify_coin(conn, coin_id=coin_id)
    assert report.ok, report.as_dict()
