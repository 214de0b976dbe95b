"""Payment intents for booking and counter systems (HTTP); residents pay them in
merchant/payments/wallet_payment_routes.py.

Thin: authorize, call ``payment_intents`` or ``qr_payments``, shape the answer.
A merchant's or terminal's key sees only its own merchant's intents; anyone
else's is 404 ``payment_intent_not_found``.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.qr_images import MODULE_PX_DEFAULT, MODULE_PX_MAX, render_png, render_svg
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from merchant.accounts.merchant_auth import AnyMerchantKey
from merchant.payments.payment_intents import (
    LIST_LIMIT_MAX,
    CancellationReason,
    CaptureMethod,
    PaymentIntent,
    cancel_intent,
    capture_intent,
    create_intent,
    find_intent,
    intent_json,
    list_intents,
)
from merchant.payments.schemas import (
    PaymentIntentCancel,
    PaymentIntentCapture,
    PaymentIntentCreate,
    PaymentIntentList,
    PaymentIntentPublic,
)
from wallet_api.rules import get_rules

router = APIRouter(route_class=IdempotentRoute, tags=["payment_intents"])

_NOT_FOUND = refusals(Code.PAYMENT_INTENT_NOT_FOUND)


def _public(db: Db, intent: PaymentIntent, request: Request) -> PaymentIntentPublic:
    return PaymentIntentPublic.model_validate(
        intent_json(db, intent, at=request_clock(request).now())
    )


@router.post(
    "/payment_intents",
    status_code=201,
    response_model=PaymentIntentPublic,
    responses=refusals(
        Code.MERCHANT_SUSPENDED,
        Code.EXPIRES_AT_INVALID,
        Code.AMOUNT_INVALID,
        Code.LIMIT_EXCEEDED,
    ),
)
def create_payment_intent(
    body: PaymentIntentCreate, db: Db, caller: AnyMerchantKey, request: Request
) -> PaymentIntentPublic:
    """An intent to collect ``amount`` against your ``reference``, with its dynamic QR.

    Show ``qr_payload`` (or ``/qr.png``) at the kiosk or on the booking page;
    the resident scans and pays it once before ``expires_at``."""
    merchant = caller.merchant
    intent = create_intent(
        db,
        rules=get_rules(db, coin_id=merchant.coin_id),
        merchant=merchant,
        amount=body.amount,
        reference=body.reference,
        capture_method=CaptureMethod(body.capture_method),
        at=request_clock(request).now(),
        expires_at=body.expires_at,
        description=body.description,
        terminal_id=caller.terminal_id,
    )
    return _public(db, intent, request)


@router.get(
    "/payment_intents",
    response_model=PaymentIntentList,
    responses=refusals(Code.PAYMENT_INTENT_NOT_FOUND),
)
def list_payment_intents(
    db: Db,
    caller: AnyMerchantKey,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = 20,
    starting_after: Annotated[
        str | None, Query(description="The id of the last intent seen.", max_length=40)
    ] = None,
) -> PaymentIntentList:
    """Your intents, newest first."""
    intents, has_more = list_intents(
        db,
        coin_id=caller.merchant.coin_id,
        merchant_id=caller.merchant.id,
        limit=limit,
        starting_after=starting_after,
    )
    return PaymentIntentList(
        data=[_public(db, intent, request) for intent in intents], has_more=has_more
    )


def _own(db: Db, caller: AnyMerchantKey, intent_id: str) -> PaymentIntent:
    return find_intent(
        db,
        coin_id=caller.merchant.coin_id,
        merchant_id=caller.merchant.id,
        intent_public_id=intent_id,
        for_update=False,
    )


@router.get(
    "/payment_intents/{intent_id}", response_model=PaymentIntentPublic, responses=_NOT_FOUND
)
def get_payment_intent(
    intent_id: str, db: Db, caller: AnyMerchantKey, request: Request
) -> PaymentIntentPublic:
    """The intent; an unpaid one past ``expires_at`` reads ``expired``."""
    return _public(db, _own(db, caller, intent_id), request)


@router.post(
    "/payment_intents/{intent_id}/capture",
    response_model=PaymentIntentPublic,
    responses=refusals(
        Code.MERCHANT_SUSPENDED,
        Code.PAYMENT_INTENT_NOT_FOUND,
        Code.PAYMENT_INTENT_NOT_CAPTURABLE,
        Code.CAPTURE_EXPIRED,
        Code.AMOUNT_INVALID,
        Code.CAPTURE_AMOUNT_INVALID,
    ),
)
def capture_payment_intent(
    intent_id: str, body: PaymentIntentCapture, db: Db, caller: AnyMerchantKey, request: Request
) -> PaymentIntentPublic:
    """Captures all or part (a cancellation fee, say) of a held intent; the rest is released.

    The capture becomes the intent's charge (``charge_id``), refundable like any other."""
    intent = capture_intent(
        db,
        merchant=caller.merchant,
        intent_public_id=intent_id,
        at=request_clock(request).now(),
        amount=body.amount,
    )
    return _public(db, intent, request)


@router.post(
    "/payment_intents/{intent_id}/cancel",
    response_model=PaymentIntentPublic,
    responses=refusals(
        Code.PAYMENT_INTENT_NOT_FOUND,
        Code.PAYMENT_INTENT_ALREADY_PAID,
        Code.PAYMENT_INTENT_CANCELED,
        Code.PAYMENT_INTENT_EXPIRED,
    ),
)
def cancel_payment_intent(
    intent_id: str,
    db: Db,
    caller: AnyMerchantKey,
    request: Request,
    body: PaymentIntentCancel | None = None,
) -> PaymentIntentPublic:
    """Cancels an unpaid intent, or a held one: its whole hold goes back to the resident."""
    reason = body.cancellation_reason if body is not None else "requested_by_merchant"
    intent = cancel_intent(
        db,
        merchant=caller.merchant,
        intent_public_id=intent_id,
        reason=CancellationReason(reason),
        at=request_clock(request).now(),
    )
    return _public(db, intent, request)


@router.get(
    "/payment_intents/{intent_id}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **_NOT_FOUND},
)
def payment_intent_png(
    intent_id: str,
    db: Db,
    caller: AnyMerchantKey,
    module_px: Annotated[int, Query(ge=1, le=MODULE_PX_MAX)] = MODULE_PX_DEFAULT,
) -> Response:
    """The intent's QR as a PNG, for a kiosk or a booking page."""
    payload = _own(db, caller, intent_id).qr_payload
    return Response(render_png(payload, module_px=module_px), media_type="image/png")


@router.get(
    "/payment_intents/{intent_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **_NOT_FOUND},
)
def payment_intent_svg(intent_id: str, db: Db, caller: AnyMerchantKey) -> Response:
    """The intent's QR as an SVG, for print."""
    payload = _own(db, caller, intent_id).qr_payload
    return Response(render_svg(payload), media_type="image/svg+xml")
