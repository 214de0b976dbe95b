"""Imports run one way: ledger → kit → the sides → localcoin, and nothing imports localcoin.

- ``ledger`` (the books) imports none of ours.
- ``jp_banking`` (Japan's banking rules: kana, bank codes, Zengin, business days)
  and ``kit`` (the shared machinery: problems, idempotency, auth, keys,
  settings, database, rate limits) sit on the ledger only.
- The sides are layered: ``wallet_api`` → ``merchant`` → ``settlement``; each
  may use the kit, the banking rules, the ledger and the sides below it.
- ``notices`` (e-mail and LINE notices to residents) reads the books and the
  wallet side; the other sides only write its outbox, through the kit.
- ``localcoin`` composes them all (app, CLI, demo, web apps, migrations).
- ``examples`` are integrations built from outside: they import none of ours
  and reach localcoin over HTTP only.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
OURS = {
    "ledger",
    "jp_banking",
    "kit",
    "wallet_api",
    "merchant",
    "settlement",
    "notices",
    "localcoin",
}
# Each package and the packages of ours it may import.
ALLOWED = {
    "ledger": set(),
    "jp_banking": set(),
    "kit": {"ledger"},
    "wallet_api": {"ledger", "jp_banking", "kit"},
    "merchant": {"ledger", "jp_banking", "kit", "wallet_api"},
    "settlement": {"ledger", "jp_banking", "kit", "wallet_api", "merchant"},
    "notices": {"ledger", "kit", "wallet_api"},
    "localcoin": OURS - {"localcoin"},
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


def _imports_of(package: str) -> set[str]:
    return {
        name
        for path in (ROOT / package).rglob("*.py")
        for _, name in _imported_top_levels(path)
        if name in OURS and name != package
    }


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in _imported_top_levels(path)
        if name in OURS and name != package and name not in ALLOWED[package]
    ]
    assert wrong == []


def test_every_package_of_ours_has_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench", "examples"}
    assert packages == OURS


def test_the_examples_use_localcoin_from_outside_only() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / "examples").rglob("*.py"))
        for line, name in _imported_top_levels(path)
        if name in OURS
    ]
    assert wrong == []


def test_the_package_graph_has_no_cycle() -> None:
    graph = {package: _imports_of(package) for package in OURS}
    done: set[str] = set()

    def visit(package: str, path: tuple[str, ...]) -> None:
        assert package not in path, f"cycle: {' → '.join((*path, package))}"
        if package in done:
            return
        for imported in graph[package]:
            visit(imported, (*path, package))
        done.add(package)

    for package in sorted(OURS):
        visit(package, ())
