"""The municipality's points grants (行政ポイント) over HTTP."""

from fastapi import APIRouter, Request

from kit.auth import MunicipalityKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from wallet_api.issuance_schemas import PointsGrantCreate, PointsGrantPublic
from wallet_api.points_grants import grant_points
from wallet_api.rules import get_rules

router = APIRouter(route_class=IdempotentRoute, tags=["issuance"])


@router.post(
    "/points/grants",
    status_code=201,
    response_model=PointsGrantPublic,
    responses=refusals(
        Code.WALLET_NOT_FOUND,
        Code.AMOUNT_INVALID,
        Code.BATCH_TOO_LARGE,
        Code.WALLET_IDS_DUPLICATED,
        Code.EXPIRES_AT_INVALID,
        Code.LIMIT_EXCEEDED,
    ),
)
def create_points_grant(
    body: PointsGrantCreate, db: Db, key: MunicipalityKey, request: Request
) -> PointsGrantPublic:
    """Grants the same points to each wallet named, all or nothing.

    Refusals: amount_invalid, batch_too_large, wallet_ids_duplicated,
    expires_at_invalid (422); wallet_not_found (404); limit_exceeded (422,
    naming the wallet that would exceed its cap).
    """
    grant = grant_points(
        db,
        rules=get_rules(db, coin_id=key.coin_id),
        wallet_public_ids=body.wallet_ids,
        amount=body.amount,
        reason=body.reason,
        expires_at=body.expires_at,
        api_key_id=key.id,
        at=request.app.state.clock.now(),
    )
    return PointsGrantPublic(
        id=grant.public_id,
        amount=grant.amount,
        wallet_count=grant.wallet_count,
        total=grant.total,
        expires_at=grant.expires_at.isoformat(),
        reason=grant.reason,
        created_at=grant.created_at.isoformat(),
    )
