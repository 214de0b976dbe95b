"""The settlement batch benchmark still runs end to end (tiny sizes; the figures are not judged)."""

from tests.bench.test_benchmarks_run import run_bench


def test_settlement_batch_closes_writes_the_file_and_leaves_intact_books() -> None:
    out = run_bench("bench.settlement_batch", "--payments", "300", "--merchants", "12")
    batch = out["batch"]
    assert batch["payouts"] == 12
    assert batch["file_bytes"] == (12 + 3) * 122
    assert batch["net_total"] + batch["fee_total"] == out["payments_total"]
    assert set(out["target"]) == {"total_s_max", "met"}
    assert out["verify"]["ok"] is True
