"""``GET /v1/me``: which coin and role an API key stands for.

The bank and city console (``/admin``) asks this once after login to choose
the bank view (issuer), the city view (municipality) or both (operator),
instead of guessing from which calls fail. It reveals nothing the key's
holder does not already know; a merchant key gets its merchant's id too.

Refusal: ``unauthenticated`` (401) with no key or a bad one.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection, text

from kit.auth import current_key
from kit.credentials import ApiKey
from kit.errors import Code
from kit.refusal_docs import refusals
from ledger.unit_of_work import run_in_transaction

router = APIRouter(prefix="/v1", tags=["operator"])


class Me(BaseModel):
    role: Literal["operator", "issuer", "municipality", "merchant"]
    coin: str = Field(description="The coin's code.")
    coin_name: str
    issuer_name: str
    merchant_id: str | None = Field(description="For a merchant's key, its merchant (mer_…).")


@router.get(
    "/me",
    response_model=Me,
    responses=refusals(Code.UNAUTHENTICATED),
)
def who_am_i(request: Request, key: Annotated[ApiKey, Depends(current_key)]) -> Me:
    """The caller's role and coin."""

    def read(conn: Connection) -> Me:
        code, name, issuer = conn.execute(
            text("SELECT code, name, issuer_name FROM coins WHERE id = :id"), {"id": key.coin_id}
        ).one()
        merchant = None
        if key.merchant_id is not None:
            merchant = conn.execute(
                text("SELECT public_id FROM merchants WHERE coin_id = :coin AND id = :id"),
                {"coin": key.coin_id, "id": key.merchant_id},
            ).scalar_one()
        return Me(
            role=key.role.value,
            coin=code,
            coin_name=name,
            issuer_name=issuer,
            merchant_id=merchant,
        )

    return run_in_transaction(request.app.state.engine, read)
