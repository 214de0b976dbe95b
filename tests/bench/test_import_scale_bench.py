"""The import benchmark runs end to end at a small size: it imports, posts its reference,
and the imported books verify."""

from bench.import_scale import export_bytes
from localcoin.import_file import parse_export
from tests.bench.test_benchmarks_run import run_bench


def test_the_generated_export_is_one_the_import_accepts_as_stated() -> None:
    export = parse_export(export_bytes(50, 3))
    assert export.errors == []
    assert len(export.residents) == 50 and len(export.merchants) == 3
    assert export.imported_total == export.outstanding


def test_import_scale_imports_posts_the_reference_and_verifies() -> None:
    out = run_bench("bench.import_scale", "--residents", "300", "--merchants", "5")
    # One per resident (each has money), one per merchant with a balance, one gathering
    # each chunk's clearing (one of residents, one of merchants), the closing one.
    assert 300 + 2 + 1 <= out["import"]["entries"] <= 300 + 5 + 2 + 1
    assert out["reference"]["entries"] == 300 + 1  # and its one gathering entry
    assert out["import"]["verify"]["ok"] is True
    assert out["ratio_import_to_reference"] > 0
    assert out["target"]["met"] is False  # 300 residents is not the target's 100,000
