"""``localcoin report …``: statutory and municipal reports from the command line.

Each command prints one JSON object on stdout (the same figures as the HTTP
report) and shows its progress on stderr. A refusal prints
``{"ok": false, "code", "detail"}`` and exits 1; an unknown coin is
``coin_not_found``.
"""

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy import Connection, Engine

from kit.problems import Problem
from ledger.coins import Coin, find_coin
from ledger.errors import LedgerError
from ledger.unit_of_work import run_in_transaction
from localcoin.command_io import emit, fail, open_engine, progress, system_clock
from settlement.fee_statement import fee_statement, parse_month
from settlement.kpi import kpi
from settlement.open_data import check_open_period, kpi_csv
from settlement.qualified_invoice import tax_by_merchant
from settlement.report_schemas import FeeStatementPublic, KpiPublic, UnusedBalancePublic
from settlement.unused_balance import unused_balance

report_app = typer.Typer(no_args_is_help=True, help="Statutory and municipal reports.")

T = TypeVar("T")

CoinOption = Annotated[str, typer.Option("--coin", help="The coin's code.")]


def _run(
    steps: list[str], work: Callable[[Connection, Coin, Callable[[], None]], T], code: str
) -> T:
    """Runs ``work`` in one read transaction, advancing a progress bar on stderr per step."""
    engine: Engine = open_engine()
    try:
        with progress() as bar:
            task = bar.add_task(steps[0], total=len(steps))
            following = iter(steps[1:])

            def advance() -> None:
                # The last step's name stays on the finished bar.
                bar.update(task, advance=1, description=next(following, None))

            def read(conn: Connection) -> T:
                coin = find_coin(conn, code)
                return work(conn, coin, advance)

            return run_in_transaction(engine, read)
    except (Problem, LedgerError) as error:
        code_ = error.code if isinstance(error, Problem) else error.code.value
        raise fail(code_, error.detail) from error
    finally:
        engine.dispose()


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise fail("date_invalid", f"{option} {value!r} is not a YYYY-MM-DD date") from error


@report_app.command("unused-balance")
def report_unused_balance(
    coin: CoinOption,
    base_date: Annotated[str, typer.Option("--base-date", help="3/31 or 9/30, YYYY-MM-DD.")],
    any_date: Annotated[
        bool, typer.Option("--any-date", help="Allow another date (statutory is then false).")
    ] = False,
) -> None:
    """The Payment Services Act unused balance at a base date, from the ledger as it stood then."""
    day = _date(base_date, "--base-date")

    def work(conn: Connection, found: Coin, advance: Callable[[], None]) -> dict[str, Any]:
        figures = unused_balance(
            conn, coin_id=found.id, base_date=day, now=system_clock().now(), any_date=any_date
        )
        advance()
        return UnusedBalancePublic.of(found.code, figures).model_dump()

    emit(_run(["reading balances as of the base date"], work, coin))


@report_app.command("fees")
def report_fees(
    coin: CoinOption, month: Annotated[str, typer.Option("--month", help="YYYY-MM.")]
) -> None:
    """The month's fee revenue by merchant and kind, and each party's share."""

    def work(conn: Connection, found: Coin, advance: Callable[[], None]) -> dict[str, Any]:
        first = parse_month(month)
        statement = fee_statement(conn, coin_id=found.id, month=first)
        taxes = tax_by_merchant(conn, coin_id=found.id, month=first)
        advance()
        return FeeStatementPublic.of(found.code, statement, taxes).model_dump()

    emit(_run(["reading the month's fees"], work, coin))


@report_app.command("kpi")
def report_kpi(
    coin: CoinOption,
    date_from: Annotated[str, typer.Option("--from", help="First date, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last date, YYYY-MM-DD.")],
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Also write the open-data CSV to this file.")
    ] = None,
) -> None:
    """The municipality's figures for the period; optionally the open-data CSV too."""
    first, last = _date(date_from, "--from"), _date(date_to, "--to")

    def work(conn: Connection, found: Coin, advance: Callable[[], None]) -> dict[str, Any]:
        figures = kpi(conn, coin_id=found.id, date_from=first, date_to=last)
        advance()
        if csv is not None:
            check_open_period(first, last)
            csv.write_text(kpi_csv(figures), encoding="utf-8")
        advance()
        result = KpiPublic.of(found.code, figures).model_dump(by_alias=True)
        return result | ({"csv": str(csv)} if csv is not None else {})

    emit(_run(["reading the period's figures", "writing the CSV"], work, coin))
