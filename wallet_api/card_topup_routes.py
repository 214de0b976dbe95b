"""Card top-ups: the resident starts one; Stripe's signed webhook settles it."""

from typing import Annotated

import stripe
import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from kit.auth import CurrentResident, IssuerOrOperatorKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.problems import problem_response
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from ledger.unit_of_work import run_in_transaction
from wallet_api.card_topups import (
    OverCap,
    apply_event,
    needing_attention,
    settle_over_cap,
    start_card_topup,
)
from wallet_api.resident_coins import resident_coin
from wallet_api.residents import wallet_of
from wallet_api.rules import get_rules
from wallet_api.schemas import (
    CardTopupAttention,
    CardTopupAttentionList,
    CardTopupCreate,
    CardTopupPublic,
)

router = APIRouter(route_class=IdempotentRoute, tags=["residents"])
webhook_router = APIRouter(tags=["stripe"])

log = structlog.get_logger(__name__)


@router.post(
    "/wallet/card_topups",
    status_code=201,
    response_model=CardTopupPublic,
    responses=refusals(
        Code.COIN_WINDING_DOWN,
        Code.COIN_NOT_FOUND,
        Code.WALLET_NOT_FOUND,
        Code.LIMIT_EXCEEDED,
        Code.CARD_PROCESSOR_UNAVAILABLE,
        Code.RATE_LIMITED,
    ),
)
def create_card_topup(
    body: CardTopupCreate,
    db: Db,
    resident_id: CurrentResident,
    request: Request,
    coin: Annotated[str | None, Query(description="The coin's code; default: home.")] = None,
) -> CardTopupPublic:
    """Starts a card top-up; the wallet is credited when Stripe confirms the payment.

    502 ``card_processor_unavailable`` when Stripe does not answer: nothing is
    recorded, and a retry under the same Idempotency-Key runs afresh."""
    the_coin = resident_coin(db, resident_id=resident_id, code=coin)
    wallet = wallet_of(db, coin_id=the_coin.id, resident_id=resident_id)
    topup = start_card_topup(
        db,
        client=request.app.state.stripe_client,
        rules=get_rules(db, coin_id=the_coin.id),
        wallet=wallet,
        amount=body.amount,
        at=request_clock(request).now(),
    )
    return CardTopupPublic(
        id=topup.public_id,
        amount=topup.amount,
        status=topup.status.value,
        client_secret=topup.client_secret,
    )


@router.get("/card_topups/needing_attention", response_model=CardTopupAttentionList)
def list_card_topups_needing_attention(
    db: Db,
    key: IssuerOrOperatorKey,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> CardTopupAttentionList:
    """Card top-ups the issuer must act on, oldest first: a card to refund
    (``refund_required``), coin spent that the card got back (``refund_shortfall``),
    and open disputes with the coin their hold freezes (``disputed``)."""
    rows = needing_attention(db, coin_id=key.coin_id, limit=limit)
    return CardTopupAttentionList(data=[CardTopupAttention(**row) for row in rows])


@webhook_router.post("/stripe/webhook", responses=refusals(Code.SIGNATURE_INVALID))
async def stripe_webhook(request: Request) -> JSONResponse:
    """Stripe's events, trusted only once their signature verifies."""
    payload = await request.body()
    signature = request.headers.get("stripe-signature")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, request.app.state.stripe_webhook_secret
        )
    except (ValueError, stripe.SignatureVerificationError):
        log.warning("stripe_webhook_refused")
        return problem_response(Code.SIGNATURE_INVALID, "the Stripe signature does not verify")
    engine = request.app.state.engine
    now = request_clock(request).now()
    try:
        outcome = run_in_transaction(engine, lambda conn: apply_event(conn, event=event, at=now))
    except OverCap:
        outcome = run_in_transaction(
            engine, lambda conn: settle_over_cap(conn, event=event, at=now)
        )
    log.info("stripe_event", event_id=event.id, type=event.type, outcome=outcome)
    return JSONResponse({"received": True, "outcome": outcome})
