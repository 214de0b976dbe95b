"""Premium campaigns (プレミアム付商品券) over HTTP: create, reserve, confirm payment."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kit.auth import CurrentResident, IssuerKey, MunicipalityKey, MunicipalityOrIssuerKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from wallet_api.approvals import Kind
from wallet_api.issuance import issue_or_hold
from wallet_api.issuance_schemas import (
    CampaignCreate,
    CampaignPublic,
    PaymentConfirmation,
    PurchaseCreate,
    PurchasePublic,
    campaign_public,
)
from wallet_api.premium import (
    Purchase,
    coin_of_campaign,
    confirm_payment,
    find_campaign,
    reserve,
)
from wallet_api.residents import wallet_of
from wallet_api.rules import get_rules
from wallet_api.rush_gate import GatedRoute

router = APIRouter(route_class=IdempotentRoute, tags=["issuance"])
# Purchases pass a per-process gate, so a rush cannot take the pool from payments.
purchase_router = APIRouter(route_class=GatedRoute, tags=["issuance"])


def _purchase(purchase: Purchase) -> PurchasePublic:
    return PurchasePublic(
        id=purchase.public_id,
        campaign_id=purchase.campaign_public_id,
        wallet_id=purchase.wallet_public_id,
        units=purchase.units,
        price_total=purchase.price_total,
        face_total=purchase.face_total,
        premium_total=purchase.premium_total,
        status=purchase.status,
        pay_by=purchase.pay_by.isoformat(),
        paid_at=purchase.paid_at.isoformat() if purchase.paid_at else None,
        channel=purchase.channel,
        reference=purchase.reference,
    )


@router.post(
    "/premium_campaigns",
    status_code=201,
    response_model=CampaignPublic,
    responses=refusals(Code.COIN_WINDING_DOWN, Code.CAMPAIGN_INVALID)
    | {202: {"description": "Premium in all above the approval threshold: pending_approval"}},
)
def create_premium_campaign(
    body: CampaignCreate, db: Db, key: MunicipalityKey, request: Request
) -> CampaignPublic | JSONResponse:
    """The municipality opens a campaign. Refusal: campaign_invalid (422).

    When its premium in all ((face_value - price) x total_units) is above the coin's
    approval_threshold, the answer is 202 ``{"status": "pending_approval",
    "approval_id"}`` and the campaign opens once another municipality key approves."""
    status, answer = issue_or_hold(
        db,
        kind=Kind.PREMIUM_CAMPAIGN,
        request=body.model_dump(mode="json"),
        key=key,
        at=request_clock(request).now(),
    )
    if status == 202:
        return JSONResponse(answer, status_code=202)
    return CampaignPublic.model_validate(answer)


@router.get(
    "/premium_campaigns/{campaign_id}",
    response_model=CampaignPublic,
    responses=refusals(Code.CAMPAIGN_NOT_FOUND),
)
def read_premium_campaign(campaign_id: str, db: Db, key: MunicipalityOrIssuerKey) -> CampaignPublic:
    """The campaign with the units sold so far (reserved or paid)."""
    return campaign_public(find_campaign(db, coin_id=key.coin_id, campaign_public_id=campaign_id))


@purchase_router.post(
    "/premium_campaigns/{campaign_id}/purchases",
    status_code=201,
    response_model=PurchasePublic,
    responses=refusals(
        Code.CAMPAIGN_NOT_FOUND,
        Code.WALLET_NOT_FOUND,
        Code.SOLD_OUT,
        Code.CAMPAIGN_CLOSED,
        Code.LIMIT_EXCEEDED,
        Code.TIER_NOT_ALLOWED,
    ),
)
def create_premium_purchase(
    campaign_id: str, body: PurchaseCreate, db: Db, resident_id: CurrentResident, request: Request
) -> PurchasePublic:
    """A resident reserves units, to be paid in yen at the issuer before ``pay_by``.

    Refusals: campaign_not_found / wallet_not_found (404), campaign_closed
    (422), limit_exceeded (422), sold_out (409).
    """
    coin_id = coin_of_campaign(db, campaign_id)
    wallet = wallet_of(db, coin_id=coin_id, resident_id=resident_id)
    purchase = reserve(
        db,
        rules=get_rules(db, coin_id=coin_id),
        campaign=find_campaign(db, coin_id=coin_id, campaign_public_id=campaign_id),
        wallet=wallet,
        units=body.units,
        at=request.app.state.clock.now(),
        identity_key=request.app.state.fingerprint_key,
    )
    return _purchase(purchase)


@router.post(
    "/premium_purchases/{purchase_id}/confirm",
    response_model=PurchasePublic,
    responses=refusals(
        Code.PURCHASE_NOT_FOUND,
        Code.PURCHASE_NOT_RESERVED,
        Code.RESERVATION_EXPIRED,
        Code.PAYMENT_REFERENCE_REUSED,
        Code.LIMIT_EXCEEDED,
    ),
)
def confirm_premium_purchase(
    purchase_id: str, body: PaymentConfirmation, db: Db, key: IssuerKey, request: Request
) -> PurchasePublic:
    """The issuer received the price: the wallet gets the price as money and the premium.

    Refusals: purchase_not_found (404), purchase_not_reserved,
    reservation_expired, payment_reference_reused (409), limit_exceeded (422).
    """
    purchase = confirm_payment(
        db,
        rules=get_rules(db, coin_id=key.coin_id),
        purchase_public_id=purchase_id,
        channel=body.channel,
        reference=body.reference,
        at=request.app.state.clock.now(),
    )
    return _purchase(purchase)
