"""What a resident may look up before and after signing up: the coins on this
deployment and the premium campaigns on sale in their own coin.

- ``GET /v1/coins`` is public (the sign-up page lists the towns' coins): only
  what is printed on the coin's posters anyway (code, name, issuer), never a
  figure from the books.
- ``GET /v1/wallet/premium_campaigns`` lists the campaigns of the resident's
  coin whose sales window is open now, so the wallet can offer them; reserving
  units is ``POST /v1/premium_campaigns/{id}/purchases``.

Both lists are cursor-paginated like every list of the API.

Refusals: ``unauthenticated`` (401) without a resident's token;
``coin_not_found`` (404) for an unknown coin code; ``wallet_not_found`` (404)
for a coin the resident holds no wallet in.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from kit.auth import CurrentResident
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from wallet_api.issuance_schemas import CampaignPublic
from wallet_api.resident_coins import resident_coin
from wallet_api.residents import wallet_of

router = APIRouter(route_class=IdempotentRoute, tags=["residents"])

LIST_MAX = 100


class CoinListing(BaseModel):
    code: str = Field(description="The coin's code, as sign-up takes it.")
    name: str = Field(description="The name residents see (みどり市コイン).")
    issuer_name: str = Field(description="The financial institution that issues it.")


class CoinDirectory(BaseModel):
    data: list[CoinListing]
    has_more: bool


class CampaignDirectory(BaseModel):
    data: list[CampaignPublic]
    has_more: bool


@router.get("/coins", response_model=CoinDirectory)
def list_coins(
    db: Db,
    limit: Annotated[int, Query(ge=1, le=LIST_MAX)] = LIST_MAX,
    starting_after: Annotated[
        str | None, Query(description="The code of the last coin seen.", max_length=16)
    ] = None,
) -> CoinDirectory:
    """The coins on this deployment, by code."""
    rows = db.execute(
        text(
            "SELECT code, name, issuer_name FROM coins"
            " WHERE (CAST(:after AS text) IS NULL OR code > :after)"
            " ORDER BY code LIMIT :limit"
        ),
        {"after": starting_after, "limit": limit + 1},
    ).all()
    coins = [CoinListing(code=r.code, name=r.name, issuer_name=r.issuer_name) for r in rows]
    return CoinDirectory(data=coins[:limit], has_more=len(coins) > limit)


@router.get(
    "/wallet/premium_campaigns",
    response_model=CampaignDirectory,
    responses=refusals(Code.COIN_NOT_FOUND, Code.WALLET_NOT_FOUND),
)
def list_open_campaigns(
    *,
    db: Db,
    resident_id: CurrentResident,
    request: Request,
    coin: Annotated[
        str | None, Query(description="The coin's code; default: the home coin.", max_length=16)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=LIST_MAX)] = 20,
    starting_after: Annotated[
        str | None, Query(description="The id of the last campaign seen.", max_length=40)
    ] = None,
) -> CampaignDirectory:
    """Campaigns on sale now in the resident's coin, the one ending soonest first."""
    the_coin = resident_coin(db, resident_id=resident_id, code=coin)
    wallet_of(db, coin_id=the_coin.id, resident_id=resident_id)
    rows = db.execute(
        text(
            "SELECT public_id, name, price, face_value, per_resident_limit, total_units,"
            " sold_units, starts_at, ends_at, premium_expires_at FROM premium_campaigns"
            " WHERE coin_id = :coin AND starts_at <= :now AND ends_at > :now"
            " AND (CAST(:after AS text) IS NULL OR (ends_at, public_id) > ("
            "   SELECT ends_at, public_id FROM premium_campaigns"
            "   WHERE coin_id = :coin AND public_id = :after))"
            " ORDER BY ends_at, public_id LIMIT :limit"
        ),
        {
            "coin": the_coin.id,
            "now": request.app.state.clock.now(),
            "after": starting_after,
            "limit": limit + 1,
        },
    ).all()
    campaigns = [
        CampaignPublic(
            id=r.public_id,
            name=r.name,
            price=r.price,
            face_value=r.face_value,
            premium=r.face_value - r.price,
            per_resident_limit=r.per_resident_limit,
            total_units=r.total_units,
            sold_units=r.sold_units,
            starts_at=r.starts_at.isoformat(),
            ends_at=r.ends_at.isoformat(),
            premium_expires_at=r.premium_expires_at.isoformat(),
        )
        for r in rows
    ]
    return CampaignDirectory(data=campaigns[:limit], has_more=len(campaigns) > limit)
