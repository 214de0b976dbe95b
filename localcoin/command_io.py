"""What every ``localcoin`` command shares: its result on stdout, progress on stderr,
the database it opens and the clock it reads.

Sub-command modules (settlement, reports) import these instead of the CLI
module, so the imports run one way: cli → sub-commands → command_io.
"""

import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from kit.database import make_engine, sqlalchemy_url
from kit.settings import get_settings
from ledger.clock import Clock, SystemClock
from ledger.coins import Coin, find_coin, list_coins
from ledger.unit_of_work import run_in_transaction
from localcoin.embedded_postgres import embedded_database_url

stderr = Console(stderr=True)


def emit(result: dict[str, Any]) -> None:
    """Prints the command's result: one JSON object on stdout."""
    sys.stdout.write(json.dumps(result, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail(code: str, detail: str, exit_code: int = 1) -> typer.Exit:
    emit({"ok": False, "code": code, "detail": detail})
    return typer.Exit(exit_code)


def database_url() -> str:
    """DATABASE_URL when set, else the embedded server's, as a psycopg 3 URL."""
    settings = get_settings()
    return sqlalchemy_url(settings.database_url or embedded_database_url(settings.home))


def open_engine() -> Engine:
    return make_engine(database_url(), pool_size=get_settings().pool_size)


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=False,
    )


def system_clock() -> Clock:
    return SystemClock()


def coins(engine: Engine, code: str | None) -> list[Coin]:
    """The coin named, or every coin when none is."""
    if code is None:
        return run_in_transaction(engine, list_coins)
    return [run_in_transaction(engine, lambda conn: find_coin(conn, code))]
