"""The ledger's SQL files are the schema: ``alembic upgrade head`` builds their latest text.

Every function and trigger the database runs for the ledger must read, but for
whitespace, exactly as the highest version of its file in ledger/sql/, and
every version must be applied by some migration, in order; so a reader of the
files reads what runs, and an old migration keeps building what it built.
"""

import hashlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ledger.sql import latest_version, ledger_sql, sql_names, sql_versions
from localcoin.migrate import MIGRATIONS_DIR

ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = ROOT / "ledger" / "sql"

_FUNCTION = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)\s*\(.*?\bAS\s+(\$\w*\$)(.*?)\2",
    re.DOTALL | re.MULTILINE | re.IGNORECASE,
)
_TRIGGER = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+(\w+)\b.*?;",
    re.DOTALL | re.MULTILINE | re.IGNORECASE,
)
_APPLIED = re.compile(r"ledger_sql\(\s*\"(\w+)\"\s*,\s*(\d+)\s*\)")
_BODY = re.compile(r"(\$\w*\$).*?\1", re.DOTALL)
_EVENTS = re.compile(r"\b(BEFORE|AFTER|INSTEAD OF) (.+?) ON ")


def _squeezed(sql: str) -> str:
    return " ".join(sql.split())


def _trigger_shape(definition: str) -> str:
    """A trigger's definition in one spelling: no schema, no ';', its events sorted.

    PostgreSQL prints ``BEFORE UPDATE OR DELETE`` as ``BEFORE DELETE OR UPDATE``,
    qualifies the table with its schema, and keeps no ``OR REPLACE``.
    """
    squeezed = _squeezed(definition).removesuffix(";").replace(" ON public.", " ON ")
    squeezed = squeezed.replace("CREATE OR REPLACE ", "CREATE ", 1)
    return _EVENTS.sub(
        lambda m: f"{m[1]} {' OR '.join(sorted(m[2].split(' OR ')))} ON ", squeezed, count=1
    )


def _latest_texts() -> dict[str, str]:
    return {name: ledger_sql(name, latest_version(name)) for name in sql_names()}


def _latest_functions() -> dict[str, str]:
    """Each ledger function's body, as its latest file defines it."""
    found = [(m[1], m[3]) for sql in _latest_texts().values() for m in _FUNCTION.finditer(sql)]
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), f"a function is defined in two files: {sorted(names)}"
    return {name: _squeezed(body) for name, body in found}


def _latest_triggers() -> dict[str, str]:
    found = [(m[1], m[0]) for sql in _latest_texts().values() for m in _TRIGGER.finditer(sql)]
    return {name: _trigger_shape(statement) for name, statement in found}


def _applied_by_migrations() -> list[tuple[str, str, int]]:
    """(migration file, name, version) of every ledger_sql call, in migration order."""
    applied: list[tuple[str, str, int]] = []
    for path in sorted(MIGRATIONS_DIR.joinpath("versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        calls = _APPLIED.findall(source)
        assert len(calls) == source.count("ledger_sql("), (
            f"{path.name} calls ledger_sql with something other than two literals"
        )
        applied += [(path.name, name, int(version)) for name, version in calls]
    return applied


def test_the_database_runs_exactly_the_latest_version_of_every_ledger_function(
    engine: Engine,
) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT proname, prosrc FROM pg_proc"
                " WHERE pronamespace = 'public'::regnamespace AND left(proname, 7) = 'ledger_'"
            )
        ).all()
    in_database = {name: _squeezed(source) for name, source in rows}
    assert len(rows) == len(in_database), "a ledger function is overloaded"
    files = _latest_functions()
    assert sorted(in_database) == sorted(files)
    for name, body in files.items():
        assert in_database[name] == body, f"{name} in the database is not its latest file"


def test_the_database_has_exactly_the_triggers_of_the_latest_files(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t"
                " JOIN pg_proc p ON p.oid = t.tgfoid"
                " WHERE NOT t.tgisinternal AND left(p.proname, 7) = 'ledger_'"
            )
        ).all()
    in_database = {name: _trigger_shape(definition) for name, definition in rows}
    assert in_database == _latest_triggers()


def test_the_trigger_shape_ignores_only_spelling() -> None:
    mine = "CREATE TRIGGER t BEFORE UPDATE OR DELETE ON postings\n    FOR EACH ROW EXECUTE f();"
    printed = "CREATE TRIGGER t BEFORE DELETE OR UPDATE ON public.postings FOR EACH ROW EXECUTE f()"
    assert _trigger_shape(mine) == _trigger_shape(printed)
    assert _trigger_shape(mine.replace("CREATE", "CREATE OR REPLACE")) == _trigger_shape(printed)
    assert _trigger_shape(mine) != _trigger_shape(printed.replace("ROW", "STATEMENT"))


def test_every_version_is_applied_by_one_migration_in_order() -> None:
    applied = _applied_by_migrations()
    pairs = [(name, version) for _, name, version in applied]
    assert len(pairs) == len(set(pairs)), "a version is applied twice"
    assert set(pairs) == {(name, v) for name in sql_names() for v in sql_versions(name)}
    for name in sql_names():
        in_order = [version for _, applied_name, version in applied if applied_name == name]
        assert in_order == sorted(in_order), f"{name}: a version applied before an older one"


# What each applied version executes (its text less the comments outside the
# function bodies), fingerprinted: a migration must keep building what it built,
# so an applied version never changes. A new version adds its line here.
APPLIED_SHA256 = {
    ("append_only", 1): "28dad017165d2395133709e5ea6e9d2823fd836c1f84990b4bec5b516e2b0b44",
    ("balance_triggers", 1): "c89050245dd174da25f89d53e76b691bc4ff3dfd24956f7f371de03ca5baf979",
    ("chain", 1): "0512f26c172ee65c476cf4eee3867b90002367a1c31a58ae9784694e9c89e2ac",
    ("entry_balanced", 1): "2754cf17746c1f871586ae838b1c5148b7232cd3a413303a63f0834b3863654a",
    ("lots", 1): "4862019347988f5620dd43b0b3e9d733fd34c4f0dafe071a81229d586c185ab0",
    ("post_entries", 1): "f60cffbaf854448ef2878f12975a785cf11de554d426d23d5555b130fb8eef88",
    ("post_entry", 1): "89aa0f1ef7b2c9ee7ea1df90c798f37c99adf029c7cc14965a56a030b8579804",
}


def _executable(sql: str) -> str:
    """The text PostgreSQL acts on: dollar-quoted bodies verbatim, the rest without comments."""
    kept, at = [], 0
    for body in _BODY.finditer(sql):
        kept += [_uncommented(sql[at : body.start()]), body[0]]
        at = body.end()
    return "".join([*kept, _uncommented(sql[at:])])


def _uncommented(sql: str) -> str:
    return _squeezed(re.sub(r"--[^\n]*", "", sql)) + " "


def test_an_applied_version_never_changes() -> None:
    fingerprints = {
        (name, version): hashlib.sha256(_executable(ledger_sql(name, version)).encode()).hexdigest()
        for name in sql_names()
        for version in sql_versions(name)
    }
    assert fingerprints == APPLIED_SHA256


def test_versions_run_from_one_without_gaps() -> None:
    for name in sql_names():
        assert sql_versions(name) == list(range(1, latest_version(name) + 1)), name


def test_every_folder_is_ledger_sql() -> None:
    folders = {p.name for p in SQL_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(sql_names())
    stray = [p for p in SQL_DIR.rglob("*.sql") if not re.fullmatch(r"v[1-9]\d*\.sql", p.name)]
    assert stray == []


@pytest.mark.parametrize(
    ("name", "version"), [(n, v) for n in sql_names() for v in sql_versions(n)]
)
def test_a_file_has_no_bind_parameter_for_alembic_to_trip_on(name: str, version: int) -> None:
    # op.execute reads a string as text(), where ":word" is a bind parameter.
    assert text(ledger_sql(name, version)).compile().params == {}


def test_a_file_opens_with_what_it_guarantees() -> None:
    for name in sql_names():
        for version in sql_versions(name):
            assert "-- Guarantees:" in ledger_sql(name, version).split("\nCREATE", 1)[0], name


def test_every_ledger_function_the_python_calls_is_in_a_file() -> None:
    functions = _latest_functions()
    called = {
        name
        for path in (ROOT / "ledger").rglob("*.py")
        for name in re.findall(r"\b(ledger_\w+)\(", path.read_text(encoding="utf-8"))
    } - {"ledger_sql"}
    assert called
    assert called <= set(functions)


def test_every_folder_the_docs_point_at_exists() -> None:
    readers = [*(ROOT / "ledger").rglob("*.py"), ROOT / "docs" / "ledger.md"]
    pointed = {
        folder
        for path in readers
        for folder in re.findall(r"ledger/sql/(\w+)/", path.read_text(encoding="utf-8"))
    }
    assert pointed
    assert pointed <= set(sql_names())


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(AssertionError):
        ledger_sql("no_such_idea", 1)


def test_the_wheel_ships_every_version(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("localcoin-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"ledger/sql/{p.relative_to(SQL_DIR)}" for p in SQL_DIR.rglob("v*.sql")}
    assert shipped
    assert shipped | {"ledger/sql/README.md", "ledger/sql/__init__.py"} <= names
