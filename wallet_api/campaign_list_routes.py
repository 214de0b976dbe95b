"""``GET /v1/premium_campaigns``: the coin's premium campaigns with their sales so far.

The city's console lists its campaigns and how they sell: units reserved
(``sold_units``, the campaign's own counter) and, from the purchases, the
units paid for and the yen taken and premium promised on them. Newest first,
paginated by campaign id. Municipality and issuer keys, own coin only, as
for one campaign (``GET /v1/premium_campaigns/{id}``).

Refusals: ``forbidden`` (403) for another role; ``campaign_not_found`` (404)
for a ``starting_after`` of another coin.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import text

from kit.auth import MunicipalityOrIssuerKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from wallet_api.issuance_schemas import CampaignPublic, campaign_public
from wallet_api.premium import find_campaign

# IdempotentRoute opens the read transaction behind ``Db`` (GETs are never replayed).
router = APIRouter(route_class=IdempotentRoute, tags=["issuance"])

PAGE_MAX = 100


class CampaignSales(CampaignPublic):
    paid_units: int = Field(description="Units paid for at the issuer.")
    paid_price: int = Field(description="Yen taken for them.")
    paid_premium: int = Field(description="Premium credited on them, funded by the city.")


class CampaignPage(BaseModel):
    data: list[CampaignSales]
    has_more: bool


@router.get(
    "/premium_campaigns", response_model=CampaignPage, responses=refusals(Code.CAMPAIGN_NOT_FOUND)
)
def list_premium_campaigns(
    db: Db,
    key: MunicipalityOrIssuerKey,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 20,
    starting_after: Annotated[str | None, Query(max_length=64)] = None,
) -> CampaignPage:
    """The coin's campaigns, newest first, each with its sales."""
    after = None
    if starting_after is not None:
        after = find_campaign(db, coin_id=key.coin_id, campaign_public_id=starting_after).id
    ids = (
        db.execute(
            text(
                "SELECT public_id FROM premium_campaigns WHERE coin_id = :coin"
                " AND (CAST(:after AS bigint) IS NULL OR id < :after)"
                " ORDER BY id DESC LIMIT :limit"
            ),
            {"coin": key.coin_id, "after": after, "limit": limit + 1},
        )
        .scalars()
        .all()
    )
    data = []
    for pid in ids[:limit]:
        campaign = find_campaign(db, coin_id=key.coin_id, campaign_public_id=pid)
        units, price, face = db.execute(
            text(
                "SELECT COALESCE(SUM(units), 0), COALESCE(SUM(price_total), 0),"
                " COALESCE(SUM(face_total), 0) FROM premium_purchases"
                " WHERE coin_id = :coin AND campaign_id = :id AND status = 'paid'"
            ),
            {"coin": key.coin_id, "id": campaign.id},
        ).one()
        data.append(
            CampaignSales(
                **campaign_public(campaign).model_dump(),
                paid_units=int(units),
                paid_price=int(price),
                paid_premium=int(face) - int(price),
            )
        )
    return CampaignPage(data=data, has_more=len(ids) > limit)
