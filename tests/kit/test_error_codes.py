"""The table of the sides' codes (kit/errors.py) against the code, the API's document and the tests.

- Every refusal the sides raise names a code of the table (``Problem(Code.X, …)``,
  never a string), and every code of the table is raised somewhere: a code
  nothing raises is removed, not kept and documented.
- Every code is documented in the OpenAPI document, under its own status.
- Every code is named by a test (its string, or the enum member it comes from),
  so each refusal has a test that meets it.
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from kit.errors import Code
from kit.problems import refusal_of
from ledger.clock import FixedClock
from ledger.errors import Code as LedgerCode
from localcoin.app import create_app
from settlement.zengin_refusals import ZENGIN_REFUSALS
from tests.conftest import T0
from wallet_api.token_keys import TOKEN_REFUSALS

ROOT = Path(__file__).parents[2]
TABLE = ROOT / "kit" / "errors.py"
BY_VALUE: dict[str, Code | LedgerCode] = {code.value: code for code in LedgerCode} | {
    code.value: code for code in Code
}
SIDES = ("kit", "wallet_api", "merchant", "settlement", "notices", "localcoin")
# Calls whose arguments raise or answer a refusal, and the tables that turn another
# package's result codes into the API's.
RAISING_CALLS = {"Problem", "problem_response", "FieldError", "UrlRefusedError"}
TABLES = {"TOKEN_REFUSALS", "ZENGIN_REFUSALS", "_BANK_REFUSALS", "_KANA_REFUSALS"}
# A refusal whose code was chosen before, passed on as it is: a Problem answered, not
# raised (``outcome``), an onboarding form's first bad field, a refused webhook URL,
# a refusal of the ledger; and the codes of the two tables above.
PASSED_ON = {
    "outcome.code",
    "first.code",
    "refused.code",
    "error.code",
    "TOKEN_REFUSALS[error.code]",
    "ZENGIN_REFUSALS[error.code]",
}


def _side_modules() -> Iterator[tuple[Path, ast.Module]]:
    for side in SIDES:
        for path in sorted((ROOT / side).rglob("*.py")):
            if "migrations" not in path.parts and path != TABLE:
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    return node.func.attr if isinstance(node.func, ast.Attribute) else None


def _codes_in(node: ast.AST) -> set[str]:
    """The members of ``Code`` (the sides' table) that a piece of source names."""
    return {
        sub.attr
        for sub in ast.walk(node)
        if isinstance(sub, ast.Attribute)
        and isinstance(sub.value, ast.Name)
        and sub.value.id == "Code"
    }


def _raised() -> dict[str, set[str]]:
    """Each code the sides raise or answer with, and where."""
    raised: dict[str, set[str]] = {}
    for path, tree in _side_modules():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called(node) in RAISING_CALLS:
                names = set().union(*(_codes_in(arg) for arg in node.args))
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                named = {t.id for t in targets if isinstance(t, ast.Name)}
                names = _codes_in(node.value) if named & TABLES and node.value else set()
            else:
                continue
            for name in names:
                raised.setdefault(name, set()).add(where)
    return raised


def test_every_refusal_names_a_code_of_the_table() -> None:
    not_a_code = [
        f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}"
        for path, tree in _side_modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _called(node) in {"Problem", "problem_response"}
        and not re.fullmatch(r"Code\.[A-Z0-9_]+", ast.unparse(node.args[0]))
        and ast.unparse(node.args[0]) not in PASSED_ON
    ]
    assert not_a_code == []
    assert set(_raised()) <= {code.name for code in Code}


def test_every_code_of_the_table_is_raised_somewhere() -> None:
    assert sorted({code.name for code in Code} - set(_raised())) == []


def test_the_tables_of_other_packages_pass_their_codes_on_under_the_same_name() -> None:
    assert {code.value: api.value for code, api in TOKEN_REFUSALS.items()} == {
        code.value: code.value for code in TOKEN_REFUSALS
    }
    assert all(code.value == api.value for code, api in ZENGIN_REFUSALS.items())


def test_each_code_is_documented_in_a_line_with_a_client_or_server_error_status() -> None:
    for code in Code:
        refusal = code.refusal
        assert 400 <= refusal.status < 600, code
        assert refusal.title and "\n" not in refusal.title, code
        assert refusal.description and "\n" not in refusal.description, code


def test_a_code_of_both_tables_is_refused_with_the_same_status() -> None:
    sides = {code.value: code for code in Code}
    both = [code for code in LedgerCode if code.value in sides]
    different = {
        code.value for code in both if refusal_of(code).status != refusal_of(sides[code]).status
    }
    # The Idempotency-Key header is checked before the ledger sees a key (400); the
    # ledger's own check (422) guards the keys the sides make up from their data.
    assert different == {"idempotency_key_invalid"}


def _documented_lines() -> Iterator[tuple[str, str, str, str]]:
    """(operation, the response's status key, code, status written) for each documented code."""
    # The document does not depend on the database: an app on an unused engine.
    app = create_app(create_engine("postgresql+psycopg://"), FixedClock(T0), run_sealer=False)
    document: dict[str, Any] = app.openapi()
    line = re.compile(r"^- `([a-z0-9_]+)` \((\d{3}) ", re.MULTILINE)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                for code, written in line.findall(answer.get("description", "")):
                    yield f"{method.upper()} {path}", status, code, written


def test_every_code_is_documented_in_the_openapi_document_under_its_status() -> None:
    documented: set[str] = set()
    misplaced = []
    for operation, status, code, written in _documented_lines():
        documented.add(code)
        true = str(refusal_of(BY_VALUE[code]).status.value)
        if written != true or not (status == true or status == f"{true[0]}XX"):
            misplaced.append(f"{operation} {status}: {code} is {true}")
    assert misplaced == []
    assert sorted({code.value for code in Code} - documented) == []


def _spellings(code: Code) -> list[str]:
    """How a test names a code: its string, or the member it is in one of the enums."""
    spelled = [f"[\"']{code.value}[\"']", rf"(?<![\w.])Code\.{code.name}\b"]
    spelled += [rf"\bZenginCode\.{z.name}\b" for z, c in ZENGIN_REFUSALS.items() if c is code]
    spelled += [rf"\bTokenCode\.{t.name}\b" for t, c in TOKEN_REFUSALS.items() if c is code]
    return spelled


@pytest.fixture(scope="module")
def test_sources() -> dict[Path, str]:
    this = Path(__file__)
    return {
        path: path.read_text(encoding="utf-8")
        for path in (ROOT / "tests").rglob("*.py")
        if path != this
    }


def test_every_code_is_named_by_a_test(test_sources: dict[Path, str]) -> None:
    unnamed = [
        code.value
        for code in Code
        if not any(
            re.search(spelling, source)
            for spelling in _spellings(code)
            for source in test_sources.values()
        )
    ]
    assert unnamed == []
