"""Residents paying a merchant's QR (HTTP): a static sticker or a payment intent's code.

A resident's route (the caller is ``CurrentResident``) whose service lives
with the merchant's payments. Thin: the resident's token,
``qr_payments.pay_qr``, the answer. The busiest route of the API:
merchant/router.py includes it first and the app includes that side first,
because routes are matched one after another in the order they were included.
"""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from kit.auth import CurrentResident
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.problems import Problem, problem_response
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from ledger.clock import Clock
from ledger.errors import Code as LedgerCode
from merchant.payments.payment_preview import preview_qr
from merchant.payments.qr_payments import pay_qr
from merchant.payments.schemas import (
    WalletPaymentCreate,
    WalletPaymentPreviewCreate,
    WalletPaymentPreviewPublic,
    WalletPaymentPublic,
)

router = APIRouter(route_class=IdempotentRoute, tags=["payment_intents"])


@router.post(
    "/wallet/payments",
    status_code=201,
    response_model=WalletPaymentPublic,
    tags=["residents"],
    responses=refusals(
        Code.COIN_ACCEPTANCE_ENDED,
        LedgerCode.INSUFFICIENT_FUNDS,
        Code.MERCHANT_SUSPENDED,
        Code.MERCHANT_NOT_FOUND,
        Code.WALLET_NOT_FOUND,
        Code.PAYMENT_INTENT_NOT_FOUND,
        Code.PAYMENT_INTENT_ALREADY_PAID,
        Code.PAYMENT_INTENT_CANCELED,
        Code.PAYMENT_INTENT_EXPIRED,
        Code.INVALID_QR,
        Code.QR_TEMPLATE_RETIRED,
        Code.AMOUNT_REQUIRED,
        Code.AMOUNT_MISMATCH,
        Code.AMOUNT_INVALID,
        Code.LIMIT_EXCEEDED,
        Code.PIN_REQUIRED,
        Code.PIN_INCORRECT,
        Code.RESIDENT_LOCKED,
    ),
)
async def create_wallet_payment(
    body: WalletPaymentCreate, db: Db, resident_id: CurrentResident, request: Request
) -> WalletPaymentPublic | JSONResponse:
    """Pays a merchant's QR you scanned: a static code (send ``amount``) or a dynamic
    one of a payment intent (its amount is inside). Paid from your wallet in the code's coin."""
    clock: Clock = request.app.state.clock

    def pay() -> WalletPaymentPublic | JSONResponse:
        outcome = pay_qr(
            db,
            resident_id=resident_id,
            qr_payload=body.qr_payload,
            amount=body.amount,
            pin=body.pin,
            hasher=request.app.state.pin_hasher,
            at=clock.now(),
        )
        if isinstance(outcome, Problem):
            return problem_response(outcome.code, outcome.detail)
        return WalletPaymentPublic.model_validate(outcome.as_json())

    # A plain function would cost two hops to the thread pool, one for the work
    # and one for checking the answer against its model; here the answer is
    # checked on the event loop and the work is the request's one hop.
    return await run_in_threadpool(pay)


@router.post(
    "/wallet/payments/preview",
    response_model=WalletPaymentPreviewPublic,
    tags=["residents"],
    responses=refusals(
        Code.MERCHANT_SUSPENDED,
        Code.MERCHANT_NOT_FOUND,
        Code.WALLET_NOT_FOUND,
        Code.PAYMENT_INTENT_NOT_FOUND,
        Code.PAYMENT_INTENT_ALREADY_PAID,
        Code.PAYMENT_INTENT_CANCELED,
        Code.PAYMENT_INTENT_EXPIRED,
        Code.INVALID_QR,
        Code.QR_TEMPLATE_RETIRED,
        Code.AMOUNT_MISMATCH,
        Code.LIMIT_EXCEEDED,
    ),
)
def preview_wallet_payment(
    body: WalletPaymentPreviewCreate, db: Db, resident_id: CurrentResident, request: Request
) -> WalletPaymentPreviewPublic:
    """What the code pays, from the server's records (show this before paying): the
    registered payee, the coin and, for an intent, its amount. Nothing is written.
    A code whose names are not its payee's is 422 ``invalid_qr`` naming the field."""
    preview = preview_qr(
        db,
        resident_id=resident_id,
        qr_payload=body.qr_payload,
        amount=body.amount,
        at=request_clock(request).now(),
    )
    return WalletPaymentPreviewPublic.of(preview)
