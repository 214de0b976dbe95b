"""``GET /v1/me``: which coin and role an API key stands for.

The bank and city console (``/admin``) asks this once after login to choose
the bank view (issuer), the city view (municipality) or both (operator),
instead of guessing from which calls fail. It reveals nothing the key's
holder does not already know; a merchant key gets its merchant's id too.

Refusal: ``unauthenticated`` (401) with no key or a bad one.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection

from kit.auth import current_key
from kit.credentials import ApiKey
from kit.errors import Code
from kit.refusal_docs import refusals
from ledger.coins import get_coin
from ledger.unit_of_work import run_in_transaction
from localcoin.operator_schemas import Me
from merchant.accounts.merchants import get_merchant

router = APIRouter(prefix="/v1", tags=["operator"])


@router.get(
    "/me",
    response_model=Me,
    responses=refusals(Code.UNAUTHENTICATED),
)
def who_am_i(request: Request, key: Annotated[ApiKey, Depends(current_key)]) -> Me:
    """The caller's role and coin."""

    def read(conn: Connection) -> Me:
        coin = get_coin(conn, key.coin_id)
        merchant = None
        if key.merchant_id is not None:
            merchant = get_merchant(conn, coin_id=key.coin_id, merchant_id=key.merchant_id)
        return Me(
            role=key.role.value,
            coin=coin.code,
            coin_name=coin.name,
            issuer_name=coin.issuer_name,
            merchant_id=None if merchant is None else merchant.public_id,
        )

    return run_in_transaction(request.app.state.engine, read)
