"""The benchmarks still run end to end (tiny sizes; the figures themselves are not judged here)."""

import json
import os
import subprocess
import sys


def run_bench(*args: str) -> dict:  # type: ignore[type-arg]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict = json.loads(done.stdout)  # type: ignore[type-arg]
    return result


def test_ledger_vs_pgbench_reports_every_workload_and_intact_books() -> None:
    out = run_bench(
        "bench.ledger_vs_pgbench",
        "--clients",
        "2",
        "--seconds",
        "1",
        "--wallets",
        "50",
        "--batch",
        "10",
    )
    assert out["pgbench_tps"] > 0
    for workload in (
        "one_per_commit",
        "one_per_commit_unit_of_work",
        "batched",
        "hot",
        "hot_single_slot",
    ):
        assert out[f"{workload}_per_s"] > 0, workload
    assert set(out["targets"]) == {
        "one_per_commit_vs_pgbench",
        "batched_vs_pgbench",
        "hot_vs_one_per_commit",
    }
    assert out["verify"]["ok"] is True
    assert out["verify"]["entries"] > 50


def test_history_scale_reports_each_read_for_both_ledgers() -> None:
    out = run_bench("bench.history_scale", "--entries", "500", "--own", "60", "--repeat", "2")
    assert out["entries_large"] == 500
    assert set(out["median_ms"]) == {
        "balance",
        "first_page",
        "deep_page",
        "balance_as_of_recent",
        "balance_as_of_old",
    }
    for figures in out["median_ms"].values():
        assert figures["small_ms"] > 0 and figures["large_ms"] > 0
