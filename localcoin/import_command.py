"""``localcoin import FILE --coin CODE [--dry-run]``: open a coin's books from another platform.

Prints the import's figures as one JSON object; a refusal prints
``{"ok": false, "code", "detail", "errors": [{"line", "field", "detail"}]}``
and exits 1 with nothing written. ``--dry-run`` runs the whole import and
rolls it back, so it reports exactly what a real run would do.
"""

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Connection

from ledger.coins import find_coin
from ledger.errors import LedgerError
from localcoin.books_import import ImportRefused, ImportReport, import_books
from localcoin.command_io import emit, fail, open_engine, progress, system_clock
from localcoin.import_file import read_export


class _DryRun(Exception):  # noqa: N818 - carries the report out of the rolled-back transaction
    def __init__(self, report: ImportReport) -> None:
        super().__init__("dry run")
        self.report = report


def import_command(
    file: Annotated[Path, typer.Argument(help="The export (CSV, UTF-8).", exists=True)],
    coin: Annotated[str, typer.Option(help="The coin's code.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would happen; write nothing.")
    ] = False,
) -> None:
    """Opens the coin's books from another platform's export: all of it, or nothing."""
    export = read_export(file)
    engine = open_engine()
    now = system_clock().now()
    try:
        with progress() as bar:
            task = bar.add_task("importing", total=len(export.residents) + len(export.merchants))

            def work(conn: Connection) -> ImportReport:
                report = import_books(
                    conn,
                    coin=find_coin(conn, coin),
                    export=export,
                    at=now,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
                if dry_run:
                    raise _DryRun(report)
                return report

            with engine.connect() as conn:
                try:
                    with conn.begin():
                        report = work(conn)
                except _DryRun as rehearsed:
                    report = rehearsed.report
    except ImportRefused as refused:
        emit(refused.as_json())
        raise typer.Exit(1) from refused
    except LedgerError as refused:
        raise fail(refused.code.value, refused.detail) from refused
    finally:
        engine.dispose()
    emit(report.as_json() | {"dry_run": dry_run})
