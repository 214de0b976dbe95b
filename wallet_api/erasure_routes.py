"""Erasing a resident's personal data over HTTP: the issuer (or the operator) of their coin."""

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from kit.auth import IssuerOrOperatorKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from wallet_api.resident_erasure import erase_resident

router = APIRouter(route_class=IdempotentRoute, tags=["residents"])


class ErasurePublic(BaseModel):
    resident_id: str
    erased_at: str = Field(description="ISO 8601, UTC: when the personal data was erased.")


@router.post(
    "/residents/{resident_id}/erasure",
    response_model=ErasurePublic,
    responses=refusals(
        Code.RESIDENT_NOT_FOUND, Code.ERASURE_BALANCE_REMAINING, Code.RETENTION_PERIOD_RUNNING
    ),
)
def erase(resident_id: str, db: Db, key: IssuerOrOperatorKey, request: Request) -> ErasurePublic:
    """Erases the resident's personal data at their request, once the records need no
    longer be kept: name, login ids, PIN, verification reference and the rest are
    pseudonymised; the books stay whole. Asked again, answers the first erasure."""
    erasure = erase_resident(
        db,
        coin_id=key.coin_id,
        resident_public_id=resident_id,
        at=request_clock(request).now(),
    )
    return ErasurePublic(
        resident_id=erasure.resident_public_id, erased_at=erasure.erased_at.isoformat()
    )
