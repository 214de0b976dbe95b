"""``localcoin settlement …``: the bank's batches from the command line.

``settlement run --coin CODE --date YYYY-MM-DD [--out DIR]`` closes the day's
batch (one transaction, a progress bar over its payouts on stderr), then
writes its Zengin file into DIR (default: the current directory) and prints
the batch as one JSON object with ``file`` (the path, or null for a batch
with no payout). Running it again changes nothing and writes the same bytes.

Exit codes: 0 done; 1 the batch closed but its file was refused (the JSON
names the code, e.g. ``originator_not_set``); 2 nothing done (an unknown
coin, a cut-off not reached, a date out of range).
"""

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Connection, Engine

from kit.problems import Problem
from ledger.coins import find_coin
from ledger.errors import LedgerError
from ledger.unit_of_work import run_in_transaction
from localcoin.command_io import emit, fail, open_engine, progress, system_clock
from settlement.batch_files import export_batch
from settlement.batch_schemas import batch_public
from settlement.batches import Batch, Closing, batch_events, close_batch

settlement_app = typer.Typer(no_args_is_help=True, help="Settlement batches and Zengin files.")

ACTOR = "cli"


@settlement_app.command("run")
def settlement_run(
    coin: Annotated[str, typer.Option(help="The coin's code.")],
    date: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="The business date (Asia/Tokyo).")
    ],
    out: Annotated[
        Path, typer.Option(help="Directory to write the Zengin file into.", file_okay=False)
    ] = Path(),
) -> None:
    """Closes the business day's batch and writes its Zengin file."""
    engine = open_engine()
    clock = system_clock()
    try:
        the_coin = run_in_transaction(engine, lambda conn: find_coin(conn, coin))
    except LedgerError as error:
        raise fail(error.code.value, error.detail, exit_code=2) from None
    with progress() as bar:
        task = bar.add_task(f"closing {the_coin.code} {date:%Y-%m-%d}", total=None)

        def close(conn: Connection) -> Closing:
            return close_batch(
                conn,
                coin_id=the_coin.id,
                business_date=date.date(),
                actor=ACTOR,
                at=clock.now(),
                on_progress=lambda done, total: bar.update(task, completed=done, total=total),
            )

        try:
            closing = run_in_transaction(engine, close)
        except Problem as problem:
            raise fail(problem.code, problem.detail, exit_code=2) from None
    batch = closing.batch
    if batch.payout_count == 0:
        emit(_result(engine, batch, closing.closed_now, None))
        return
    try:
        exported, data = run_in_transaction(
            engine,
            lambda conn: export_batch(
                conn,
                coin_id=the_coin.id,
                batch_public_id=batch.public_id,
                actor=ACTOR,
                at=clock.now(),
            ),
        )
    except Problem as problem:
        emit(
            _result(engine, batch, closing.closed_now, None)
            | {"ok": False, "code": problem.code, "detail": problem.detail}
        )
        raise typer.Exit(1) from None
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"zengin_{batch.business_date:%Y%m%d}_{batch.public_id}.txt"
    path.write_bytes(data)
    emit(_result(engine, exported, closing.closed_now, path))


def _result(engine: Engine, batch: Batch, closed_now: bool, path: Path | None) -> dict[str, Any]:
    events = run_in_transaction(engine, lambda conn: batch_events(conn, batch=batch))
    shown = batch_public(batch, events=events).model_dump(
        mode="json", by_alias=True, exclude={"payouts"}
    )
    return {"ok": True, "closed_now": closed_now, "file": None if path is None else str(path)} | {
        "batch": shown
    }
