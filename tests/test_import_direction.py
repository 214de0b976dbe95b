"""Imports run one way: settlement → merchant → wallet_api → ledger, and ledger uses none of them."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
# Each package and the packages it must never import.
FORBIDDEN = {
    "ledger": {"wallet_api", "merchant", "settlement", "localcoin"},
    "wallet_api": {"merchant", "settlement"},
    "merchant": {"settlement"},
}


def _imported_top_levels(path: Path) -> set[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, alias.name.split(".")[0]) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_never_imports_the_sides_built_on_it(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in _imported_top_levels(path)
        if name in FORBIDDEN[package]
    ]
    assert wrong == []
