"""The ``localcoin`` command.

Results are one JSON object on stdout; progress and logs go to stderr.
"""

import ipaddress
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, text
from uvicorn.supervisors import Multiprocess

from kit.database import make_engine, sqlalchemy_url
from kit.settings import get_settings
from ledger.anchors import Anchor, chain_head, check_anchor
from ledger.chart import Standard, standard_account
from ledger.clock import Clock, end_of_business_date
from ledger.coins import Coin, find_coin, list_coins
from ledger.errors import LedgerError
from ledger.expiry import expire_lots
from ledger.unit_of_work import run_in_transaction
from ledger.verify import verify_coin
from localcoin.anchor_file import anchor_document, read_anchor_file, write_anchor_file
from localcoin.app import create_app
from localcoin.backup_commands import backup_app
from localcoin.coin_setup import set_up_coin
from localcoin.command_io import (
    coins,
    database_url,
    emit,
    fail,
    open_engine,
    progress,
    stderr,
    system_clock,
)
from localcoin.demo import DEMO_COIN, renew_demo, seed_demo
from localcoin.embedded_postgres import start_owned, stop_owned
from localcoin.import_command import import_command
from localcoin.key_commands import keys_app
from localcoin.log import configure_logging
from localcoin.migrate import current_revision, upgrade_to_head
from localcoin.notices_commands import notices_app
from localcoin.report_commands import report_app
from localcoin.sealer import seal_coin
from localcoin.secrets_commands import secrets_app
from localcoin.settlement_commands import settlement_app
from localcoin.stopping import exit_on_terminate, terminate_with_parent
from localcoin.webhook_commands import webhooks_app
from wallet_api.pins import PinHasher

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="The database schema.")
coin_app = typer.Typer(no_args_is_help=True, help="Coins (regional currencies).")
ledger_app = typer.Typer(no_args_is_help=True, help="The books: integrity and the hash chain.")
points_app = typer.Typer(no_args_is_help=True, help="Points and other expiring lots.")
app.add_typer(db_app, name="db")
app.add_typer(coin_app, name="coin")
app.add_typer(ledger_app, name="ledger")
app.add_typer(points_app, name="points")
app.add_typer(settlement_app, name="settlement")
app.add_typer(report_app, name="report")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(notices_app, name="notices")
app.add_typer(secrets_app, name="secrets")
app.add_typer(keys_app, name="keys")
app.add_typer(backup_app, name="backup")
app.command("import")(import_command)


@app.callback()
def _configure() -> None:
    settings = get_settings()
    configure_logging(level=settings.log_level, json_lines=settings.log_json)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrates the database to the newest schema."""
    url = database_url()
    with stderr.status("migrating"):
        upgrade_to_head(url)
    emit({"ok": True, "revision": current_revision(url)})


@coin_app.command("create")
def coin_create(
    code: Annotated[str, typer.Option(help="Short upper-case code, e.g. SARUBOBO.")],
    name: Annotated[str, typer.Option(help="The name residents see.")],
    issuer: Annotated[str, typer.Option(help="The issuing financial institution.")],
) -> None:
    """Creates a coin with its chart of accounts and its operator, issuer and municipality keys."""
    upgrade_to_head(database_url())
    engine = open_engine()
    now = system_clock().now()
    try:
        created = run_in_transaction(
            engine,
            lambda conn: set_up_coin(conn, code=code, name=name, issuer_name=issuer, at=now),
        )
    except LedgerError as error:
        raise fail(error.code.value, error.detail) from None
    emit(created.as_json())


@ledger_app.command("verify")
def ledger_verify(
    coin: Annotated[str | None, typer.Option(help="Only this coin (its code).")] = None,
    anchor: Annotated[
        Path | None,
        typer.Option(
            help="An anchor file (ledger anchor --out): each coin's chain must still pass "
            "through the head recorded there.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Checks that every entry balances, cached balances equal the postings, and the hash
    chain is intact. Seals committed entries first. Exit 0 only if everything holds."""
    engine = open_engine()
    clock = system_clock()
    try:
        chosen = coins(engine, coin)
        anchors = _anchors_of(chosen, anchor, coin)
    except LedgerError as error:
        raise fail(error.code.value, error.detail, exit_code=2) from None
    except ValueError as error:
        raise fail("anchor_file_invalid", str(error), exit_code=2) from None
    reports = []
    with progress() as bar:
        task = bar.add_task("verifying coins", total=len(chosen))
        for each in chosen:
            sealed_now = seal_coin(engine, each.id, clock)
            with engine.connect() as conn:
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                report = verify_coin(conn, coin_id=each.id).as_dict()
                if each.code in anchors:
                    checked = check_anchor(conn, coin_id=each.id, anchor=anchors[each.code])
                    report["anchor"] = checked.as_dict()
                    report["ok"] = report["ok"] and checked.on_chain
                conn.rollback()
            reports.append({"code": each.code, "sealed_now": sealed_now} | report)
            bar.advance(task)
    ok = all(r["ok"] for r in reports)
    emit(
        {
            "ok": ok,
            "coins": len(reports),
            "entries": sum(r["entries"] for r in reports),
            "postings": sum(r["postings"] for r in reports),
            "reports": reports,
        }
    )
    raise typer.Exit(0 if ok else 1)


def _anchors_of(chosen: list[Coin], path: Path | None, code: str | None) -> dict[str, Anchor]:
    """The anchors in ``path`` for the coins being verified; an anchored coin that the
    database no longer has is refused (ValueError), as a rewritten chain would be."""
    if path is None:
        return {}
    anchors = {a.coin_code: a for a in read_anchor_file(path) if code in (None, a.coin_code)}
    missing = sorted(set(anchors) - {each.code for each in chosen})
    if missing:
        raise ValueError(f"anchored coins missing from the database: {', '.join(missing)}")
    return anchors


@ledger_app.command("anchor")
def ledger_anchor(
    coin: Annotated[str | None, typer.Option(help="Only this coin (its code).")] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Also write the result to this new file (never overwritten).", dir_okay=False
        ),
    ] = None,
) -> None:
    """Seals committed entries, then prints each coin's hash chain head (index and hash) to
    record outside the database; ``ledger verify --anchor FILE`` checks it later."""
    engine = open_engine()
    clock = system_clock()
    try:
        chosen = coins(engine, coin)
    except LedgerError as error:
        raise fail(error.code.value, error.detail, exit_code=2) from None
    for each in chosen:
        seal_coin(engine, each.id, clock)
    with engine.connect() as conn:
        # One snapshot: the heads of every coin as of one instant.
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        heads = [chain_head(conn, coin_id=each.id, coin_code=each.code) for each in chosen]
        conn.rollback()
    document = anchor_document(heads, anchored_at=clock.now().isoformat())
    if out is not None:
        try:
            write_anchor_file(out, document)
        except FileExistsError:
            raise fail("anchor_file_exists", f"{out} exists; an anchor is never replaced") from None
    emit(document)


@ledger_app.command("seal")
def ledger_seal() -> None:
    """Links every committed entry into its coin's hash chain now."""
    engine = open_engine()
    clock = system_clock()
    sealed = {c.code: seal_coin(engine, c.id, clock) for c in coins(engine, None)}
    emit({"ok": True, "sealed": sealed})


@points_app.command("expire")
def points_expire(
    coin: Annotated[str, typer.Option(help="The coin's code.")],
    as_of: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Expire lots dated up to the end of this day (Asia/Tokyo). Default: now.",
        ),
    ] = None,
) -> None:
    """Moves what is left of lots past their date to breakage (revenue:breakage)."""
    engine = open_engine()
    clock = system_clock()
    try:
        the_coin = run_in_transaction(engine, lambda conn: find_coin(conn, coin))
    except LedgerError as error:
        raise fail(error.code.value, error.detail, exit_code=2) from None
    cutoff = end_of_business_date(as_of.date()) if as_of is not None else clock.now()
    breakage = run_in_transaction(
        engine,
        lambda conn: standard_account(conn, coin_id=the_coin.id, code=Standard.REVENUE_BREAKAGE),
    )
    due = run_in_transaction(
        engine,
        lambda conn: conn.execute(
            text(
                "SELECT count(*) FROM lots WHERE coin_id = :coin AND remaining > 0"
                " AND expires_at <= :cutoff"
            ),
            {"coin": the_coin.id, "cutoff": cutoff},
        ).scalar_one(),
    )
    lots = amount = 0
    with progress() as bar:
        task = bar.add_task("expiring lots", total=due)
        while True:
            batch = run_in_transaction(
                engine,
                lambda conn: expire_lots(
                    conn,
                    coin_id=the_coin.id,
                    as_of=cutoff,
                    at=clock.now(),
                    breakage_account_id=breakage.id,
                ),
            )
            if not batch:
                break
            lots += len(batch)
            amount += sum(e.amount for e in batch)
            bar.advance(task, len(batch))
    emit(
        {
            "ok": True,
            "coin": the_coin.code,
            "as_of": cutoff.isoformat(),
            "lots_expired": lots,
            "amount": amount,
        }
    )


@app.command()
def openapi() -> None:
    """Prints the API's OpenAPI document (what /openapi.json serves), e.g. to generate a client.

    It needs no database: the document is the app's, not the data's.
    """
    unconnected = make_engine("postgresql+psycopg://localcoin@127.0.0.1:1/localcoin", pool_size=1)
    emit(create_app(unconnected, system_clock(), run_sealer=False).openapi())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Seed a demo coin into an empty database, or make its keys afresh, "
            "and print its logins.",
        ),
    ] = False,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset", help="With --demo: start from an empty database (the demo's only)."
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (each has its own connection pool); "
            "by default one per CPU core.",
        ),
    ] = None,
) -> None:
    """Runs the API. Migrates the database first.

    Without DATABASE_URL it runs on the embedded PostgreSQL; if it started that
    server, it stops it when it ends (Ctrl-C, SIGTERM, or its parent dying).
    """
    settings = get_settings()
    if (demo or reset) and settings.environment == "production":
        raise fail("demo_refused", "no demo data in production")
    if reset and not demo:
        raise fail("reset_needs_demo", "--reset starts the demo afresh; give --demo too")
    exposed = settings.development_secrets() if not is_loopback(host) else []
    if exposed:
        # The repository's development secrets are public: anyone could forge
        # payment tokens or read sealed secrets of a server others can reach.
        raise fail(
            "development_secrets_refused",
            f"serving on {host} needs real secrets; set {', '.join(exposed)}",
        )
    exit_on_terminate()
    embedded = None if settings.database_url else start_owned(settings.home)
    try:
        if embedded is not None and embedded.owned:
            terminate_with_parent()
        _serve(
            sqlalchemy_url(embedded.url) if embedded else database_url(),
            host=host,
            port=port,
            demo=demo,
            reset=reset,
            workers=workers or default_workers(),
        )
    finally:
        if embedded is not None:
            stop_owned(embedded)


def _serve(url: str, *, host: str, port: int, demo: bool, reset: bool, workers: int) -> None:
    settings = get_settings()
    if reset:
        _reset_demo_database(url)
    upgrade_to_head(url)
    engine = make_engine(url, pool_size=settings.pool_size)
    clock = system_clock()
    if demo:
        emit(_seed_demo(engine, clock) | {"url": f"http://{host}:{port}"})
        _say_where_to_click(f"http://{host}:{port}", json_lines=settings.log_json)
    if workers == 1:
        uvicorn.run(create_app(engine, clock), host=host, port=port, log_config=None)
        return
    engine.dispose()
    # One Python process is bound by the GIL, so a machine's cores need workers.
    config = uvicorn.Config(
        "localcoin.cli:served_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_config=None,
    )
    Multiprocess(config, sockets=[listening_socket(host, port)]).run()


def is_loopback(host: str) -> bool:
    """Only this machine can reach the address (names other than localhost count as exposed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_workers() -> int:
    """One process per core the scheduler lets us use: one Python process is bound by the GIL."""
    return max(1, len(os.sched_getaffinity(0)))


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket the workers share, made with an explicit IPPROTO_TCP.

    uvicorn's own (``uvicorn.run(workers=N)``) leaves the protocol 0, so asyncio
    does not set TCP_NODELAY on accepted connections and every keep-alive
    response waits out the client's delayed ACK: 44 ms instead of 1 ms per
    request (docs/benchmarks.md, the HTTP payments section).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def served_app() -> FastAPI:
    """The app of one worker process of ``serve --workers N`` (the parent migrated)."""
    # A parent killed outright (SIGKILL, OOM) cannot stop its workers; the kernel
    # can, or they would go on serving, holding the port and the database.
    terminate_with_parent()
    settings = get_settings()
    configure_logging(level=settings.log_level, json_lines=settings.log_json)
    return create_app(make_engine(database_url(), pool_size=settings.pool_size), system_clock())


def _say_where_to_click(where: str, *, json_lines: bool) -> None:
    """One line for the newcomer after the logins; a log event where stderr is JSON."""
    apps = {"wallet": f"{where}/", "merchant": f"{where}/merchant", "admin": f"{where}/admin"}
    if json_lines:
        structlog.get_logger(__name__).info("demo_ready", **apps)
        return
    stderr.print(
        f"Open {apps['wallet']} (residents' wallet), {apps['merchant']} (shops) and "
        f"{apps['admin']} (bank and city), and log in with the keys and PINs above.",
        highlight=False,
        soft_wrap=True,
    )


def _seed_demo(engine: Engine, clock: Clock) -> dict[str, Any]:
    existing = {coin.code for coin in run_in_transaction(engine, list_coins)}
    if DEMO_COIN["code"] in existing:
        return run_in_transaction(engine, lambda conn: renew_demo(conn, clock=clock))
    if existing:
        return {
            "demo": "skipped",
            "detail": "the database holds other coins; the demo is seeded only into an "
            "empty database",
        }
    settings = get_settings()
    hasher = PinHasher(
        pepper=settings.pin_pepper,
        memory_kib=settings.pin_hash_memory_kib,
        time_cost=settings.pin_hash_time_cost,
    )
    return run_in_transaction(engine, lambda conn: seed_demo(conn, clock=clock, hasher=hasher))


def _reset_demo_database(url: str) -> None:
    """Empties the database, which must hold nothing but the demo coin."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            has_coins = conn.execute(text("SELECT to_regclass('public.coins')")).scalar()
            others = (
                conn.execute(
                    text("SELECT count(*) FROM coins WHERE code <> :demo"),
                    {"demo": DEMO_COIN["code"]},
                ).scalar_one()
                if has_coins
                else 0
            )
            if others:
                raise fail(
                    "reset_refused",
                    "the database holds coins other than the demo's; --reset empties "
                    "only a demo database",
                )
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


if __name__ == "__main__":
    app()
