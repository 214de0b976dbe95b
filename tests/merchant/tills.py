"""Tills for tests: a shop's terminal key, tokens and cards a resident shows, balances to check."""

import itertools
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text

from kit.credentials import Role, issue_key
from ledger.accounts import get_balance
from ledger.chart import Standard, standard_account
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0
from tests.merchant.shops import Payer, Shop
from tests.wallet_api.test_residents_api import Town

_numbers = itertools.count(1)


def terminal_headers(town: Town, shop: Shop) -> dict[str, str]:
    """The key of a new terminal of the shop (a till: takes payments, nothing else)."""
    n = next(_numbers)

    def work(conn):  # type: ignore[no-untyped-def]
        ids = {"coin": shop.merchant.coin_id, "merchant": shop.merchant.id, "at": T0}
        store = conn.execute(
            text(
                "INSERT INTO stores (coin_id, public_id, merchant_id, name, created_at)"
                " VALUES (:coin, :pid, :merchant, '本店', :at) RETURNING id"
            ),
            {**ids, "pid": f"sto_test{n:012d}"},
        ).scalar_one()
        terminal = conn.execute(
            text(
                "INSERT INTO terminals (coin_id, public_id, merchant_id, store_id, name,"
                " created_at) VALUES (:coin, :pid, :merchant, :store, 'レジ1', :at) RETURNING id"
            ),
            {**ids, "pid": f"ter_test{n:012d}", "store": store},
        ).scalar_one()
        return issue_key(
            conn,
            coin_id=shop.merchant.coin_id,
            role=Role.MERCHANT,
            at=T0,
            label="till",
            merchant_id=shop.merchant.id,
            terminal_id=terminal,
        )

    key: str = run_in_transaction(town.engine, work)
    return {"Authorization": f"Bearer {key}"}


def payment_token(town: Town, payer: Payer) -> str:
    response = town.client.post("/v1/wallet/payment_tokens", headers=payer.headers)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def charge(
    client: TestClient,
    headers: dict[str, str],
    *,
    amount: int,
    token: str | None = None,
    key: str | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"amount": amount, **extra}
    if token is not None:
        body["payment_token"] = token
    sent = headers if key is None else {**headers, "Idempotency-Key": key}
    response: Response = client.post("/v1/charges", json=body, headers=sent)
    return response


def charged(town: Town, shop: Shop, payer: Payer, amount: int) -> dict[str, Any]:
    """A charge the shop took from the payer with a fresh token."""
    response = charge(town.client, shop.headers, amount=amount, token=payment_token(town, payer))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def wallet_balance(town: Town, payer: Payer) -> dict[str, int]:
    response = town.client.get("/v1/wallet", headers=payer.headers)
    assert response.status_code == 200, response.text
    balance: dict[str, int] = response.json()["balance"]
    return balance


def account_posted(town: Town, account_id: int) -> int:
    posted: int = run_in_transaction(
        town.engine,
        lambda c: get_balance(c, coin_id=town.coin.coin.id, account_id=account_id).posted,
    )
    return posted


def merchant_posted(town: Town, shop: Shop) -> int:
    return account_posted(town, shop.merchant.account_id)


def fees_posted(town: Town) -> int:
    def read(conn):  # type: ignore[no-untyped-def]
        fees = standard_account(conn, coin_id=town.coin.coin.id, code=Standard.REVENUE_FEES)
        return get_balance(conn, coin_id=town.coin.coin.id, account_id=fees.id).posted

    posted: int = run_in_transaction(town.engine, read)
    return posted


def set_fee(town: Town, shop: Shop, column: str, bp: int) -> None:
    """Gives the shop its own rate (``payment_bp``, ``cashout_bp``, ``btob_bp``)."""
    assert column in {"payment_bp", "cashout_bp", "btob_bp"}
    run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(f"UPDATE merchants SET {column} = :bp WHERE coin_id = :coin AND id = :id"),
            {"bp": bp, "coin": shop.merchant.coin_id, "id": shop.merchant.id},
        ),
    )


def count_rows(town: Town, table: str) -> int:
    assert table.isidentifier()
    rows: int = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(f"SELECT count(*) FROM {table} WHERE coin_id = :coin"),
            {"coin": town.coin.coin.id},
        ).scalar_one(),
    )
    return rows
