"""The municipality's points grants (行政ポイント) over HTTP."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kit.auth import MunicipalityKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from wallet_api.approvals import Kind
from wallet_api.issuance import issue_or_hold
from wallet_api.issuance_schemas import PointsGrantCreate, PointsGrantPublic

router = APIRouter(route_class=IdempotentRoute, tags=["issuance"])


@router.post(
    "/points/grants",
    status_code=201,
    response_model=PointsGrantPublic,
    responses=refusals(
        Code.COIN_WINDING_DOWN,
        Code.WALLET_NOT_FOUND,
        Code.AMOUNT_INVALID,
        Code.BATCH_TOO_LARGE,
        Code.WALLET_IDS_DUPLICATED,
        Code.EXPIRES_AT_INVALID,
        Code.LIMIT_EXCEEDED,
        Code.POINTS_BUDGET_EXCEEDED,
        Code.ISSUANCE_CEILING_EXCEEDED,
    )
    | {202: {"description": "Above the coin's approval threshold: pending_approval"}},
)
def create_points_grant(
    body: PointsGrantCreate, db: Db, key: MunicipalityKey, request: Request
) -> PointsGrantPublic | JSONResponse:
    """Grants the same points to each wallet named, all or nothing.

    Refusals: amount_invalid, batch_too_large, wallet_ids_duplicated,
    expires_at_invalid (422); wallet_not_found (404); limit_exceeded (422,
    naming the wallet that would exceed its cap), points_budget_exceeded and
    issuance_ceiling_exceeded (422). A grant whose total is above the coin's
    approval_threshold answers 202 ``{"status": "pending_approval",
    "approval_id"}`` and waits for another municipality key.
    """
    status, answer = issue_or_hold(
        db,
        kind=Kind.POINTS_GRANT,
        request=body.model_dump(mode="json"),
        key=key,
        at=request_clock(request).now(),
    )
    if status == 202:
        return JSONResponse(answer, status_code=202)
    return PointsGrantPublic.model_validate(answer)
