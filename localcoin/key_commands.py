"""``localcoin keys …``: named API keys from the server's shell.

For the operator at the server (the first keys, a locked-out bank): the same
rules as ``/v1/api_keys`` except the rank check, since the shell is above
every key. Each command prints one JSON object on stdout; a refusal prints
``{"ok": false, "code", "detail"}`` and exits 1.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from sqlalchemy import Connection

from kit.credentials import Role
from kit.named_keys import NAMED_ROLES, create_key, find_key_coin, list_keys, revoke, rotate
from kit.problems import Problem
from ledger.coins import find_coin
from ledger.errors import LedgerError
from ledger.unit_of_work import run_in_transaction
from localcoin.api_key_schemas import NamedKeyPublic, NamedKeyWithSecret
from localcoin.command_io import emit, fail, open_engine, system_clock

keys_app = typer.Typer(no_args_is_help=True, help="Named API keys for people and integrations.")

T = TypeVar("T")
_LIST_PAGE = 100


def _in_transaction(work: Callable[[Connection], T]) -> T:
    engine = open_engine()
    try:
        return run_in_transaction(engine, work)
    except Problem as refused:
        raise fail(refused.code, refused.detail) from refused
    except LedgerError as refused:
        raise fail(refused.code.value, refused.detail) from refused
    finally:
        engine.dispose()


@keys_app.command("create")
def keys_create(
    coin: Annotated[str, typer.Option(help="The coin's code.")],
    role: Annotated[str, typer.Option(help="operator, issuer or municipality.")],
    label: Annotated[str, typer.Option(help="Who or what holds the key.")],
    expires_at: Annotated[
        datetime | None, typer.Option(help="When the key stops working (ISO 8601, UTC).")
    ] = None,
) -> None:
    """Makes a key and prints it with its secret, this once: {"id", "key", "role", "label"}."""
    if role not in {r.value for r in NAMED_ROLES}:
        raise fail("key_role_not_allowed", "the role is operator, issuer or municipality")
    now = system_clock().now()
    expiry = None if expires_at is None else expires_at.astimezone(now.tzinfo)

    def work(conn: Connection) -> NamedKeyWithSecret:
        coin_id = find_coin(conn, coin).id
        key, secret = create_key(
            conn, coin_id=coin_id, role=Role(role), label=label, at=now, expires_at=expiry
        )
        return NamedKeyWithSecret.revealing(key, secret)

    emit(_in_transaction(work).model_dump())


@keys_app.command("list")
def keys_list(coin: Annotated[str, typer.Option(help="The coin's code.")]) -> None:
    """The coin's named keys, newest first, never their secrets: {"coin", "data"}."""

    def work(conn: Connection) -> list[NamedKeyPublic]:
        coin_id = find_coin(conn, coin).id
        listed: list[NamedKeyPublic] = []
        after: str | None = None
        while True:
            keys, more = list_keys(conn, coin_id=coin_id, limit=_LIST_PAGE, starting_after=after)
            listed += [NamedKeyPublic.of(k) for k in keys]
            if not more:
                return listed
            after = keys[-1].public_id

    emit({"coin": coin, "data": [k.model_dump() for k in _in_transaction(work)]})


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (key_…).")]) -> None:
    """Revokes the key: from now on it is refused. Prints the key."""
    now = system_clock().now()

    def work(conn: Connection) -> NamedKeyPublic:
        coin_id = find_key_coin(conn, key_id)
        return NamedKeyPublic.of(revoke(conn, coin_id=coin_id, public_id=key_id, at=now))

    emit(_in_transaction(work).model_dump())


@keys_app.command("rotate")
def keys_rotate(key_id: Annotated[str, typer.Argument(help="The key's id (key_…).")]) -> None:
    """A new key for the same holder, printed with its secret; the old one is revoked."""
    now = system_clock().now()

    def work(conn: Connection) -> NamedKeyWithSecret:
        coin_id = find_key_coin(conn, key_id)
        key, secret = rotate(conn, coin_id=coin_id, public_id=key_id, at=now)
        return NamedKeyWithSecret.revealing(key, secret)

    emit(_in_transaction(work).model_dump())
