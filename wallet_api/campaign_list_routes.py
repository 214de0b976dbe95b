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

from kit.auth import MunicipalityOrIssuerKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from wallet_api.campaign_listings import campaign_takings_page
from wallet_api.issuance_schemas import CampaignPage, CampaignSales, campaign_public

# IdempotentRoute opens the read transaction behind ``Db`` (GETs are never replayed).
router = APIRouter(route_class=IdempotentRoute, tags=["issuance"])

PAGE_MAX = 100


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
    page, has_more = campaign_takings_page(
        db, coin_id=key.coin_id, limit=limit, starting_after=starting_after
    )
    data = [
        CampaignSales(
            **campaign_public(taken.campaign).model_dump(),
            paid_units=taken.paid_units,
            paid_price=taken.paid_price,
            paid_premium=taken.paid_face - taken.paid_price,
        )
        for taken in page
    ]
    return CampaignPage(data=data, has_more=has_more)
