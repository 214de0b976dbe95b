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

from kit.auth import CurrentResident
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from wallet_api.campaign_listings import open_campaigns
from wallet_api.coin_directory import coins_page
from wallet_api.issuance_schemas import CampaignDirectory, campaign_public
from wallet_api.resident_coins import resident_coin
from wallet_api.residents import wallet_of
from wallet_api.schemas import CoinDirectory, CoinListing
from wallet_api.winddown import public_notices
from wallet_api.winddown_schemas import WinddownNotice

router = APIRouter(route_class=IdempotentRoute, tags=["residents"])

LIST_MAX = 100


@router.get("/coins", response_model=CoinDirectory)
def list_coins(
    db: Db,
    limit: Annotated[int, Query(ge=1, le=LIST_MAX)] = LIST_MAX,
    starting_after: Annotated[
        str | None, Query(description="The code of the last coin seen.", max_length=16)
    ] = None,
) -> CoinDirectory:
    """The coins on this deployment, by code."""
    coins, has_more = coins_page(db, limit=limit, starting_after=starting_after)
    notices = public_notices(db, coin_ids=[c.id for c in coins])
    listed = [
        CoinListing(
            code=c.code,
            name=c.name,
            issuer_name=c.issuer_name,
            winddown=None if c.id not in notices else WinddownNotice(**notices[c.id]),
        )
        for c in coins
    ]
    return CoinDirectory(data=listed, has_more=has_more)


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
    campaigns, has_more = open_campaigns(
        db,
        coin_id=the_coin.id,
        at=request_clock(request).now(),
        limit=limit,
        starting_after=starting_after,
    )
    return CampaignDirectory(data=[campaign_public(c) for c in campaigns], has_more=has_more)
